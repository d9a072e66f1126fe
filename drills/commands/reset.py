"""drills reset: delete drill namespaces (only those drills created and labelled)."""
from __future__ import annotations

import click

from drills.commands._common import (connect, context_option, drill_plan, json_option, open_store,
                                     pick_drill)
from drills.errors import UsageError


@click.command("reset")
@click.argument("drill", required=False)
@click.option("--all", "all_drills", is_flag=True, help="Delete every drill namespace on the context.")
@context_option
@json_option
def command(drill: str | None, all_drills: bool, context_flag: str | None, as_json: bool) -> int:
    """Delete a drill's namespace (or all of them with --all) and wait until gone."""
    from drills.config import chosen_context
    from drills.lifecycle import reset
    from drills.ui import err, out, progress_of
    if drill and all_drills:
        raise UsageError("name a drill or pass --all, not both", "see 'drills reset --help'")
    context, _ = chosen_context(context_flag)
    store = open_store()
    records = store.open_drills(context) if all_drills else [pick_drill(store, context, drill)]
    session = connect(context_flag)
    if all_drills:
        targets = None
    else:
        targets = drill_plan(records[0]).namespaces
    # waits until the namespaces are gone and any cluster-wide restore took effect,
    # so a start right after it always works
    with err.status("deleting drill namespaces") as spinner:
        deleted = reset(session, targets, progress=progress_of(spinner))
    for record in records:
        store.end(record.id)
    if all_drills:   # the exams' tasks are gone: nothing is left for their deadline keepers to grade
        from drills.keeper import stop_all
        stop_all(store, context, "the deadline keeper was stopped by 'drills reset --all'")
        # an exam whose every task was just deleted was given up: closed without a score, so it
        # neither scores 0 % in the progress charts nor gets graded later by the next command
        exam = store.open_exam(context)
        abandoned = exam["id"] if exam else None
        if exam:
            from drills.store import iso, utcnow
            store.end_exam(exam["id"], None, iso(utcnow()))
    if as_json:
        from drills.ui import print_json
        print_json({"deleted": deleted, "ended": [r.id for r in records],
                    **({"abandoned_exam": abandoned} if all_drills else {})})
        return 0
    from drills.ui import assemble
    out.print(assemble(f"Deleted {len(deleted)} namespace(s){': ' + ', '.join(deleted) if deleted else ''}."))
    if all_drills and abandoned:
        out.print(f"Mock exam {abandoned} abandoned: closed without a score.")
    return 0
