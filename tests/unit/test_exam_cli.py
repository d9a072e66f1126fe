"""`drills exam` verbs and the deadline hook, against a fake runtime that returns recorded bundles.

The fake stands in for drills.cluster only; rendering, judging, the store and the CLI are real.
The bundles are drills' own recordings from a real cluster (tests/fixtures/recorded).
"""
from __future__ import annotations

import copy
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

import drills.cluster as cluster
from drills.cli import main
from drills.errors import ClusterUnreachable, ExitCode
from drills.store import Store, iso, utcnow

RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "recorded" / "selector-mismatch"
BROKEN = json.loads((RECORDED / "seed1-broken.json").read_text())
FIXED = json.loads((RECORDED / "seed1-reference.json").read_text())


class FakeRuntime:
    def __init__(self, monkeypatch):
        self.bundle = BROKEN
        self.calls: list[tuple] = []
        self.unreachable = False
        for name in ("connect", "cluster_status", "cluster_up", "start_drill", "collect_evidence",
                     "reset_drills", "drill_present"):
            monkeypatch.setattr(cluster, name, getattr(self, name), raising=False)
        # a keeper process could not see this in-process fake (tests/exam runs real keepers)
        import drills.keeper
        monkeypatch.setattr(drills.keeper, "spawn", self.spawn_keeper)

    def spawn_keeper(self, store, exam_id, kubeconfig):
        self.calls.append(("keeper", exam_id))
        return 999_999

    def connect(self, context, explicit, timeout=10.0):
        self.calls.append(("connect", context))
        if self.unreachable:
            raise ClusterUnreachable(f"context {context}: the API server did not answer within 10s",
                                     "is the cluster running? try 'drills doctor'")
        return SimpleNamespace(context=context)

    def cluster_status(self):
        return {"exists": True}

    def cluster_up(self, progress=lambda p: None):
        self.calls.append(("cluster_up",))

    def start_drill(self, session, plan, progress=lambda p: None, **runtime_options):
        self.calls.append(("start", plan.namespace, plan.level))
        return {"namespace": plan.namespace, "verified_at": iso(utcnow()), "bundle": {}}

    def collect_evidence(self, session, plan, probes, api_only=False):
        self.calls.append(("collect", plan.namespace))
        bundle = copy.deepcopy(self.bundle)
        bundle["collected_at"] = iso(utcnow())
        return bundle

    def reset_drills(self, session, namespaces=None, wait=True, progress=lambda p: None):
        self.calls.append(("reset", tuple(namespaces or ())))
        return list(namespaces or [])

    def drill_present(self, session, namespace):
        return True


@pytest.fixture
def fake(monkeypatch):
    return FakeRuntime(monkeypatch)


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def recorded_exam(minutes=120.0, started_minutes_ago=1.0, tasks=1):
    """An exam whose tasks are the recorded selector-mismatch drill (the bundles' own identity)."""
    store = Store()
    started = iso(utcnow() - timedelta(minutes=started_minutes_ago))
    exam_id = store.add_exam(5, "kind-drills", minutes, started)
    drill_ids = []
    for n in range(tasks):
        identity = dict(BROKEN["drill"])
        if n:   # a second task in another namespace; its evidence is the recorded one re-addressed
            identity = {**identity, "namespace": f"{identity['namespace']}-{n}"}
        drill_ids.append(store.add_drill(identity, "kind-drills", 4, started, exam_id=exam_id))
    return store, exam_id, drill_ids


def test_start_defaults_to_the_exam_shape(capsys, fake):
    code, out, _ = run(capsys, "exam", "start", "--seed", "11")
    assert code == 0, out
    starts = [c for c in fake.calls if c[0] == "start"]
    assert len(starts) == 17 and len({c[1] for c in starts}) == 17
    exam = Store().open_exam("kind-drills")
    assert exam["minutes"] == 120 and len(Store().exam_drills(exam["id"])) == 17
    assert "17 tasks, 120 minutes" in out and "Task 17" in out and "without pause" in out
    code, out, _ = run(capsys, "exam", "status")
    assert code == 0 and out.count("to do") == 17 and max(len(line) for line in out.splitlines()) <= 80
    # levels drawn for the exam are the levels deployed and stored
    stored = {(d.namespace, d.level) for d in Store().exam_drills(exam["id"])}
    assert stored == {(ns, level) for _, ns, level in starts}


def test_quick_preset_and_count_limit(capsys, fake):
    code, out, _ = run(capsys, "exam", "start", "--quick", "--seed", "2")
    assert code == 0 and "5 tasks, 30 minutes" in out
    run(capsys, "exam", "end", "--reset")
    code, _, err = run(capsys, "exam", "start", "--count", "21")
    assert code == ExitCode.USAGE and "1<=x<=20" in err
    code, out, _ = run(capsys, "exam", "start", "--count", "20", "--minutes", "90", "--seed", "4")
    assert code == 0 and "20 tasks, 90 minutes" in out


def test_status_is_the_question_panel_without_grading(capsys, fake):
    store, exam_id, drill_ids = recorded_exam(tasks=2)
    code, out, _ = run(capsys, "exam", "status", "--json")
    panel = json.loads(out)
    assert code == 0 and not [c for c in fake.calls if c[0] == "collect"]
    assert [t["number"] for t in panel["tasks"]] == [1, 2]
    assert sum(t["weight"] for t in panel["tasks"]) == 100
    assert [t["done"] for t in panel["tasks"]] == [False, False]
    assert 118 * 60 < panel["remaining_seconds"] <= 119 * 60
    fake.bundle = FIXED
    assert run(capsys, "exam", "check")[0] == 0
    code, out, _ = run(capsys, "exam", "status")
    assert code == 0 and out.count("done") >= 2 and "2 of 2 done (100% of the weight)" in out
    assert max(len(line) for line in out.splitlines()) <= 80
    panel = json.loads(run(capsys, "exam", "status", "--json")[1])
    assert [t["done"] for t in panel["tasks"]] == [True, True]
    assert {t["last_status"] for t in panel["tasks"]} == {"PASS"}


def test_task_shows_one_task_and_how_to_get_there(capsys, fake):
    store, exam_id, drill_ids = recorded_exam(tasks=2)
    code, out, _ = run(capsys, "exam", "task", "2")
    namespace = store.drill(drill_ids[1]).namespace
    assert code == 0 and "Task 2 of 2 (50% of the exam)" in out and "billing" in out
    assert f"kubectl config set-context --current --namespace {namespace}\n" in out
    code, _, err = run(capsys, "exam", "task", "3")
    assert code == ExitCode.USAGE and "tasks 1 to 2, not 3" in err


def test_an_exam_past_its_deadline_is_graded_and_closed_by_the_next_command(capsys, fake):
    store, exam_id, drill_ids = recorded_exam(minutes=30, started_minutes_ago=31)
    code, out, err = run(capsys, "status", "--json")
    assert code == 0 and json.loads(out)   # the verb's own output stays clean JSON
    assert "Time is up" in err and "graded and closed" in err and "below the pass mark" in err
    closed = store.db.execute("SELECT ended_at, score FROM exams WHERE id = ?", (exam_id,)).fetchone()
    assert closed["ended_at"] and closed["score"] < 66
    assert [a["status"] for a in store.attempts(drill_ids[0])] == ["FAIL"]
    # once closed, nothing more happens
    fake.calls.clear()
    assert run(capsys, "status")[0] == 0 and not fake.calls


def test_exam_verbs_after_the_deadline_end_the_exam_themselves(capsys, fake):
    store, exam_id, _ = recorded_exam(minutes=10, started_minutes_ago=11)
    fake.bundle = FIXED
    code, out, err = run(capsys, "exam", "status", "--json")
    assert code == 0 and json.loads(out)["score"] == 100.0 and store.open_exam("kind-drills") is None
    store, exam_id, _ = recorded_exam(minutes=10, started_minutes_ago=11)
    code, _, err = run(capsys, "exam", "task", "1")
    assert code == ExitCode.NO_ACTIVE_DRILL and "time is up" in err and store.open_exam("kind-drills") is None


def test_starting_an_exam_closes_one_whose_time_ran_out(capsys, fake):
    store, old_exam, _ = recorded_exam(minutes=10, started_minutes_ago=11)
    code, out, _ = run(capsys, "exam", "start", "--quick", "--seed", "1")
    assert code == 0 and "Time is up" in out and "5 tasks, 30 minutes" in out
    assert store.open_exam("kind-drills")["id"] != old_exam


def test_a_running_exam_is_left_alone_and_offline_verbs_stay_offline(capsys, fake):
    recorded_exam(minutes=120, started_minutes_ago=5)
    assert run(capsys, "list")[0] == 0 and run(capsys, "history")[0] == 0
    assert fake.calls == []


def test_an_unreachable_cluster_at_the_deadline_warns_and_the_verb_still_runs(capsys, fake):
    store, exam_id, _ = recorded_exam(minutes=30, started_minutes_ago=31)
    fake.unreachable = True
    code, out, err = run(capsys, "list")
    assert code == 0 and "selector-mismatch" in out
    assert "ran out of time but could not be graded" in err and "'drills exam end'" in err
    assert err.count("\n") == 1 and store.open_exam("kind-drills") is not None
    fake.unreachable = False
    run(capsys, "list")
    assert store.open_exam("kind-drills") is None


def test_the_deadline_look_does_not_load_the_kubernetes_client(tmp_path):
    """`drills list` with a running exam in the database still never imports cluster clients."""
    home = tmp_path / "home"
    store = Store(home / "drills.db")
    store.add_exam(1, "kind-drills", 120, iso(utcnow()))
    store.close()
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "drills", "list"], capture_output=True,
                            text=True, env={"DRILLS_HOME": str(home), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-2000:]
    imported = {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines()
                if line.startswith("import time:")}
    assert not imported & {"kubernetes", "urllib3", "docker"}
