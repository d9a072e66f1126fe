"""drills solution: the reference solution of the active drill (recorded as viewed)."""
from __future__ import annotations

import click

from drills.commands._common import context_option, drill_plan, open_store, pick_drill


@click.command("solution")
@click.argument("drill", required=False)
@context_option
def command(drill: str | None, context_flag: str | None) -> int:
    """Print the reference solution; the drill is then no longer a clean solve."""
    from drills.config import chosen_context
    from drills.ui import assemble, out, print_advice
    store = open_store()
    record = pick_drill(store, chosen_context(context_flag)[0], drill)
    plan = drill_plan(record)
    store.add_help(record.id, "solution")
    out.print(assemble((f"Reference solution for {plan.scenario}", "bold"), " (recorded as viewed):"))
    for number, step in enumerate(plan.solution, start=1):
        print_advice(f"{number}.", step, label_style="")
    return 0
