"""Bar every scenario folder must meet, whoever wrote it (parametrised over the catalog)."""
import pytest

from drills import catalog
from drills.graders.judge import required_probes, validate_plan
from drills.render import render

SEEDS = range(200)
SCENARIOS = sorted(catalog.discover())


@pytest.fixture(scope="module", params=SCENARIOS)
def scenario(request):
    return catalog.get(request.param)


def test_two_hundred_seeds_render_valid_plans(scenario):
    namespaces = set()
    for seed in SEEDS:
        plan = render(scenario, seed)  # raises BadScenarioPack on any invalid object
        validate_plan(plan)            # every check exists and takes its arguments
        required_probes(plan)
        namespaces.add(plan.namespace)
        assert plan.namespace in plan.task, f"{scenario.id} seed {seed}: task does not name its namespace"
    assert len(namespaces) == len(SEEDS)


def test_levels_render_too(scenario):
    for level in scenario.meta.get("levels") or {}:
        for seed in range(50):
            validate_plan(render(scenario, seed, level=level))


def test_fixes_meet_the_fairness_bar(scenario):
    plan = render(scenario, 1)
    passing = [f for f in plan.fixes.values() if f.outcome == "pass"]
    failing = [f for f in plan.fixes.values() if f.outcome == "fail"]
    assert len(passing) >= 3, f"{scenario.id}: a reference fix and at least two other valid fixes"
    assert len(failing) >= 3, f"{scenario.id}: at least three plausible wrong fixes"
    names = {c.name for c in plan.checks}
    for fix in failing:
        assert fix.diagnosis in names, f"{scenario.id} fix {fix.name}: diagnosis must name a check"
    assert "reference" in plan.fixes and plan.fixes["reference"].outcome == "pass"


def test_broken_state_is_described_by_checks(scenario):
    plan = render(scenario, 1)
    names = {c.name for c in plan.checks}
    assert set(plan.broken_pass + plan.broken_fail) <= names
    assert plan.broken_fail, "the fault must make at least one check fail"
