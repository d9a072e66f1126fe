"""Pre-flight of the live suite (pytest -m cluster), offline: what would fail on its first run
on the real cluster, found before it -- calls that cannot bind, record-mode output the
fixtures' own tests reject, a start that returns halfway through kube-proxy's rollout, and
a watch the API ends at once."""
from __future__ import annotations

import ast
import inspect
import json
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from drills import lifecycle
from tests.e2e import record as R

E2E = Path(__file__).resolve().parents[1] / "e2e"
RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "recorded"


# --- every call the live suite makes into drills binds to today's signatures -----------------

def _modules_named(tree: ast.Module) -> dict[str, str]:
    """local name -> module, for `import drills.x as y` and `from drills import x`."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("drills") and alias.asname:
                    names[alias.asname] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("drills"):
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _drills_calls():
    import importlib
    for path in sorted(E2E.glob("*.py")):
        tree = ast.parse(path.read_text())
        modules = _modules_named(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) \
                    and node.func.value.id in modules:            # module.function(...)
                where, attr = modules[node.func.value.id], node.func.attr
            elif isinstance(node.func, ast.Name) and node.func.id in modules:
                where, _, attr = modules[node.func.id].rpartition(".")   # function(...)
            else:
                continue
            try:
                module = importlib.import_module(where)
            except ImportError:
                continue        # a function imported by name, not a module
            target = getattr(module, attr, None)
            if inspect.isfunction(target) and not any(isinstance(a, ast.Starred) for a in node.args) \
                    and all(k.arg for k in node.keywords):
                yield f"{path.name}:{node.lineno} {where}.{attr}", target, node


def test_every_call_of_the_live_suite_into_drills_binds():
    """test_classroom_live called drills.cluster.start_drill(session, plan) without the
    keyword-only `verify` it requires: a TypeError on the cluster, before any check."""
    calls = list(_drills_calls())
    assert any("cluster.apply_fix" in where for where, _, _ in calls)
    assert any("manage.kubectl_argv" in where for where, _, _ in calls)
    unbound = []
    for where, target, node in calls:
        try:
            inspect.signature(target).bind(*node.args, **{k.arg: k.value for k in node.keywords})
        except TypeError as exc:
            unbound.append(f"{where}: {exc}")
    assert unbound == []


# --- record mode writes what the fixtures' tests and the fairness plugin accept ---------------

def _row(plan, case, bundle=None, report_status="PASS"):
    report = SimpleNamespace(status=report_status, diagnosis=None,
                             results=[SimpleNamespace(name="service.exists", status=report_status)])
    return R.index_row(plan=plan, case=case, declared="error" if case == R.INFRA_ERROR else None,
                       declared_diagnosis=None, report=report, fix_hash=None,
                       scenario_hash=lifecycle.scenario_hash(plan.scenario),
                       session=SimpleNamespace(version={"gitVersion": "v1.32.13"}),
                       start_s=1.0, took_s=2.0, bundle=bundle)


def _bundle(plan, at="2026-12-01T20:00:00Z"):
    """Hand-made: only a collected bundle's outline."""
    return {"kind": "drills.evidence", "version": 1, "drill": plan.identity(), "collected_at": at,
            "cluster": {"version": {"gitVersion": "v1.32.13"}}, "objects": {}, "probes": {}, "errors": []}


def test_the_index_is_written_in_the_fixtures_own_layout(tmp_path):
    """tests/fixtures/recorded/INDEX.json ends with a newline; a re-record must not rewrite
    every fixture's last byte."""
    shipped = (RECORDED / "INDEX.json").read_text()
    assert R.dumps_index(json.loads(shipped)) == shipped
    plan = lifecycle.prepare("selector-mismatch", 1)
    R.Recorder(tmp_path).save(_row(plan, R.BROKEN, _bundle(plan)), _bundle(plan))
    written = (tmp_path / "INDEX.json").read_text()
    assert written.endswith("}\n") and R.dumps_index(json.loads(written)) == written


def test_recorded_at_is_when_the_bundle_was_collected():
    plan = lifecycle.prepare("selector-mismatch", 1)
    assert _row(plan, R.BROKEN, _bundle(plan, "2026-12-01T20:15:20Z"))["recorded_at"] == "2026-12-01T20:15:20Z"
    assert _row(plan, "reference")["recorded_at"]       # an error row: now


def test_infra_error_is_recorded_once_per_scenario_where_the_fairness_plugin_looks(tmp_path):
    """The fairness plugin expects infra-error only at a scenario's lowest seed without a level
    and fails any other ('a recording of infra-error, which ... no longer declares'). The suite
    runs the reference fix (and the infra-error case) at every chosen seed and level."""
    recorder = R.Recorder(tmp_path)
    seed1, seed3 = lifecycle.prepare("selector-mismatch", 1), lifecycle.prepare("selector-mismatch", 3)
    assert recorder.wants_infra_error("selector-mismatch", 1, None)            # nothing recorded yet
    for plan in (seed1, seed3):
        recorder.save(_row(plan, R.BROKEN, _bundle(plan)), _bundle(plan))
    assert recorder.wants_infra_error("selector-mismatch", 1, None)
    assert not recorder.wants_infra_error("selector-mismatch", 3, None)        # seed 1 has it
    assert not recorder.wants_infra_error("service-multi-fault", 1, "double")  # levels never
    # a lower seed recorded later takes the case over: never two
    recorder.save(_row(seed3, R.INFRA_ERROR, _bundle(seed3), "ERROR"), _bundle(seed3))
    recorder.save(_row(seed1, R.INFRA_ERROR, _bundle(seed1), "ERROR"), _bundle(seed1))
    index = recorder.index()
    assert [k for k, r in index.items() if r["case"] == R.INFRA_ERROR] == ["selector-mismatch/seed1-infra-error"]
    assert not (tmp_path / "selector-mismatch" / "seed3-infra-error.json").exists()
    # into the shipped fixtures (seed 1 and 3 recorded): a run of seed 3 alone keeps seed 1's
    shipped = R.Recorder(RECORDED)
    assert shipped.wants_infra_error("selector-mismatch", 1, None)
    assert not shipped.wants_infra_error("selector-mismatch", 3, None)


def test_the_live_suite_saves_infra_error_only_where_the_recorder_wants_it():
    from tests.e2e.test_drills_live import Case

    saved = []

    class Recorder:
        def wants_infra_error(self, scenario, seed, level):
            return seed == 1

        def save(self, row, bundle):
            saved.append(row["case"])
    session = SimpleNamespace(version={"gitVersion": "v1.32.13"})
    for seed in (1, 3):
        Case(session, lifecycle.prepare("selector-mismatch", seed), Recorder()).save(
            R.INFRA_ERROR, "error", report=SimpleNamespace(status="ERROR", diagnosis=None, results=[]))
    assert saved == [R.INFRA_ERROR]


# --- a cluster-wide start waits for kube-proxy's rollout on the other nodes --------------------

def test_exclusion_waits_until_the_daemonset_rolled_out_on_the_other_nodes():
    """The changed template replaces kube-proxy on every other node, one node at a time; the
    live suite asserts kube-proxy runs on every node but the excluded one right after start."""
    from drills.cluster import setup as S
    from tests.unit.cluster.fakes_cluster_wide import cluster_fake
    from tests.unit.cluster.test_cluster_setup import wide_plan

    fake = cluster_fake()
    rolling = {"ticks": 0}

    def rolling_update(api):          # after the template changed: one node updated at a time
        ds = api.objects[("daemonsets", "kube-system", "kube-proxy")]
        if int(ds["metadata"].get("generation", 1)) > 1 and rolling["ticks"] < 8:
            rolling["ticks"] += 1
            ds["status"] = {**ds["status"], "updatedNumberScheduled": 1, "numberAvailable": 1}
    fake.controllers.append(rolling_update)
    record = S.prepare(fake, wide_plan())
    S.apply(fake, record, time.monotonic() + 5, poll=0)
    assert rolling["ticks"] == 8
    assert S.rollout_pending(fake.get("daemonsets", "kube-proxy", "kube-system")) is None


def test_a_rollout_that_never_completes_ends_the_start_in_time():
    from drills.cluster import setup as S
    from drills.errors import FaultNotVerified
    from tests.unit.cluster.fakes_cluster_wide import cluster_fake
    from tests.unit.cluster.test_cluster_setup import wide_plan

    fake = cluster_fake()

    def stuck(api):
        ds = api.objects[("daemonsets", "kube-system", "kube-proxy")]
        ds["status"] = {**ds["status"], "updatedNumberScheduled": 0}
    fake.controllers.append(stuck)
    record = S.prepare(fake, wide_plan())
    with pytest.raises(FaultNotVerified, match="rollout did not complete"):
        S.apply(fake, record, time.monotonic() + 0.3, poll=0.01)


# --- a watch the API ends at once is not retried in a tight loop -------------------------------

def test_a_watch_that_ends_at_once_is_retried_at_a_pace(monkeypatch):
    from drills.cluster import start as ST
    from tests.unit.cluster.fakes import FakeKube, make_plan

    class Refused(FakeKube):
        watches = 0

        def watch_pods(self, namespaces, timeout):       # as KubeApi does on 410 Gone / 403
            Refused.watches += 1
            yield []
    api = Refused()
    started = time.monotonic()
    for _ in ST.pod_states(api, make_plan(), time.monotonic() + 1.2, poll=0.01):
        pass
    assert time.monotonic() - started >= 1.0
    assert Refused.watches <= 4


def test_an_on_delete_daemonset_counts_as_rolled_out_once_its_pods_are_available():
    """OnDelete never replaces pods by itself: waiting for updated pods would never end."""
    from drills.cluster.setup import rollout_pending
    ds = {"metadata": {"generation": 2}, "spec": {"updateStrategy": {"type": "OnDelete"}},
          "status": {"observedGeneration": 2, "desiredNumberScheduled": 2, "numberAvailable": 2,
                     "updatedNumberScheduled": 0}}
    assert rollout_pending(ds) is None
    ds["spec"]["updateStrategy"]["type"] = "RollingUpdate"
    assert rollout_pending(ds) == "pods 2/2 available, 0 updated"


def test_a_wrong_fix_is_as_declared_only_when_diagnosed_by_name_as_the_fairness_plugin_wants():
    """A check used twice (reach.http-all-backends as reach.cluster-ip) must not pass the live
    suite on its check id while its recording then fails the fairness plugin."""
    from tests.e2e.test_drills_live import as_declared
    fix = SimpleNamespace(outcome="fail", diagnosis="reach.http-all-backends")

    def report(name, check):
        return SimpleNamespace(status="FAIL", diagnosis=SimpleNamespace(name=name, check=check),
                               results=[SimpleNamespace(name=name, status="FAIL")])
    assert as_declared(report("reach.http-all-backends", "reach.http-all-backends"), fix)
    assert not as_declared(report("reach.cluster-ip", "reach.http-all-backends"), fix)


def test_drills_left_running_by_a_run_cut_short_stop_the_suite_once():
    """The suite starts the same seeds every run: a drill an aborted run left behind would
    fail each of its cases with 'already running' instead of one clear message."""
    from drills.cluster import objects as O
    from tests.e2e.conftest import preconditions
    from tests.unit.cluster.fakes import Session, make_plan
    from tests.unit.cluster.fakes_cluster_wide import cluster_fake

    fake = cluster_fake()
    for seed in (1, 3, 5, 7):
        plan = make_plan(f"drill-selector-mismatch-{seed}")
        fake.create("namespaces", O.namespace_body(plan, plan.namespace))
    fake.delete("namespaces", "drill-selector-mismatch-7")       # terminating or gone: no obstacle
    [problem] = preconditions(Session(fake))
    assert "drills are running on it (drill-selector-mismatch-1, drill-selector-mismatch-3, " \
           "drill-selector-mismatch-5)" in problem and "drills reset --all" in problem


def test_the_broken_row_declares_nothing_as_the_shipped_rows_do(tmp_path):
    from tests.e2e.test_drills_live import Case
    shipped = json.loads((RECORDED / "INDEX.json").read_text())
    assert {r["declared"] for r in shipped.values() if r["case"] == R.BROKEN} == {None}
    plan = lifecycle.prepare("selector-mismatch", 1)
    case = Case(SimpleNamespace(version={"gitVersion": "v1.32.13"}), plan, R.Recorder(tmp_path))
    case.save(R.BROKEN, "fail", bundle=_bundle(plan),
              report=SimpleNamespace(status="FAIL", diagnosis=None, results=[]))
    row = R.Recorder(tmp_path).index()["selector-mismatch/seed1-broken"]
    assert row["declared"] is None and row["judged"] == "FAIL"
    assert set(row) == set(shipped["selector-mismatch/seed1-broken"])
