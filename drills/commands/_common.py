"""Pieces several verbs share: options, the active drill, re-rendering its plan."""
from __future__ import annotations

from typing import Any

import click

from drills.errors import NoActiveDrill, UsageError

context_option = click.option(
    "--context", "context_flag", metavar="NAME",
    help="kubeconfig context to use (default: DRILLS_CONTEXT, else the kind cluster 'drills').")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


def open_store():
    from drills.store import Store
    return Store()


def plan_for(identity: dict[str, Any]):
    """Render the plan of a running or recorded drill again, exactly."""
    from drills.render import replay
    return replay(identity)


def drill_plan(record):
    """The plan a stored drill is graded with (drills.lifecycle.plan_of); says so in
    one line when its scenario changed since start."""
    from drills.lifecycle import plan_of
    graded = plan_of(record)
    if graded.changed:
        from drills.ui import err
        err.print(f"[yellow]note:[/] {graded.changed}", soft_wrap=True)
    return graded.plan


def pick_drill(store, context: str, selector: str | None):
    """The open drill a verb acts on: the only one, or the one named by id/scenario/namespace."""
    drills = store.open_drills(context)
    if selector:
        chosen = [d for d in drills if selector in (d.scenario, d.namespace, str(d.id))]
        if not chosen:
            raise NoActiveDrill(f"no open drill {selector!r} on context {context}",
                                "see 'drills status'")
        drills = chosen
    if not drills:
        raise NoActiveDrill(f"no drill is running on context {context}",
                            "start one with 'drills start <scenario>'")
    if len(drills) > 1:
        names = ", ".join(f"{d.scenario} ({d.namespace})" for d in drills)
        raise UsageError(f"{len(drills)} drills are open: {names}",
                         "name one: e.g. 'drills check <namespace>'")
    return drills[0]


def connect(context_flag: str | None):
    from drills.cluster import connect as cluster_connect
    from drills.config import chosen_context
    context, explicit = chosen_context(context_flag)
    return cluster_connect(context, explicit)


def exit_code_for(report) -> int:
    from drills.errors import ExitCode
    return {"PASS": ExitCode.OK, "FAIL": ExitCode.CHECKS_FAILED}.get(report.status, ExitCode.GRADING_ERROR)


def grade_live(session, plan, started_hash: str | None = None):
    """Collect full evidence (API objects and probes) and judge it (drills.lifecycle.grade).
    `started_hash`: the scenario hash the drill was started with, when known only
    from the cluster; a changed scenario is refused rather than graded differently."""
    from drills.lifecycle import check_unchanged, grade
    check_unchanged(plan, started_hash)
    return grade(session, plan)


def save_bundle(bundle: dict, path: str) -> None:
    import json
    from pathlib import Path

    from drills.private import write_private
    try:
        write_private(Path(path), (json.dumps(bundle, indent=1, sort_keys=True) + "\n").encode())
    except OSError as exc:
        raise UsageError(f"cannot write evidence to {path} ({exc.strerror})",
                         "choose a writable path") from exc


def record_attempt(store, record, bundle: dict, report) -> bool:
    """Store the attempt; a first PASS stops the clock at collection time. Returns solved."""
    from drills.lifecycle import record as record_in_store
    return record_in_store(store, record, bundle, report)
