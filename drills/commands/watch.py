"""drills watch: a live clock that re-checks cheaply and stops when the fix works."""
from __future__ import annotations

import time

import click

from drills.commands._common import (connect, context_option, drill_plan, open_store, pick_drill,
                                     record_attempt)

API_INTERVAL_S = 1.0


def api_check_names(plan) -> list[str]:
    """Checks that read only API objects; probes run only once these pass."""
    from drills.lifecycle import api_check_names as names
    return names(plan)


def watch_drill(store, record, plan, session, interval: float = API_INTERVAL_S) -> int:
    from drills.ui import assemble, clock_text, out, print_report

    try:
        report = _watch_until_solved(store, record, plan, session, interval)
    except KeyboardInterrupt:
        from drills.errors import Interrupted
        raise Interrupted("stopped watching; the drill's clock is still running",
                          "grade with 'drills check' or watch again with 'drills watch'") from None
    record = store.drill(record.id)
    print_report(report, record.elapsed_seconds(), record.target_minutes)
    out.print(assemble(("Solved", "bold green"), " in ")
              .append_text(clock_text(record.elapsed_seconds(), record.target_minutes)).append("."))
    return 0


def _watch_until_solved(store, record, plan, session, interval):
    """Re-check cheaply (API objects only) every `interval` s; probe only once those pass."""
    from rich.live import Live

    from drills.lifecycle import collect, grade, judge
    from drills.ui import clock_text, out, plain

    api_only = api_check_names(plan)
    with Live(console=out, refresh_per_second=4, transient=True) as live:
        while True:
            bundle = collect(session, plan, api_only=True)
            quick = judge(plan, bundle, only=api_only)
            if quick.status == "PASS":
                bundle, report = grade(session, plan)
                if report.status == "PASS":
                    record_attempt(store, record, bundle, report)
                    return report
                quick = report
            diag = quick.diagnosis
            status_line = diag.message if diag else "all checks pass"
            deadline = time.monotonic() + interval
            while (left := deadline - time.monotonic()) > 0:
                live.update(clock_text(record.elapsed_seconds(), record.target_minutes)
                            .append("   ").append_text(plain(status_line, "dim", limit=200)))
                time.sleep(min(0.25, left))


@click.command("watch")
@click.argument("drill", required=False)
@context_option
def command(drill: str | None, context_flag: str | None) -> int:
    """Watch the active drill and stop the clock the moment the fix works."""
    from drills.config import chosen_context
    context, _ = chosen_context(context_flag)
    store = open_store()
    record = pick_drill(store, context, drill)
    return watch_drill(store, record, drill_plan(record), connect(context_flag))
