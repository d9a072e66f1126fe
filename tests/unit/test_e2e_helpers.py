"""The end-to-end suite's offline parts: the seed chooser, record mode's writer and
the settle window (the suite itself needs a cluster: pytest -m cluster)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from drills import catalog, lifecycle
from tests.e2e import record as R
from tests.e2e.seeds import choice_branches, choose_seeds, levels_of

RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "recorded"
SHARED_LAYOUT = RECORDED / "selector-mismatch" / "seed1-broken.json"


# --- seeds ----------------------------------------------------------------------------

@pytest.mark.parametrize("scenario_id", sorted(catalog.discover()))
def test_chosen_seeds_draw_every_choice_branch_and_every_level(scenario_id):
    scenario = catalog.get(scenario_id)
    runs = choose_seeds(scenario)
    drawn = set()
    for seed, level in runs:
        plan = lifecycle.prepare(scenario_id, seed, level)
        drawn |= {(name, json.dumps(plan.params[name], sort_keys=True))
                  for name, _ in choice_branches(scenario.meta)}
    assert choice_branches(scenario.meta) <= drawn
    assert {level for _, level in runs} == set(levels_of(scenario.meta))
    assert runs == choose_seeds(scenario)                      # computed, and stable
    assert len(runs) == len(set(runs))


def test_selector_mismatch_runs_its_key_typo_variant():
    """The issue's example: only seed 1 ran, so fault=key never ran live."""
    faults = {lifecycle.prepare("selector-mismatch", seed).params["fault"]
              for seed, _ in choose_seeds(catalog.get("selector-mismatch"))}
    assert faults == {"value", "key"}


def test_a_branch_no_seed_draws_is_reported():
    scenario = catalog.get("selector-mismatch")
    meta = {**scenario.meta, "parameters": {**scenario.meta["parameters"],
                                            "fault": {"choice": ["value", "key", "never"]}}}
    fake = SimpleNamespace(id="selector-mismatch", meta=meta, folder=scenario.folder)

    from drills.render import render as real_render

    def render(s, seed, level=None, overrides=None):
        return real_render(scenario, seed, level=level, overrides=overrides)
    with pytest.raises(ValueError, match='fault="never"'):
        choose_seeds(fake, render=render, max_seed=20)


def test_every_declared_fix_runs_even_one_only_some_variants_have():
    runs = choose_seeds(catalog.get("selector-mismatch"))
    ran = {name for seed, level in runs for name in lifecycle.prepare("selector-mismatch", seed, level).fixes}
    assert ran == set(catalog.get("selector-mismatch").meta["fixes"])
    assert "apply-keeps-mistyped-key" in ran and "apply-file" in ran


def test_a_branch_counts_only_where_it_changes_the_drill():
    """service-multi-fault draws `two_faults` at every level but uses it only at level double:
    each of its branches must run at that level (and `bad_path` only with a NotReady fault)."""
    meta = catalog.get("service-multi-fault").meta
    plans = [lifecycle.prepare("service-multi-fault", seed, level)
             for seed, level in choose_seeds(catalog.get("service-multi-fault"))]
    at = {level: {p.params["faults"] for p in plans if p.level == level} for level in ("double", "triple")}
    assert at["double"] == set(meta["parameters"]["two_faults"]["choice"])
    assert at["triple"] == set(meta["parameters"]["three_faults"]["choice"])
    assert {p.params["bad_path"] for p in plans if "notready" in p.params["faults"]} == \
        set(meta["parameters"]["bad_path"]["choice"])


# --- record mode's writer --------------------------------------------------------------

class FakeReport:
    def __init__(self, status, diagnosis=None):
        self.status = status
        self.results = [SimpleNamespace(name="service.exists", status="PASS"),
                        SimpleNamespace(name="service.selector-matches-pods", status=status)]
        self.diagnosis = SimpleNamespace(name=diagnosis) if diagnosis else None


def fake_bundle(plan) -> dict:
    """Hand-made: a collected bundle's shape, not evidence of any state."""
    return {"kind": "drills.evidence", "version": 1, "drill": plan.identity(), "context": "kind-drills",
            "collected_at": "2026-12-01T20:00:00Z",
            "cluster": {"version": {"gitVersion": "v1.32.13"}},
            "objects": {"nodes": [{"metadata": {"name": n}} for n in ("a", "b", "c")]},
            "probes": {}, "errors": []}


def row_for(plan, case, report, fix=None, declared="fail", error=None, bundle=None):
    from drills.fingerprint import fix_digest
    return R.index_row(plan=plan, case=case, declared=declared,
                       declared_diagnosis=fix.diagnosis if fix else None, report=report,
                       fix_hash=fix_digest(fix) if fix else None,
                       scenario_hash=lifecycle.scenario_hash(plan.scenario),
                       session=SimpleNamespace(version={"gitVersion": "v1.32.13"}),
                       start_s=2.345, took_s=10.0, error=error, bundle=bundle,
                       recorded_at="2026-12-01T20:00:01Z")


def test_the_writer_uses_the_shared_names_layout_and_index_fields(tmp_path):
    plan = lifecycle.prepare("selector-mismatch", 3)
    fix = plan.fixes["legacy-pods"]
    bundle = fake_bundle(plan)
    key = R.Recorder(tmp_path).save(row_for(plan, fix.name, FakeReport("FAIL", fix.diagnosis), fix,
                                            bundle=bundle), bundle)
    assert key == "selector-mismatch/seed3-legacy-pods"
    written = (tmp_path / "selector-mismatch" / "seed3-legacy-pods.json").read_text()
    assert json.loads(written) == bundle
    # the recordings' own layout (one-space indent, sorted keys, no final newline)
    shared = SHARED_LAYOUT.read_text()
    assert R.dumps(json.loads(shared)) == shared and R.dumps(bundle) == written
    index = json.loads((tmp_path / "INDEX.json").read_text())
    assert R.dumps_index(index) == (tmp_path / "INDEX.json").read_text()
    row = index[key]
    shared_fields = {"case", "scenario", "seed", "declared", "declared_diagnosis", "judged",
                     "diagnosis", "results", "start_s", "took_s", "error"}
    assert shared_fields | {"level", "fix_hash", "scenario_hash", "drills_version",
                            "cluster_version", "nodes", "recorded_at"} == set(row)
    assert row["judged"] == "FAIL" and row["diagnosis"] == fix.diagnosis
    assert row["results"] == [["service.exists", "PASS"], ["service.selector-matches-pods", "FAIL"]]
    assert row["fix_hash"].startswith("sha256:") and row["nodes"] == 3
    assert row["cluster_version"] == "v1.32.13" and row["start_s"] == 2.35 and row["level"] is None


def test_levelled_drills_put_the_level_in_the_name(tmp_path):
    plan = lifecycle.prepare("service-multi-fault", 1, "double")
    bundle = fake_bundle(plan)
    key = R.Recorder(tmp_path).save(row_for(plan, R.BROKEN, FakeReport("FAIL"), bundle=bundle), bundle)
    assert key == "service-multi-fault/seed1-double-broken"
    assert (tmp_path / "service-multi-fault" / "seed1-double-broken.json").is_file()
    assert json.loads((tmp_path / "INDEX.json").read_text())[key]["level"] == "double"


def test_an_existing_index_is_merged_into(tmp_path):
    shutil.copy(RECORDED.parent / "recorded" / "selector-mismatch" / "seed1-broken.json",
                tmp_path / "keep.json")
    existing = {"selector-mismatch/seed1-reference": {"case": "reference", "judged": "PASS"},
                "selector-mismatch/seed1-broken": {"case": "broken", "judged": "old"}}
    (tmp_path / "INDEX.json").write_text(R.dumps(existing))
    plan = lifecycle.prepare("selector-mismatch", 1)
    bundle = fake_bundle(plan)
    recorder = R.Recorder(tmp_path)
    recorder.save(row_for(plan, R.BROKEN, FakeReport("FAIL"), bundle=bundle), bundle)
    recorder.save(row_for(plan, R.INFRA_ERROR, FakeReport("ERROR"), declared="error", bundle=bundle),
                  bundle)
    index = json.loads((tmp_path / "INDEX.json").read_text())
    assert set(index) == {"selector-mismatch/seed1-reference", "selector-mismatch/seed1-broken",
                          "selector-mismatch/seed1-infra-error"}
    assert index["selector-mismatch/seed1-reference"] == existing["selector-mismatch/seed1-reference"]
    assert index["selector-mismatch/seed1-broken"]["judged"] == "FAIL"     # recorded again: replaced
    assert index["selector-mismatch/seed1-infra-error"]["declared"] == "error"


def test_a_fix_that_could_not_run_leaves_an_error_row_and_no_stale_bundle(tmp_path):
    plan = lifecycle.prepare("dns-cross-namespace", 1)
    fix = plan.fixes["own-namespace"]
    recorder = R.Recorder(tmp_path)
    bundle = fake_bundle(plan)
    recorder.save(row_for(plan, fix.name, FakeReport("FAIL"), fix, bundle=bundle), bundle)
    recorder.save(row_for(plan, fix.name, None, fix, error="BadScenarioPack: step 2 failed"), None)
    row = json.loads((tmp_path / "INDEX.json").read_text())["dns-cross-namespace/seed1-own-namespace"]
    assert row["error"] == "BadScenarioPack: step 2 failed" and row["judged"] is None
    assert not (tmp_path / "dns-cross-namespace" / "seed1-own-namespace.json").exists()


# --- the settle window ------------------------------------------------------------------

class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def scripted_grades(monkeypatch, verdicts):
    reports = iter(FakeReport(status, diagnosis) for status, diagnosis in verdicts)
    monkeypatch.setattr(lifecycle, "grade", lambda session, plan: ({}, next(reports)))


def test_a_wrong_fix_is_judged_only_once_it_stayed_wrong_for_the_window(monkeypatch):
    clock = Clock()
    wrong = ("FAIL", "client.uses-service-dns")
    scripted_grades(monkeypatch, [("FAIL", "pods.ready"), wrong, wrong, wrong] + [wrong] * 20)
    _, report, seen = lifecycle.settle(None, None, clock=clock, pause=clock.sleep)
    assert report.diagnosis.name == "client.uses-service-dns"
    assert clock.now >= lifecycle.SETTLE_MIN_S and len(set(seen[-3:])) == 1
    assert len(seen) == 11                                   # 0 s .. 10 s, one poll a second


def test_a_verdict_that_keeps_changing_is_not_accepted_as_settled(monkeypatch):
    clock = Clock()
    flapping = [("FAIL", "a"), ("FAIL", "b")] * 100
    scripted_grades(monkeypatch, flapping)
    _, report, seen = lifecycle.settle(None, None, clock=clock, pause=clock.sleep, timeout=30)
    assert clock.now >= 30 and len(set(seen[-3:])) == 2       # gave up: the caller's assert fails


def test_a_working_fix_passes_as_soon_as_three_verdicts_agree(monkeypatch):
    clock = Clock()
    scripted_grades(monkeypatch, [("FAIL", "x"), ("PASS", None), ("PASS", None), ("PASS", None)])
    _, report, seen = lifecycle.settle(None, None, clock=clock, pause=clock.sleep)
    assert report.status == "PASS" and clock.now == 3


# --- every declared fix is runnable ------------------------------------------------------

@pytest.mark.parametrize("scenario_id", sorted(catalog.discover()))
def test_every_fix_step_is_a_kind_the_runner_knows(scenario_id):
    from drills.cluster.manage import STEP_KINDS, rollout_target
    for seed, level in choose_seeds(catalog.get(scenario_id)):
        plan = lifecycle.prepare(scenario_id, seed, level)
        for fix in plan.fixes.values():
            for step in fix.steps:
                (kind, argument), = step.items()
                assert kind in STEP_KINDS, f"{scenario_id} {fix.name}: {kind}"
                if kind == "rollout_started":
                    namespace, name = rollout_target(plan, argument, fix.name)
                    assert namespace in plan.namespaces and name


def test_dns_cross_namespace_wrong_fixes_wait_for_the_new_pod_not_for_a_rollout():
    plan = lifecycle.prepare("dns-cross-namespace", 1)
    for name in ("own-namespace", "namespace-left-out", "container-port"):
        kinds = [next(iter(step)) for step in plan.fixes[name].steps]
        assert kinds == ["kubectl", "rollout_started"], name
        assert "rollout status" not in json.dumps(plan.fixes[name].steps)


# --- the suite's preconditions, checked once -----------------------------------------------

def test_preconditions_name_every_reason_the_cluster_cannot_host_the_suite():
    from drills.cluster import objects as O
    from tests.e2e.conftest import preconditions
    from tests.unit.cluster import kube_proxy_world as W
    from tests.unit.cluster.fakes import Session, make_plan
    from tests.unit.cluster.fakes_cluster_wide import cluster_fake

    ready = cluster_fake()
    assert preconditions(Session(ready)) == []

    bare = cluster_fake(nodes=[n for n in W.kind_nodes() if n["metadata"]["name"] != "drills-worker2"],
                        proxy=False)
    wide = make_plan("drill-kube-proxy-node-1", cluster_wide=True)
    bare.create("namespaces", O.namespace_body(wide, wide.namespace))
    problems = preconditions(Session(bare))
    assert len(problems) == 3
    assert "1 schedulable node(s) (drills-worker)" in problems[0]
    assert "no kube-proxy DaemonSet" in problems[1]
    assert "cluster-wide drill is active (drill-kube-proxy-node-1)" in problems[2]


def test_an_unusable_cluster_stops_the_suite_once_with_one_message(tmp_path):
    import os
    import subprocess
    import sys
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "DRILLS_CONTEXT": "no-such-context", "KUBECONFIG": str(tmp_path / "none"),
           "DRILLS_HOME": str(tmp_path / "home")}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-m", "cluster", "-p", "no:cacheprovider",
                           "tests/e2e/test_cli_installed.py"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert done.stdout.count("cannot run on context no-such-context") == 1, done.stdout[-2000:]
    assert "passed" not in done.stdout and " failed" not in done.stdout
