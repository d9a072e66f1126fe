"""drills status: open drills and their clocks."""
from __future__ import annotations

import click

from drills.commands._common import json_option, open_store


@click.command("status")
@json_option
def command(as_json: bool) -> int:
    """Show open drills with elapsed time against target."""
    store = open_store()
    rows = [{"id": d.id, "scenario": d.scenario, "seed": d.seed, "level": d.level,
             "namespace": d.namespace, "context": d.context, "started_at": d.started_at,
             "solved_at": d.solved_at, "state": d.state,
             "elapsed_seconds": round(d.elapsed_seconds(), 1), "target_minutes": d.target_minutes,
             "hints_shown": d.hints_shown}
            for d in store.open_drills()]
    if as_json:
        from drills.ui import print_json
        print_json(rows)
        return 0
    from rich.table import Table

    from drills.ui import clock_line, out
    if not rows:
        out.print("No open drills. Start one with 'drills start <scenario>' ('drills list' shows them).")
        return 0
    table = Table(title="open drills")
    for col in ("id", "namespace", "context", "state", "clock", "hints"):
        table.add_column(col, no_wrap=col == "namespace")
    for r in rows:
        table.add_row(str(r["id"]), r["namespace"], r["context"],
                      r["state"], clock_line(r["elapsed_seconds"], r["target_minutes"]),
                      str(r["hints_shown"]))
    out.print(table)
    return 0
