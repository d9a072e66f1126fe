"""drills check: grade the active drill through the API and in-cluster probes."""
from __future__ import annotations

import click

from drills.commands._common import (connect, context_option, exit_code_for, grade_live,
                                     drill_plan, json_option, open_store, pick_drill,
                                     record_attempt, save_bundle)


@click.command("check")
@click.argument("drill", required=False)
@click.option("--save-evidence", metavar="FILE", help="Also write the evidence bundle (JSON) to FILE.")
@context_option
@json_option
def command(drill: str | None, save_evidence: str | None, context_flag: str | None, as_json: bool) -> int:
    """Grade your fix. DRILL picks one of several open drills (id, scenario or namespace)."""
    from drills.config import chosen_context
    context, _ = chosen_context(context_flag)
    store = open_store()
    record = pick_drill(store, context, drill)
    plan = drill_plan(record)
    session = connect(context_flag)
    bundle, report = grade_live(session, plan)
    if save_evidence:
        save_bundle(bundle, save_evidence)
    record_attempt(store, record, bundle, report)
    record = store.drill(record.id)
    if as_json:
        from drills.ui import print_json
        print_json({**report.to_dict(), "elapsed_seconds": record.elapsed_seconds(),
                    "target_minutes": record.target_minutes, "solved_at": record.solved_at})
    else:
        from drills.ui import print_report
        print_report(report, record.elapsed_seconds(), record.target_minutes)
    return exit_code_for(report)
