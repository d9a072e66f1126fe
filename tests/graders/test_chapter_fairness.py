"""Fairness of the chapter scenarios, judged on bundles derived from a real cluster
(tests/fixtures/bundles/build_chapter.py writes them).

For each scenario: the broken state FAILS with the right diagnosis, the
reference fix PASSES, at least two other valid fixes PASS, at least three
plausible wrong fixes FAIL with a helpful message, infrastructure trouble is
ERROR (never FAIL), and every fix of the scenario's `fixes:` has an offline
twin (a bundle named like the fix, or <fix>-<variant> when the scenario draws
more than one broken state) with the same outcome and diagnosis.
"""
from __future__ import annotations

import copy
import importlib.util
import json
import sys
from functools import lru_cache

import pytest

from drills import catalog
from drills.graders.judge import broken_state_shown, judge
from drills.graders.registry import ERROR, FAIL, PASS
from tests.fixtures import bundles as B
from drills.render import render
from tests.graders.kit import cases, judged, plan_for

CHAPTER = ["port-targetport-swap", "expose-deployment", "expose-nodeport-fixed", "headless-statefulset",
           "externalname-alias", "loadbalancer-nodeport", "dns-cross-namespace"]
PATHS = sorted(p for s in CHAPTER for p in (B.BUNDLES / s).glob("*.json"))


@lru_cache(maxsize=None)
def load_builder():
    spec = importlib.util.spec_from_file_location("build_chapter", B.BUNDLES / "build_chapter.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module   # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def twins(found: dict, fix: str) -> list[str]:
    """Bundles standing for one fix: <fix>, or <fix>-<broken variant> for each variant."""
    return [n for n in found if n == fix or (n.startswith(f"{fix}-") and n[len(fix) + 1:] in
                                              {b[len("broken-"):] for b in found if b.startswith("broken-")})]


def test_every_chapter_scenario_has_bundles():
    assert {p.parent.name for p in PATHS} == set(CHAPTER)


@pytest.mark.parametrize("scenario", CHAPTER)
def test_scenario_meets_the_fairness_bar(scenario):
    found = cases(scenario)
    broken = [n for n in found if n == "broken" or n.startswith("broken-")]
    assert broken
    for name in broken:
        outcome, b = found[name]
        assert outcome == "FAILED"
        shown, why = broken_state_shown(plan_for(b), b)
        assert shown, f"{name}: {why}"
    references = twins(found, "reference")
    assert references
    for name in references:
        outcome, b = found[name]
        assert outcome == "PASSED"
        assert not broken_state_shown(plan_for(b), b)[0]
    fixes = plan_for(found[references[0]][1]).fixes
    valid = [n for n, f in fixes.items() if f.outcome == "pass" and n != "reference"]
    wrong = [n for n, f in fixes.items() if f.outcome == "fail"]
    assert len(valid) >= 2 and len(wrong) >= 3
    assert sum(outcome == "ERROR" for outcome, _ in found.values()) >= 1


@pytest.mark.parametrize("scenario", CHAPTER)
def test_every_declared_fix_has_its_offline_twin(scenario):
    found = cases(scenario)
    plan = plan_for(found[twins(found, "reference")[0]][1])
    for name, fix in plan.fixes.items():
        names = twins(found, name)
        assert names, f"{scenario}: fix {name} has no bundle under {B.BUNDLES / scenario}"
        for twin in names:
            outcome, b = found[twin]
            assert outcome == {"pass": "PASSED", "fail": "FAILED"}[fix.outcome], twin
            if fix.outcome == "fail":
                assert b["fixture"]["diagnosis"] == fix.diagnosis, twin
                assert judged(b).diagnosis.name == fix.diagnosis, twin


@pytest.mark.parametrize("path", [p for p in PATHS if B.outcome_of(p) == "PASSED"],
                         ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_infrastructure_trouble_is_error_never_fail(path):
    b = B.load(path)
    down = copy.deepcopy(b)
    down["probes"] = B.probe_error(b["probes"])
    assert judged(down).status == ERROR
    for kind in ("pods", "endpointslices", "services", "deployments", "statefulsets", "nodes"):
        missing = copy.deepcopy(b)
        missing["objects"].pop(kind)
        missing["errors"] = [{"source": kind, "message": "Forbidden"}]
        report = judged(missing)
        assert report.status in (ERROR, PASS), (kind, report.diagnosis.message)
        assert FAIL not in {r.status for r in report.results}, kind


def test_a_probe_without_target_fails_rather_than_errors():
    """`unresolved` means the learner's objects gave no target: that is a FAIL."""
    _, b = cases("loadbalancer-nodeport")["broken"]
    report = judged(b)
    assert report.by_name("reach.http-all-backends").status == FAIL
    assert "does not exist" in report.by_name("reach.http-all-backends").observed


def test_committed_bundles_are_what_the_generator_writes():
    files = load_builder().build_all()
    for path, text in files.items():
        assert path.read_text() == text, f"{path} is stale: run python {B.BUNDLES}/build_chapter.py"
    assert set(files) == set(PATHS)


# --- generated multi-fault variants ------------------------------------------------------

MULTI = "service-multi-fault"
# Where each fault first shows on the troubleshooting path, in path order.
FIRST_FAILING = {"nodeport": "service.exists", "notready": "pods.ready",
                 "selector": "service.selector-matches-pods", "targetport": "service.target-port-resolves"}
REPAIR = {   # one kubectl command per fault, as a learner would type it
    "nodeport": lambda p: ["patch", "svc", p["svc_name"], "--type", "json", "-p", json.dumps(
        [{"op": "replace", "path": "/spec/type", "value": "NodePort"},
         {"op": "add", "path": "/spec/ports/0/nodePort", "value": p["node_port"]}])],
    "notready": lambda p: ["patch", "deployment", p["app"], "--type", "json", "-p", json.dumps(
        [{"op": "replace", "path": "/spec/template/spec/containers/0/readinessProbe/httpGet/path",
          "value": "/"}])],
    "selector": lambda p: ["patch", "svc", p["svc_name"], "--type", "json", "-p", json.dumps(
        [{"op": "replace", "path": "/spec/selector", "value": {p["label_key"]: p["app"]}}])],
    "targetport": lambda p: ["patch", "svc", p["svc_name"], "--type", "json", "-p", json.dumps(
        [{"op": "replace", "path": "/spec/ports/0/targetPort", "value": p["container_port"]}])],
}
LEVEL_SEEDS = {None: range(0, 40), "double": range(0, 60), "triple": range(0, 60)}


@lru_cache(maxsize=None)
def multi_plan(seed: int, level: str | None):
    return render(catalog.get(MULTI), seed, level=level)


def multi_cases():
    return [(level, seed) for level, seeds in LEVEL_SEEDS.items() for seed in seeds]


@pytest.mark.parametrize("level", list(LEVEL_SEEDS), ids=str)
def test_multi_fault_broken_state_fails_at_its_first_broken_link(level):
    builder = load_builder()
    for seed in LEVEL_SEEDS[level]:
        plan = multi_plan(seed, level)
        faults = plan.params["faults"].split("+")
        bundle = builder.evidence_for(plan, builder.World.deployed(plan), f"as deployed: {faults}")
        report = judge(plan, bundle)
        first = next(f for f in FIRST_FAILING if f in faults)
        assert report.status == FAIL and report.diagnosis.name == FIRST_FAILING[first], (
            seed, faults, report.diagnosis.message)
        assert "kubectl" in report.diagnosis.hint
        shown, why = broken_state_shown(plan, bundle)
        assert shown, (seed, faults, why)


@pytest.mark.parametrize("level", list(LEVEL_SEEDS), ids=str)
def test_multi_fault_diagnosis_moves_along_the_path_as_faults_are_fixed(level):
    builder = load_builder()
    for seed in LEVEL_SEEDS[level]:
        plan = multi_plan(seed, level)
        names = [c.name for c in plan.checks]
        world = builder.World.deployed(plan)
        faults = [f for f in FIRST_FAILING if f in plan.params["faults"].split("+")]
        seen = []
        for fault in faults:
            report = judge(plan, builder.evidence_for(plan, world, "partly repaired"))
            seen.append(names.index(report.diagnosis.name))
            world.kubectl(REPAIR[fault](plan.params), plan.namespace)
        assert seen == sorted(set(seen)), (seed, faults, seen)
        assert judge(plan, builder.evidence_for(plan, world, "every fault repaired")).status == PASS


@pytest.mark.parametrize("level", list(LEVEL_SEEDS), ids=str)
def test_multi_fault_declared_fixes_hold_for_every_combination(level):
    """The combined reference fix and the other valid fixes pass, the wrong ones fail
    with their diagnosis, whatever faults the seed drew."""
    builder = load_builder()
    for seed in LEVEL_SEEDS[level][::3]:
        plan = multi_plan(seed, level)
        for fix in plan.fixes.values():
            world = builder.World.deployed(plan)
            world.run_fix(plan, fix)
            report = judge(plan, builder.evidence_for(plan, world, f"fix {fix.name}"))
            if fix.outcome == "pass":
                assert report.status == PASS, (seed, plan.params["faults"], fix.name,
                                               report.diagnosis and report.diagnosis.message)
            else:
                assert report.status == FAIL and report.diagnosis.name == fix.diagnosis, (
                    seed, plan.params["faults"], fix.name, report.diagnosis.message)


def test_multi_fault_infrastructure_trouble_is_error():
    builder = load_builder()
    plan = multi_plan(2, "triple")
    world = builder.World.deployed(plan)
    world.run_fix(plan, plan.fixes["reference"])
    bundle = builder.evidence_for(plan, world, "repaired, probe pod down")
    bundle["probes"] = B.probe_error(bundle["probes"])
    report = judge(plan, bundle)
    assert report.status == ERROR and FAIL not in {r.status for r in report.results}
