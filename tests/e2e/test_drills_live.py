"""Every scenario and every fix of it, against a live cluster.

For each scenario folder found by drills.catalog.discover() and each fix in its
plan: start (fault verified) -> collect -> judged FAIL -> apply the fix ->
evidence changes -> judged as the fix says (pass/fail) -> reset leaves nothing.
New scenarios and fixes are picked up without touching this file.
"""
from __future__ import annotations

import json
import os
import time
import uuid

import pytest

import drills.cluster as cluster
from drills.cluster.objects import is_drill_namespace
from drills.errors import UnsafeTarget
from drills.evidence import namespace_of
from tests.e2e.conftest import wait_until_gone

pytestmark = pytest.mark.cluster

SEEDS = [int(s) for s in (os.environ.get("DRILLS_E2E_SEEDS") or "1").split(",") if s.strip()]
SETTLE_S = 60          # how long controllers get to act on a fix
POLL_S = 1.0


def _cases():
    """(scenario id, seed, fix name or None, problem or None); a scenario that
    cannot even be rendered becomes a failing case instead of breaking collection."""
    from drills import catalog
    from drills.render import render

    try:
        scenarios = catalog.discover()
    except Exception as exc:  # reported by the test, not at collection
        return [pytest.param("(catalog)", 0, None, repr(exc), id="catalog-broken")]
    cases = []
    for sid in sorted(scenarios):
        for seed in SEEDS:
            try:
                fixes = list(render(scenarios[sid], seed).fixes) or [None]
            except Exception as exc:
                cases.append(pytest.param(sid, seed, None, repr(exc), id=f"{sid}-{seed}-unrenderable"))
                continue
            cases += [pytest.param(sid, seed, name, None, id=f"{sid}-{seed}-{name or 'no-fixes'}")
                      for name in fixes]
    return cases


def _cluster_selected(config) -> bool:
    expression = config.option.markexpr or ""
    try:
        from _pytest.mark.expression import Expression
        return Expression.compile(expression).evaluate(lambda name, **_: name == "cluster") \
            if expression else True
    except Exception:  # pytest internals moved: fall back to reading the text
        return "cluster" in expression and "not cluster" not in expression


def pytest_generate_tests(metafunc):
    if metafunc.function.__name__ != "test_scenario_start_fix_and_reset":
        return
    # when the cluster tests are deselected, spare the default run from rendering every scenario
    cases = (_cases() if _cluster_selected(metafunc.config)
             else [pytest.param("(deselected)", 0, None, None, id="deselected")])
    metafunc.parametrize("scenario_id,seed,fix_name,problem", cases)


def plan_for(scenario_id: str, seed: int):
    from drills import catalog
    from drills.render import render
    return render(catalog.get(scenario_id), seed)


def judge_now(session, plan, api_only=False):
    from drills.graders.judge import judge, required_probes
    bundle = cluster.collect_evidence(session, plan, required_probes(plan), api_only=api_only)
    return bundle, judge(plan, bundle)


def explain(report) -> str:
    return "\n".join(f"  {r.status:5} {r.name}: {r.message}" for r in report.results)


def fingerprint(bundle) -> str:
    """What a fix can change: object specs, endpoints and probe outcomes."""
    objects = bundle["objects"]
    picked = {kind: sorted((o["metadata"]["name"], json.dumps(o.get("spec"), sort_keys=True))
                           for o in objects.get(kind, []))
              for kind in ("services", "deployments", "statefulsets", "daemonsets")}
    picked["endpointslices"] = sorted(json.dumps(s.get("endpoints"), sort_keys=True)
                                      for s in objects.get("endpointslices", []))
    picked["probes"] = {k: [a.get("outcome") for a in p.get("attempts") or []]
                        for k, p in bundle["probes"].items()}
    return json.dumps(picked, sort_keys=True)


def settled(report, fix) -> bool:
    if fix.outcome == "pass":
        return report.status == "PASS"
    if report.status != "FAIL" or any(r.status == "ERROR" for r in report.results):
        return False
    diagnosis = report.diagnosis
    return not fix.diagnosis or diagnosis.name == fix.diagnosis or diagnosis.check == fix.diagnosis


def test_scenario_start_fix_and_reset(session, drills_started, scenario_id, seed, fix_name,
                                      problem):
    if problem:
        pytest.fail(f"scenario {scenario_id} (seed {seed}) cannot be rendered: {problem}")
    plan = plan_for(scenario_id, seed)
    drills_started.append(plan)

    started = cluster.start_drill(session, plan)
    assert started["namespace"] == plan.namespace
    broken, report = judge_now(session, plan)
    assert report.status == "FAIL", f"the broken drill should FAIL:\n{explain(report)}"
    assert not [r for r in report.results if r.status == "ERROR"], explain(report)

    if fix_name is not None:
        fix = plan.fixes[fix_name]
        cluster.apply_fix(session, plan, fix)
        deadline = time.monotonic() + SETTLE_S
        streak = 0
        while True:
            bundle, report = judge_now(session, plan)
            # a wrong fix must keep failing the same way, not just fail once mid-rollout
            streak = streak + 1 if settled(report, fix) else 0
            if streak >= (1 if fix.outcome == "pass" else 2) or time.monotonic() > deadline:
                break
            time.sleep(POLL_S)
        want = "PASS" if fix.outcome == "pass" else "FAIL"
        assert settled(report, fix), (
            f"fix {fix_name} ({fix.about}) should end {want}"
            f"{f' with diagnosis {fix.diagnosis}' if fix.diagnosis else ''}; got {report.status} "
            f"(diagnosis {report.diagnosis.name if report.diagnosis else None}):\n{explain(report)}")
        assert fingerprint(bundle) != fingerprint(broken), "the fix changed nothing in the evidence"

    gone = cluster.reset_drills(session, [plan.namespace])
    assert set(gone) == set(plan.namespaces)
    assert wait_until_gone(session, plan.namespaces) == []
    assert plan.namespace not in {d["name"] for d in cluster.list_drills(session)}


def test_ctrl_c_during_start_leaves_nothing_behind(session, drills_started):
    plan = plan_for("selector-mismatch", SEEDS[0] + 1000)
    drills_started.append(plan)
    phases = []

    def interrupt(phase):
        phases.append(phase)
        if phase == "waiting for pods":
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        cluster.start_drill(session, plan, interrupt)
    assert phases == ["creating namespace", "applying objects", "waiting for pods"]
    assert wait_until_gone(session, plan.namespaces) == []


def test_two_drills_at_once_do_not_interfere(session, drills_started):
    first = plan_for("selector-mismatch", SEEDS[0] + 2000)
    second = plan_for("selector-mismatch", SEEDS[0] + 2001)
    assert first.namespace != second.namespace
    drills_started += [first, second]
    cluster.start_drill(session, first)
    cluster.start_drill(session, second)
    listed = {d["name"] for d in cluster.list_drills(session)}
    assert {first.namespace, second.namespace} <= listed

    for plan in (first, second):
        bundle, report = judge_now(session, plan)
        assert report.status == "FAIL", explain(report)
        stray = [o["metadata"]["name"] for kind, items in bundle["objects"].items()
                 if kind != "nodes" for o in items if namespace_of(o) not in plan.namespaces]
        assert stray == [], f"{plan.namespace}'s evidence holds objects of other namespaces"

    fix = next((f for f in first.fixes.values() if f.outcome == "pass"), None)
    if fix is not None:
        cluster.apply_fix(session, first, fix)
        deadline = time.monotonic() + SETTLE_S
        while judge_now(session, first)[1].status != "PASS" and time.monotonic() < deadline:
            time.sleep(POLL_S)
        assert judge_now(session, first)[1].status == "PASS"
        assert judge_now(session, second)[1].status == "FAIL", "fixing one drill fixed the other"

    cluster.reset_drills(session, [first.namespace])
    assert wait_until_gone(session, first.namespaces) == []
    assert session.api.get("namespaces", second.namespace) is not None
    report = judge_now(session, second)[1]
    assert report.status == "FAIL" and "ERROR" not in {r.status for r in report.results}, \
        explain(report)


def test_reset_refuses_a_namespace_without_the_drills_label(session):
    name = f"drills-e2e-plain-{uuid.uuid4().hex[:6]}"
    session.api.create("namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                      "metadata": {"name": name}})
    try:
        with pytest.raises(UnsafeTarget):
            cluster.reset_drills(session, [name])
        assert session.api.get("namespaces", name) is not None
    finally:
        session.api.delete("namespaces", name)


def test_start_refuses_a_foreign_namespace_of_the_same_name(session):
    plan = plan_for("selector-mismatch", SEEDS[0] + 3000)
    session.api.create("namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                      "metadata": {"name": plan.namespace}})
    try:
        with pytest.raises(UnsafeTarget):
            cluster.start_drill(session, plan)
        ns = session.api.get("namespaces", plan.namespace)
        assert ns is not None and not is_drill_namespace(ns)      # untouched
    finally:
        session.api.delete("namespaces", plan.namespace)
        wait_until_gone(session, [plan.namespace])


def test_the_probe_pod_runs_under_restricted_and_answers_quickly(session, drills_started):
    from drills.cluster.objects import PROBE_POD
    from drills.graders.judge import required_probes

    plan = plan_for("selector-mismatch", SEEDS[0] + 4000)
    drills_started.append(plan)
    cluster.start_drill(session, plan)
    ns = session.api.get("namespaces", plan.namespace)
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    pod = session.api.get("pods", PROBE_POD, plan.namespace)
    assert pod["status"]["phase"] == "Running"
    started = time.monotonic()
    bundle = cluster.collect_evidence(session, plan, required_probes(plan), retry_budget=0)
    assert time.monotonic() - started < 10
    for key, result in bundle["probes"].items():
        assert result["error"] is None, f"{key}: {result['error']}"
        assert result["attempts"] or result["unresolved"], key
