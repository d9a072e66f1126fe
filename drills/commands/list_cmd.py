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
    from drills.ui import inert
    for problem in found.problems:   # a broken pack is skipped, not fatal: one line each
        click.echo(f"drills: warning: skipped: {inert(problem.one_line())}", err=True)
    rows = catalog_rows(found.scenarios)
    if as_json:
        from drills.ui import print_json
        print_json(rows)
        return 0
    from drills.ui import out
    print_catalog(rows)
    out.print("Start one with: drills start <id>   (details: drills show <id>)", soft_wrap=True)
    return 0


def print_catalog(rows: list[dict]) -> None:
    """One table for every group: group names as headings, the columns aligned across groups.
    Tags only where the terminal is wide enough to show them whole."""
    from rich.table import Table

    from drills.ui import WIDE, assemble, human_count, out, plain
    cells = [(r["id"], r["difficulty"], f"{r['target_minutes']:g} min", human_count(r["variants"]),
              r["title"], ", ".join(r["tags"])) for r in rows]
    headers = ("scenario", "level", "target", "variants", "title", "tags")
    shown = len(headers) if out.width >= WIDE else len(headers) - 1
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers[:4])]
    if shown > 5:
        widths.append(max(len(c[4]) for c in cells))

    def grid() -> Table:
        table = Table.grid(padding=(0, 2))
        for i, width in enumerate(widths):
            table.add_column(width=width, no_wrap=True, justify="right" if i in (2, 3) else "left")
        table.add_column()
        return table

    header = grid()
    header.add_row(*(plain(h, "bold") for h in headers[:shown]))
    out.print(header)
    group = None
    for row, cell in zip(rows, cells):
        if row["group"] != group:
            if group is not None:
                out.print(table)
            group = row["group"]
            out.print(assemble((group, "bold underline")))
            table = grid()
        table.add_row(*(plain(c) for c in cell[:shown]))
    if group is not None:
        out.print(table)
