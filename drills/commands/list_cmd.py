"""drills list: the scenario catalog."""
from __future__ import annotations

import click

from drills.commands._common import json_option


def catalog_rows(scenarios: dict | None = None) -> list[dict]:
    from drills import catalog
    rows = []
    for s in (catalog.discover() if scenarios is None else scenarios).values():
        m = s.meta
        rows.append({"id": s.id, "title": m["title"], "group": m["group"],
                     "difficulty": m["difficulty"], "target_minutes": m["target_minutes"],
                     "tags": m["tags"], "levels": list(m.get("levels") or {}),
                     "variants": s.variant_count(), "teaches": " ".join(m["teaches"].split())})
    return sorted(rows, key=lambda r: (r["group"], ["easy", "medium", "hard"].index(r["difficulty"]), r["id"]))


@click.command("list")
@json_option
def command(as_json: bool) -> int:
    """List the scenarios, grouped by what they teach."""
    from drills import catalog
    found = catalog.scan()
    for problem in found.problems:   # a broken pack is skipped, not fatal: one line each
        click.echo(f"drills: warning: skipped: {problem.one_line()}", err=True)
    rows = catalog_rows(found.scenarios)
    if as_json:
        from drills.ui import print_json
        print_json(rows)
        return 0
    from rich.table import Table

    from drills.ui import out
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(r["group"], []).append(r)
    for group, members in groups.items():
        table = Table(title=f"[bold]{group}[/]", title_justify="left", expand=False)
        table.add_column("id", no_wrap=True)
        table.add_column("title", ratio=3)
        table.add_column("level", no_wrap=True)
        table.add_column("target", no_wrap=True, justify="right")
        table.add_column("variants", no_wrap=True, justify="right")
        table.add_column("tags", ratio=2)
        for r in members:
            table.add_row(r["id"], r["title"], r["difficulty"], f"{r['target_minutes']:g} min",
                          _compact(r["variants"]), ", ".join(r["tags"]))
        out.print(table)
    out.print("Start one with: drills start <id>   (details: drills show <id>)")
    return 0


def _compact(number: int) -> str:
    for unit, size in (("M", 1_000_000), ("k", 1_000)):
        if number >= size:
            return f"{number / size:.1f}{unit}".replace(".0", "")
    return str(number)
