"""Bar every scenario folder must meet, whoever wrote it (parametrised over the catalog)."""
import json
import shlex

import pytest
import yaml

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


def test_hints_and_solution_are_exam_ready(scenario):
    for seed in range(0, 200, 8):
        plan = render(scenario, seed)
        assert 2 <= len(plan.hints) <= 4, f"{scenario.id}: two to four hints"
        assert any("kubectl" in h for h in plan.hints[:2]), "an early hint names the revealing command"
        where = plan.namespaces + (["kube-system"] if plan.cluster_wide else [])
        assert any(ns in s for s in plan.solution for ns in where), "the solution names where it works"


def test_hints_and_solutions_never_start_pods_podsecurity_refuses(scenario):
    """Drill namespaces enforce PodSecurity `restricted`, so a `kubectl run tmp --image=busybox --rm -it`
    pod is Forbidden there; probe from drills' own probe pod instead (kubectl exec drills-probe -- ...)."""
    import re
    starts_pod = re.compile(r"kubectl\s(?:[^;|#]*\s)?run\s")
    for seed in range(0, 200, 8):
        plan = render(scenario, seed)
        for text in plan.hints + plan.solution:
            assert not starts_pod.search(text), f"{scenario.id} seed {seed}: {text}"


def test_fix_steps_are_well_formed_commands(scenario):
    """The runner adds kubectl, --context and -n itself; apply steps are named objects."""
    for seed in range(0, 200, 8):
        plan = render(scenario, seed)
        for fix in plan.fixes.values():
            for step in fix.steps:
                (verb, text), = step.items()
                if verb == "wait":
                    continue
                assert "{{" not in text and "{%" not in text
                if verb == "kubectl":
                    args = shlex.split(text)
                    assert args[0] != "kubectl", "the runner adds kubectl, context and namespace"
                    ns = args[args.index("-n") + 1] if "-n" in args else plan.namespace
                    assert ns in plan.namespaces or (plan.cluster_wide and ns == "kube-system")
                    if "-p" in args:
                        json.loads(args[args.index("-p") + 1])
                elif verb == "apply":
                    docs = [d for d in yaml.safe_load_all(text) if d]
                    assert docs and all(d.get("metadata", {}).get("name") for d in docs)


def test_same_seed_same_drill(scenario):
    a, b = render(scenario, 77), render(scenario, 77)
    assert (a.task, a.manifests_yaml(), a.hints, a.solution) == (b.task, b.manifests_yaml(), b.hints,
                                                                 b.solution)
