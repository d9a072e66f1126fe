"""drills stats: solves and personal bests per scenario."""
from __future__ import annotations

import click

from drills.commands._common import json_option, open_store


@click.command("stats")
@json_option
def command(as_json: bool) -> int:
    """Per scenario: drills, solves, attempts, personal best and median time."""
    rows = open_store().stats()
    from drills.ui import duration, print_rows
    print_rows(rows, as_json=as_json, title="your drills",
               columns=("scenario", "drills", "solved", "clean", "attempts", "best", "median"),
               cells=lambda r: (r["scenario"], str(r["drills"]), str(r["solved"]), str(r["clean_solves"]),
                                str(r["attempts"]), duration(r["best_seconds"]),
                                duration(r["median_seconds"])),
               empty="No drills yet. Start one with 'drills start <scenario>'.")
    return 0
