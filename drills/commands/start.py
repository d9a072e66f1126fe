"""drills start: deploy a broken setup, prove the fault, start the clock."""
from __future__ import annotations

import click

from drills.commands._common import connect, context_option, json_option, open_store
from drills.render import SEED_MAX


@click.command("start")
@click.argument("scenario_id", metavar="SCENARIO")
@click.option("--seed", type=click.IntRange(0, SEED_MAX), help="Reproduce a drill (default: random).")
@click.option("--level", help="Difficulty level, for scenarios that declare levels.")
@click.option("--watch", is_flag=True, help="Keep a live clock and stop it the moment the fix works.")
@click.option("--timings", "show_timings", is_flag=True,
              help="Print how long each phase of the start took.")
@context_option
@json_option
def command(scenario_id: str, seed: int | None, level: str | None, watch: bool,
            show_timings: bool, context_flag: str | None, as_json: bool) -> int:
    """Start a drill: deploy the broken setup and print the task."""
    from drills import lifecycle
    from drills.cluster.start import Timings
    from drills.config import chosen_context
    from drills.ui import assemble, err, out, print_command, print_plain, progress_of

    debug_log()
    if as_json and watch:
        from drills.errors import UsageError
        raise UsageError("--json and --watch do not go together", "use one of them")
    plan = lifecycle.prepare(scenario_id, seed, level)
    store = open_store()   # fail on a broken store before touching the cluster
    context, explicit = chosen_context(context_flag)

    from drills import cluster
    with err.status("checking the cluster") as spinner:
        if not explicit and not cluster.cluster_status().get("exists"):
            spinner.update("creating the kind cluster 'drills' (first run takes a minute or two)")
            cluster.cluster_up(progress=progress_of(spinner))
        session = connect(context_flag)
        progress_of(spinner)(f"starting {plan.scenario} (seed {plan.seed})")
        timings = Timings()
        record_id, result = lifecycle.start(store, session, plan, progress_of(spinner), timings)
    if show_timings:
        print_timings(result["timings"])
    if as_json:
        from drills.ui import print_json
        record = store.drill(record_id)
        print_json({"id": record_id, "scenario": plan.scenario, "seed": plan.seed, "level": plan.level,
                    "namespace": plan.namespace, "namespaces": plan.namespaces, "context": context,
                    "started_at": record.started_at, "target_minutes": plan.target_minutes,
                    "task": plan.task, "timings": result["timings"]})
        return 0

    out.rule(assemble((plan.title, "bold")))
    print_plain(plan.task)
    out.rule()
    out.print(assemble(("Namespace:", "bold"), " ", plan.namespace, "   ", ("Context:", "bold"), " ", context))
    out.print(assemble(("Target:", "bold"), f" {plan.target_minutes:g} min   ", ("Seed:", "bold"), f" {plan.seed}"))
    out.print("Work there with:")
    print_command(f"kubectl config use-context {context}")
    print_command(f"kubectl config set-context --current --namespace {plan.namespace}")
    out.print("The clock is running. Grade with 'drills check'; stuck? 'drills hint'.")
    if watch:
        from drills.commands.watch import watch_drill
        return watch_drill(store, store.drill(record_id), plan, session)
    return 0


def print_timings(timings: dict[str, float]) -> None:
    from drills.ui import err
    total = 0.0
    for phase, seconds in timings.items():
        total += seconds
        err.print(f"  {phase:<24} {seconds:6.2f} s   (at {total:6.2f} s)")
    err.print(f"  {'total':<24} {total:6.2f} s")


def debug_log() -> None:
    """DRILLS_DEBUG=1: the runtime's debug log (each start phase's time) on stderr."""
    import logging
    import os
    if os.environ.get("DRILLS_DEBUG", "") not in ("", "0"):
        logger = logging.getLogger("drills")
        if not any(getattr(h, "drills_debug", False) for h in logger.handlers):
            handler = logging.StreamHandler()
            handler.drills_debug = True
            handler.setFormatter(logging.Formatter("drills: debug: %(name)s: %(message)s"))
            logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
