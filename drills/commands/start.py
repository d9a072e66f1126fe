"""drills start: deploy a broken setup, prove the fault, start the clock."""
from __future__ import annotations

import click

from drills.commands._common import connect, context_option, open_store
from drills.render import SEED_MAX


@click.command("start")
@click.argument("scenario_id", metavar="SCENARIO")
@click.option("--seed", type=click.IntRange(0, SEED_MAX), help="Reproduce a drill (default: random).")
@click.option("--level", help="Difficulty level, for scenarios that declare levels.")
@click.option("--watch", is_flag=True, help="Keep a live clock and stop it the moment the fix works.")
@context_option
def command(scenario_id: str, seed: int | None, level: str | None, watch: bool,
            context_flag: str | None) -> int:
    """Start a drill: deploy the broken setup and print the task."""
    from drills import catalog
    from drills.config import chosen_context
    from drills.graders.judge import validate_plan
    from drills.render import random_seed, render
    from drills.ui import assemble, err, out, print_command, print_plain, progress_of

    plan = render(catalog.get(scenario_id), random_seed() if seed is None else seed, level=level)
    validate_plan(plan)
    store = open_store()   # fail on a broken store before touching the cluster
    context, explicit = chosen_context(context_flag)

    from drills import cluster
    with err.status("checking the cluster") as spinner:
        if not explicit and not cluster.cluster_status().get("exists"):
            spinner.update("creating the kind cluster 'drills' (first run takes a minute or two)")
            cluster.cluster_up(progress=progress_of(spinner))
        session = connect(context_flag)
        progress_of(spinner)(f"starting {plan.scenario} (seed {plan.seed})")
        result = cluster.start_drill(session, plan, progress=progress_of(spinner))
    for stale in store.open_drills(context):
        if stale.namespace == plan.namespace:   # its namespace was deleted by hand: close it
            store.end(stale.id)
    record_id = store.add_drill(plan.identity(), context, plan.target_minutes, result["verified_at"])

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
