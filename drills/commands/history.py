"""drills history: past drills, their times and attempts."""
from __future__ import annotations

import click

from drills.commands._common import json_option, open_store


@click.command("history")
@click.option("--scenario", help="Only this scenario.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=30, show_default=True)
@json_option
def command(scenario: str | None, limit: int, as_json: bool) -> int:
    """List past drills: when, how long, how many attempts and hints."""
    store = open_store()
    rows = []
    for d in store.history(scenario, limit):
        attempts = store.attempts(d.id)
        rows.append({"id": d.id, "scenario": d.scenario, "seed": d.seed, "started_at": d.started_at,
                     "state": d.state, "seconds": round(d.elapsed_seconds(), 1) if d.solved_at else None,
                     "target_minutes": d.target_minutes, "attempts": len(attempts),
                     "hints": d.hints_shown, "solution_viewed": d.solution_viewed})
    from drills.ui import duration, print_rows
    print_rows(rows, as_json=as_json, heading=2, title="drill history",
               columns=("id", "scenario", "seed", "started", "state", "time", "target", "attempts", "hints"),
               cells=lambda r: (str(r["id"]), r["scenario"], str(r["seed"]),
                                r["started_at"][:16].replace("T", " "), r["state"],
                                duration(r["seconds"]), duration(r["target_minutes"] * 60),
                                str(r["attempts"]),
                                f"{r['hints']}{' +solution' if r['solution_viewed'] else ''}"),
               empty="No drills yet. Start one with 'drills start <scenario>'.")
    return 0
