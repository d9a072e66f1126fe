"""drills render: the task and exact manifests of a drill, without a cluster."""
from __future__ import annotations

import click

from drills.render import SEED_MAX


@click.command("render")
@click.argument("scenario_id", metavar="SCENARIO")
@click.option("--seed", type=click.IntRange(0, SEED_MAX), help="Reproduce a drill (default: a random seed, printed).")
@click.option("--namespace", help="Namespace to render for (default: drill-<scenario>-<seed>).")
@click.option("--level", help="Difficulty level, for scenarios that declare levels.")
def command(scenario_id: str, seed: int | None, namespace: str | None, level: str | None) -> int:
    """Print a drill's task text and manifests (YAML); no cluster needed."""
    import sys

    from drills import catalog
    from drills.render import random_seed, render
    scenario = catalog.get(scenario_id)
    seed = random_seed() if seed is None else seed
    plan = render(scenario, seed, namespace=namespace, level=level)
    import textwrap

    from drills.ui import inert
    task = "\n".join("\n".join(f"# {w}" for w in textwrap.wrap(line, 76, break_on_hyphens=False,
                                                                break_long_words=False)) or "#"
                     for line in inert(plan.task, limit=None, newlines=True).splitlines())
    sys.stdout.write(f"# drills {plan.scenario} --seed {plan.seed}"
                     f"{f' --level {level}' if level else ''} (namespace {plan.namespace})\n"
                     f"#\n{task}\n---\n{plan.manifests_yaml()}")
    return 0
