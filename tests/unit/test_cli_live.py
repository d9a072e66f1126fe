"""The cluster-facing verbs end to end against a fake runtime that returns real-shaped bundles.

The fake stands in for drills.cluster only; rendering, judging, the store and
the CLI are the real ones. The bundles are the recorded ones in tests/fixtures.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

import drills.cluster as cluster
from drills.cli import main
from drills.errors import ClusterUnreachable, ExitCode
from drills.store import Store, iso, utcnow
RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "recorded"
BROKEN = RECORDED / "selector-mismatch" / "seed1-broken.json"
FIXED = RECORDED / "selector-mismatch" / "seed1-reference.json"


def load(path: Path) -> dict:
    return json.loads(path.read_text())


class FakeRuntime:
    def __init__(self, monkeypatch, cluster_exists=True):
        self.bundles: list[dict] = []
        self.calls: list[tuple] = []
        self.exists = cluster_exists
        self.gone: set[str] = set()
        for name in ("connect", "cluster_status", "cluster_up", "start_drill", "collect_evidence",
                     "reset_drills", "list_drills", "drill_present", "verified_plan"):
            monkeypatch.setattr(cluster, name, getattr(self, name), raising=False)

    def connect(self, context, explicit, timeout=10.0):
        self.calls.append(("connect", context, explicit))
        if context == "unreachable":
            raise ClusterUnreachable(f"context {context}: the API server did not answer within 10s",
                                     "is the cluster running? try 'drills doctor'")
        return SimpleNamespace(context=context)

    def cluster_status(self):
        return {"exists": self.exists}

    def cluster_up(self, progress=lambda p: None):
        self.calls.append(("cluster_up",))
        self.exists = True

    def start_drill(self, session, plan, progress=lambda p: None, *, verify, timings=None,
                    annotations=None):
        self.calls.append(("start", plan.namespace))
        self.verify, self.annotations = verify, annotations
        progress("verifying fault")
        return {"namespace": plan.namespace, "verified_at": iso(utcnow()), "bundle": {},
                "timings": {"namespace": 0.1, "apply": 0.2}}

    def collect_evidence(self, session, plan, probes, api_only=False, **options):
        self.calls.append(("collect", plan.namespace, api_only))
        bundle = copy.deepcopy(self.bundles[0] if len(self.bundles) == 1 else self.bundles.pop(0))
        bundle["collected_at"] = iso(utcnow())
        return bundle

    def reset_drills(self, session, namespaces=None, wait=True, progress=lambda p: None):
        self.calls.append(("reset", tuple(namespaces) if namespaces else None))
        return list(namespaces or ["drill-a", "drill-b"])

    def drill_present(self, session, namespace):
        return namespace not in self.gone

    def verified_plan(self, session, namespace):
        # the annotation check itself is tested against the API double in tests/unit/trust
        from drills.commands._common import plan_for
        return plan_for(next(b["drill"] for b in self.bundles if b["drill"]["namespace"] == namespace))

    def list_drills(self, session):
        return [{"name": b["drill"]["namespace"], "identity": b["drill"]} for b in self.bundles[:1]]


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def fake(monkeypatch):
    return FakeRuntime(monkeypatch)


@pytest.fixture
def recorded_drill():
    """A drill whose stored identity is the one the recorded bundles belong to."""
    identity = load(BROKEN)["drill"]
    store = Store()
    drill_id = store.add_drill(identity, "kind-drills", 4, iso(utcnow()))
    return store, drill_id


def test_start_creates_cluster_on_first_run_and_records_the_clock(capsys, monkeypatch):
    fake = FakeRuntime(monkeypatch, cluster_exists=False)
    code, out, _ = run(capsys, "start", "selector-mismatch", "--seed", "5")
    assert code == 0
    assert ("cluster_up",) in fake.calls and ("start", "drill-selector-mismatch-5") in fake.calls
    assert "drill-selector-mismatch-5" in out and "set-context --current --namespace" in out
    [drill] = Store().open_drills("kind-drills")
    assert drill.seed == 5 and drill.state == "active"


def test_start_on_a_named_context_never_creates_a_cluster(capsys, monkeypatch):
    fake = FakeRuntime(monkeypatch, cluster_exists=False)
    code, _, _ = run(capsys, "start", "selector-mismatch", "--seed", "5", "--context", "lab")
    assert code == 0 and ("cluster_up",) not in fake.calls
    assert ("connect", "lab", True) in fake.calls
    assert Store().open_drills("lab")[0].context == "lab"


def test_unreachable_cluster_is_one_line_and_its_own_code(capsys, fake):
    code, out, err = run(capsys, "start", "selector-mismatch", "--context", "unreachable")
    assert code == ExitCode.CLUSTER_UNREACHABLE
    assert err.count("\n") == 1 and "unreachable" in err and "Traceback" not in out + err
    assert Store().open_drills() == []


def test_check_fails_then_passes_and_stops_the_clock(capsys, fake, recorded_drill, tmp_path):
    store, drill_id = recorded_drill
    fake.bundles = [load(BROKEN), load(FIXED)]
    code, out, _ = run(capsys, "check")
    assert code == ExitCode.CHECKS_FAILED and "Diagnosis" in out
    assert store.drill(drill_id).solved_at is None
    saved = tmp_path / "evidence.json"
    code, out, _ = run(capsys, "check", "--save-evidence", str(saved), "--json")
    report = json.loads(out)
    assert code == 0 and report["status"] == "PASS" and report["solved_at"]
    record = store.drill(drill_id)
    assert record.state == "solved" and record.solved_at == report["solved_at"]
    assert [a["status"] for a in store.attempts(drill_id)] == ["FAIL", "PASS"]
    code, out, _ = run(capsys, "grade", "--evidence", str(saved), "--json")
    assert code == 0 and json.loads(out)[0]["status"] == "PASS"


def test_watch_stops_the_clock_when_the_fix_lands(capsys, fake, recorded_drill):
    from drills.commands._common import plan_for
    from drills.commands.watch import watch_drill
    store, drill_id = recorded_drill
    fake.bundles = [load(BROKEN), load(BROKEN), load(FIXED), load(FIXED)]
    record = store.drill(drill_id)
    code = watch_drill(store, record, plan_for(record.identity()), SimpleNamespace(), interval=0.01)
    assert code == 0 and store.drill(drill_id).state == "solved"
    api_only = [c[2] for c in fake.calls if c[0] == "collect"]
    assert api_only[0] is True and False in api_only  # probes only once the API checks pass


def test_grade_live_for_instructors(capsys, fake):
    fake.bundles = [load(BROKEN)]
    namespace = fake.bundles[0]["drill"]["namespace"]
    code, out, _ = run(capsys, "grade", "--context", "learner-1", "--namespace", namespace, "--json")
    assert code == ExitCode.CHECKS_FAILED and json.loads(out)[0]["status"] == "FAIL"
    code, _, err = run(capsys, "grade", "--context", "learner-1", "--namespace", "drill-nope-1")
    assert code == ExitCode.USAGE and "no drill namespace drill-nope-1" in err


def test_reset_deletes_the_drill_namespaces_and_ends_the_drill(capsys, fake, recorded_drill):
    store, drill_id = recorded_drill
    code, out, _ = run(capsys, "reset")
    assert code == 0 and store.open_drills() == []
    assert ("reset", (store.drill(drill_id).namespace,)) in fake.calls
    assert store.drill(drill_id).state == "abandoned"
    code, _, err = run(capsys, "reset", "x", "--all")
    assert code == ExitCode.USAGE


def test_exam_start_check_end(capsys, fake):
    fake.bundles = [load(BROKEN)]
    code, out, _ = run(capsys, "exam", "start", "--count", "2", "--seed", "9")
    assert code == 0 and "Task 1" in out and "Task 2" in out
    assert len([c for c in fake.calls if c[0] == "start"]) == 2
    code, _, err = run(capsys, "exam", "start", "--count", "1")
    assert code == ExitCode.USAGE and "already running" in err
    code, out, _ = run(capsys, "exam", "check", "--json")
    result = json.loads(out)
    assert code == ExitCode.CHECKS_FAILED and len(result["tasks"]) == 2 and result["pass_mark"] == 66.0
    code, out, _ = run(capsys, "exam", "end", "--reset")
    assert code == ExitCode.CHECKS_FAILED and "pass mark" in out
    assert Store().open_exam("kind-drills") is None and Store().open_drills() == []


def test_ctrl_c_while_watching_keeps_the_clock_and_says_so(capsys, fake, recorded_drill, monkeypatch):
    store, drill_id = recorded_drill

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cluster, "collect_evidence", interrupted)
    code, _, err = run(capsys, "watch")
    assert code == ExitCode.INTERRUPTED and "clock is still running" in err
    assert store.drill(drill_id).state == "active"


def test_check_on_a_deleted_namespace_says_so(capsys, fake, recorded_drill):
    store, drill_id = recorded_drill
    fake.gone.add(store.drill(drill_id).namespace)
    code, out, err = run(capsys, "check")
    assert code == ExitCode.NO_ACTIVE_DRILL and "no longer exists" in err and "drills reset" in err
    assert store.attempts(drill_id) == []


def test_restarting_a_drill_whose_namespace_was_deleted_closes_the_old_record(capsys, fake):
    assert run(capsys, "start", "selector-mismatch", "--seed", "5")[0] == 0
    assert run(capsys, "start", "selector-mismatch", "--seed", "5")[0] == 0
    [open_drill] = Store().open_drills("kind-drills")
    assert [d.state for d in Store().history()] == ["active", "abandoned"]
