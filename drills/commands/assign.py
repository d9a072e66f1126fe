"""drills assign: a short drill code for a class, and the line each learner runs."""
from __future__ import annotations

import click

from drills.commands._common import json_option
from drills.exam import EXAM_TASKS, MAX_TASKS
from drills.render import SEED_MAX


@click.command("assign")
@click.argument("scenario_id", metavar="[SCENARIO]", required=False)
@click.option("--exam", is_flag=True, help="Assign a mock exam instead of one drill.")
@click.option("--count", type=click.IntRange(1, MAX_TASKS), default=EXAM_TASKS, show_default=True,
              help="Tasks of the exam (with --exam).")
@click.option("--seed", type=click.IntRange(0, SEED_MAX), help="Seed (default: random, printed).")
@click.option("--level", help="Difficulty level, for scenarios that declare levels.")
@json_option
def command(scenario_id: str | None, exam: bool, count: int, seed: int | None, level: str | None,
            as_json: bool) -> int:
    """Print a drill code to hand out: every learner starts exactly the same drill or exam."""
    from drills import catalog, codes
    from drills.errors import UsageError
    from drills.render import random_seed
    seed = random_seed() if seed is None else seed
    if exam == bool(scenario_id):
        raise UsageError("name a scenario or pass --exam (one of them)",
                         "e.g. 'drills assign selector-mismatch' or 'drills assign --exam --count 5'")
    scenarios = catalog.discover()
    if exam:
        if level:
            raise UsageError("--level applies to one drill, not to an exam", "leave out --level")
        from drills.exam import compose
        tasks = compose(scenarios, seed, count)          # refuses a count the catalog cannot fill
        code = codes.display(codes.exam_code(count, seed))
        learner = f"drills exam start --code {code}"
        what = f"mock exam of {count} tasks (seed {seed}): " + ", ".join(t.scenario for t in tasks)
        data = {"code": code, "exam": True, "count": count, "seed": seed,
                "tasks": [t.scenario for t in tasks], "learner_runs": learner}
    else:
        scenario = catalog.get(scenario_id)
        codes.short_codes(scenarios)                     # refuses a catalog where codes collide
        code = codes.display(codes.drill_code(scenario, seed, level))
        learner = f"drills start --code {code}"
        what = f"{scenario.id} (seed {seed}{f', level {level}' if level else ''}): {scenario.title}"
        data = {"code": code, "exam": False, "scenario": scenario.id, "seed": seed, "level": level,
                "learner_runs": learner}
    if as_json:
        from drills.ui import print_json
        print_json(data)
        return 0
    from drills.ui import assemble, out, print_command
    out.print(assemble(("Drill code ", ""), (code, "bold"), "  ", what))
    out.print("Each learner runs:")
    print_command(learner)
    out.print("Grade the class later with:")
    print_command("drills grade --contexts 'learner-*' --report class.html")
    return 0
