"""Every scenario, every seed the catalog needs and every declared fix, against a live cluster.

For each scenario folder drills.catalog.discover() finds, the seeds of
tests/e2e/seeds.py (every `choice:` branch and every level at least once; or
DRILLS_E2E_SEEDS=1,2,3 for all levels of those seeds) and each fix in its plan:
start (fault verified) -> judged FAIL -> the fix run as a learner would ->
the verdict settles (a wrong fix must stay wrong >= 10 s, 3 identical verdicts in a
row) -> judged as declared -> reset leaves nothing. Everything goes through
drills.lifecycle, the code the CLI runs. With --record DIR every bundle is saved
(broken, each fix, and one infrastructure-error case per scenario).
"""
from __future__ import annotations

import json
import os
import time
import uuid

import pytest

from drills import lifecycle
from drills.cluster.objects import PROBE_CONTAINER, PROBE_POD, is_drill_namespace
from drills.errors import UnsafeTarget
from drills.evidence import namespace_of
from drills.graders.judge import broken_state_shown
from tests.e2e.conftest import wait_until_gone
from tests.e2e.record import BROKEN, INFRA_ERROR

pytestmark = pytest.mark.cluster

UNAVAILABLE_IMAGE = "drills.invalid/unavailable:0"   # .invalid never resolves: the pull fails
INFRA_WAIT_S = 60
POLL_S = 1.0


def seeds_for(scenario) -> list[tuple[int, str | None]]:
    env = [int(s) for s in (os.environ.get("DRILLS_E2E_SEEDS") or "").split(",") if s.strip()]
    if env:
        return [(seed, level) for seed in env for level in [None, *(scenario.meta.get("levels") or {})]]
    from tests.e2e.seeds import choose_seeds
    return choose_seeds(scenario)


def _cases():
    """(scenario id, seed, level, fix name or None, problem or None); a scenario that
    cannot even be rendered becomes a failing case instead of breaking collection."""
    from drills import catalog

    try:
        scenarios = catalog.discover()
    except Exception as exc:  # reported by the test, not at collection
        return [pytest.param("(catalog)", 0, None, None, repr(exc), id="catalog-broken")]
    cases = []
    for sid in sorted(scenarios):
        try:
            runs = seeds_for(scenarios[sid])
        except Exception as exc:
            cases.append(pytest.param(sid, 0, None, None, repr(exc), id=f"{sid}-no-seeds"))
            continue
        for seed, level in runs:
            name = f"{sid}-seed{seed}{f'-{level}' if level else ''}"
            try:
                fixes = list(lifecycle.prepare(sid, seed, level).fixes) or [None]
            except Exception as exc:
                cases.append(pytest.param(sid, seed, level, None, repr(exc), id=f"{name}-unrenderable"))
                continue
            recording = first_valid_fix(lifecycle.prepare(sid, seed, level))
            # the drill's own cases (broken, infra-error) are recorded in the run of its
            # reference fix, so `-k '<id> and seed<N> and broken'` selects that run
            cases += [pytest.param(sid, seed, level, fix, None, id=f"{name}-{fix or 'no-fixes'}"
                                   f"{f'-{BROKEN}-{INFRA_ERROR}' if recording and fix == recording.name else ''}")
                      for fix in fixes]
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
             else [pytest.param("(deselected)", 0, None, None, None, id="deselected")])
    metafunc.parametrize("scenario_id,seed,level,fix_name,problem", cases)


def plan_for(scenario_id: str, seed: int, level: str | None = None):
    return lifecycle.prepare(scenario_id, seed, level)


def judge_now(session, plan, api_only=False):
    bundle = lifecycle.collect(session, plan, api_only=api_only)
    return bundle, lifecycle.judge(plan, bundle)


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


def as_declared(report, fix) -> bool:
    if fix.outcome == "pass":
        return report.status == "PASS"
    if report.status != "FAIL" or any(r.status == "ERROR" for r in report.results):
        return False
    # by name, as the fairness plugin judges the recording (a check used twice has two names)
    return not fix.diagnosis or (report.diagnosis is not None and report.diagnosis.name == fix.diagnosis)


def first_valid_fix(plan):
    return plan.fixes.get("reference") or next((f for f in plan.fixes.values()
                                                if f.outcome == "pass"), None)


class Case:
    """Times and records one drill's cases (broken, a fix, infra-error)."""

    def __init__(self, session, plan, recorder):
        self.session, self.plan, self.recorder = session, plan, recorder
        self.began = time.monotonic()
        self.start_s = None
        self.scenario_hash = lifecycle.scenario_hash(plan.scenario)

    def save(self, case, declared, diagnosis=None, fix=None, bundle=None, report=None, error=None):
        if self.recorder is None:
            return
        if case == INFRA_ERROR and not self.recorder.wants_infra_error(self.plan.scenario, self.plan.seed,
                                                                       self.plan.level):
            return      # checked live all the same; the recordings keep one per scenario
        if case == BROKEN:
            declared = None     # as in tests/fixtures/recorded: no fix declares the broken state
        from drills.fingerprint import fix_digest
        from tests.e2e.record import index_row
        row = index_row(plan=self.plan, case=case, declared=declared, declared_diagnosis=diagnosis,
                        report=report, fix_hash=fix_digest(fix) if fix is not None else None,
                        scenario_hash=self.scenario_hash, session=self.session,
                        start_s=self.start_s, took_s=time.monotonic() - self.began, error=error,
                        bundle=bundle)
        self.recorder.save(row, bundle)


def make_probes_unavailable(session, plan) -> None:
    """Infrastructure trouble no learner causes: every probe pod's image cannot be pulled."""
    for ns in plan.namespaces:
        session.api.patch("pods", PROBE_POD, [{"op": "replace", "path": "/spec/containers/0/image",
                                              "value": UNAVAILABLE_IMAGE}], ns, patch_type="json")
    deadline = time.monotonic() + INFRA_WAIT_S
    while time.monotonic() < deadline:
        pods = [session.api.get("pods", PROBE_POD, ns) for ns in plan.namespaces]
        if all(not ((cs.get("state") or {}).get("running"))
               for pod in pods for cs in (pod or {}).get("status", {}).get("containerStatuses") or []
               if cs.get("name") == PROBE_CONTAINER):
            return
        time.sleep(POLL_S)
    pytest.fail(f"the probe pods kept running {INFRA_WAIT_S} s after their image was made unavailable")


def test_scenario_start_fix_and_reset(session, drills_started, recorder, scenario_id, seed, level,
                                      fix_name, problem):
    if problem:
        pytest.fail(f"scenario {scenario_id} (seed {seed}) cannot be run: {problem}")
    plan = plan_for(scenario_id, seed, level)
    drills_started.append(plan)
    case = Case(session, plan, recorder)
    fix = plan.fixes.get(fix_name) if fix_name else None
    records_drill = fix is None or fix is first_valid_fix(plan)

    started = lifecycle.deploy(session, plan)
    case.start_s = time.monotonic() - case.began
    assert started["namespace"] == plan.namespace
    broken, report = judge_now(session, plan)
    if records_drill:
        case.save(BROKEN, None, bundle=broken, report=report)
    assert report.status == "FAIL", f"the broken drill should FAIL:\n{explain(report)}"
    assert not [r for r in report.results if r.status == "ERROR"], explain(report)
    # as the fairness plugin judges the broken recording: diagnosed by no check `broken:` says
    # passes, and showing the fault as `broken:` declares
    assert report.diagnosis.name not in plan.broken_pass, explain(report)
    shown, why = broken_state_shown(plan, broken)
    assert shown, f"the broken state does not show as `broken:` declares: {why}"

    if fix is not None:
        try:
            lifecycle.apply_fix(session, plan, fix)
        except Exception as exc:
            case.save(fix.name, fix.outcome, fix.diagnosis, fix=fix, error=f"{type(exc).__name__}: {exc}")
            raise
        bundle, report, verdicts = lifecycle.settle(session, plan)
        case.save(fix.name, fix.outcome, fix.diagnosis, fix=fix, bundle=bundle, report=report)
        want = "PASS" if fix.outcome == "pass" else "FAIL"
        assert as_declared(report, fix), (
            f"fix {fix_name} ({fix.about}) should end {want}"
            f"{f' with diagnosis {fix.diagnosis}' if fix.diagnosis else ''}; got {report.status} "
            f"(diagnosis {report.diagnosis.name if report.diagnosis else None}; verdicts {verdicts})"
            f":\n{explain(report)}")
        assert fingerprint(bundle) != fingerprint(broken), "the fix changed nothing in the evidence"
        if records_drill and fix.outcome == "pass":
            make_probes_unavailable(session, plan)
            bundle, report = judge_now(session, plan)
            case.save(INFRA_ERROR, "error", bundle=bundle, report=report)
            # as the fairness plugin judges the recording: ERROR, and no check FAIL beside it
            assert report.status == "ERROR" and "FAIL" not in {r.status for r in report.results}, \
                f"unavailable probe pods are infrastructure trouble, never FAIL:\n{explain(report)}"

    gone = lifecycle.reset(session, [plan.namespace])
    assert set(gone) == set(plan.namespaces)
    assert wait_until_gone(session, plan.namespaces) == []
    from drills.cluster import list_drills
    assert plan.namespace not in {d["name"] for d in list_drills(session)}


def test_ctrl_c_during_start_leaves_nothing_behind(session, drills_started):
    plan = plan_for("selector-mismatch", 1001)
    drills_started.append(plan)
    phases = []

    def interrupt(phase):
        phases.append(phase)
        if phase == "waiting for pods":
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        lifecycle.deploy(session, plan, interrupt)
    # a namespace of an earlier, aborted run may still be terminating: start waits it out first
    assert [p for p in phases if not p.startswith("waiting for namespace")] == \
        ["creating namespace", "applying objects", "waiting for pods"]
    assert wait_until_gone(session, plan.namespaces) == []


def test_two_drills_at_once_do_not_interfere(session, drills_started):
    first = plan_for("selector-mismatch", 2000)
    second = plan_for("selector-mismatch", 2001)
    assert first.namespace != second.namespace
    drills_started += [first, second]
    lifecycle.deploy(session, first)
    lifecycle.deploy(session, second)
    from drills.cluster import list_drills
    listed = {d["name"] for d in list_drills(session)}
    assert {first.namespace, second.namespace} <= listed

    for plan in (first, second):
        bundle, report = judge_now(session, plan)
        assert report.status == "FAIL", explain(report)
        stray = [o["metadata"]["name"] for kind, items in bundle["objects"].items()
                 if kind != "nodes" for o in items if namespace_of(o) not in plan.namespaces]
        assert stray == [], f"{plan.namespace}'s evidence holds objects of other namespaces"

    fix = next((f for f in first.fixes.values() if f.outcome == "pass"), None)
    if fix is not None:
        lifecycle.apply_fix(session, first, fix)
        assert lifecycle.settle(session, first)[1].status == "PASS"
        assert judge_now(session, second)[1].status == "FAIL", "fixing one drill fixed the other"

    lifecycle.reset(session, [first.namespace])
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
            lifecycle.reset(session, [name])
        assert session.api.get("namespaces", name) is not None
    finally:
        session.api.delete("namespaces", name)


def test_start_refuses_a_foreign_namespace_of_the_same_name(session):
    plan = plan_for("selector-mismatch", 3000)
    session.api.create("namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                      "metadata": {"name": plan.namespace}})
    try:
        with pytest.raises(UnsafeTarget):
            lifecycle.deploy(session, plan)
        ns = session.api.get("namespaces", plan.namespace)
        assert ns is not None and not is_drill_namespace(ns)      # untouched
    finally:
        session.api.delete("namespaces", plan.namespace)
        wait_until_gone(session, [plan.namespace])


def test_the_probe_pod_runs_under_restricted_and_answers_quickly(session, drills_started):
    plan = plan_for("selector-mismatch", 4000)
    drills_started.append(plan)
    lifecycle.deploy(session, plan)
    ns = session.api.get("namespaces", plan.namespace)
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    pod = session.api.get("pods", PROBE_POD, plan.namespace)
    assert pod["status"]["phase"] == "Running"
    started = time.monotonic()
    bundle = lifecycle.collect(session, plan, retry_budget=0)
    assert time.monotonic() - started < 10
    for key, result in bundle["probes"].items():
        assert result["error"] is None, f"{key}: {result['error']}"
        assert result["attempts"] or result["unresolved"], key
