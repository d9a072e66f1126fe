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
    from drills.ui import clock_text, print_rows
    print_rows(rows, as_json=as_json, heading=2, title="open drills",
               columns=("id", "namespace", "context", "state", "clock", "hints"),
               cells=lambda r: (str(r["id"]), r["namespace"], r["context"], r["state"],
                                clock_text(r["elapsed_seconds"], r["target_minutes"]),
                                str(r["hints_shown"])),
               empty="No open drills. Start one with 'drills start <scenario>' "
                     "('drills list' shows them).")
    return 0
