"""drills stats: solves and personal bests per scenario."""
from __future__ import annotations

import click

from drills.commands._common import json_option, open_store


@click.command("stats")
@json_option
def command(as_json: bool) -> int:
    """Per scenario: drills, solves, attempts, personal best and median time."""
    rows = open_store().stats()
    if as_json:
        from drills.ui import print_json
        print_json(rows)
        return 0
    from rich.table import Table

    from drills.ui import duration, out
    if not rows:
        out.print("No drills yet. Start one with 'drills start <scenario>'.")
        return 0
    table = Table(title="your drills")
    for col in ("scenario", "drills", "solved", "clean", "attempts", "best", "median"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["scenario"], str(r["drills"]), str(r["solved"]), str(r["clean_solves"]),
                      str(r["attempts"]), duration(r["best_seconds"]), duration(r["median_seconds"]))
    out.print(table)
    return 0
