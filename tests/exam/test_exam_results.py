"""Exactly-once grading and how a deadline grading is reported, without keeper processes
(tests/exam/test_deadline_keeper.py runs real ones)."""
from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from types import SimpleNamespace

from drills.cli import main
from drills.commands.exam import grade_once, graded_how
from drills.deadline import expired_exam_waiting
from drills.store import MIGRATIONS, Store, iso, utcnow
from tests.classroom.fake_cluster import FakeCluster, recorded
from tests.unit.cluster.apiserver import write_kubeconfig

CONTEXT = "exam-learner"


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def expired_exam(store: Store, bundle: dict, minutes_ago: float = 0.1) -> dict:
    started = iso(utcnow() - timedelta(minutes=1 + minutes_ago))
    exam_id = store.add_exam(1, CONTEXT, 1, started)
    store.add_drill(bundle["drill"], CONTEXT, 4, started, exam_id=exam_id)
    return store.exam(exam_id)


def test_one_claim_at_a_time_and_a_dead_claimant_is_void():
    first, second = Store(), Store()
    exam_id = first.add_exam(1, CONTEXT, 30, iso(utcnow()))
    alive = {100: True, 200: True}
    assert first.claim_grading(exam_id, 100, alive.get, 900)
    assert not second.claim_grading(exam_id, 200, alive.get, 900)
    alive[100] = False                        # its process is gone: the claim is void
    assert second.claim_grading(exam_id, 200, alive.get, 900)
    assert not first.claim_grading(exam_id, 100, lambda pid: True, 900)
    assert first.claim_grading(exam_id, 100, lambda pid: True, 0)     # too old
    first.release_grading(exam_id, 100)
    assert first.end_exam(exam_id, 50.0, iso(utcnow()))
    assert not first.end_exam(exam_id, 99.0, iso(utcnow()))          # closed once
    assert not second.claim_grading(exam_id, 200, lambda pid: True, 900)
    assert first.exam(exam_id)["score"] == 50.0


def entry(status: str, graded_at, by: str) -> dict:
    return {"report": {"status": status, "score": 0.0}, "graded_at": iso(graded_at), "graded_by": by}


def test_the_wording_says_when_and_by_whom_an_exam_was_graded():
    started = utcnow().replace(hour=14, minute=0, second=0, microsecond=0)
    exam = {"started_at": iso(started), "minutes": 5.0, "keeper_token": "t", "keeper_note": None}
    deadline = started + timedelta(minutes=5)
    records = [SimpleNamespace(id=1), SimpleNamespace(id=2)]
    on_time = {"1": entry("FAIL", deadline + timedelta(seconds=2), "keeper"),
               "2": entry("PASS", deadline + timedelta(seconds=3), "keeper")}
    assert graded_how(exam, records, on_time) == "graded at the deadline (14:05 UTC) by the deadline keeper"
    late = {k: entry("PASS", deadline + timedelta(minutes=12, seconds=30), "command") for k in "12"}
    assert graded_how(exam, records, late) == (
        "graded 12 min after the deadline, at your next drills command: changes made after 14:05 UTC "
        "may be credited (the deadline keeper was not running at the deadline: stopped, killed, or the "
        "machine was off)")
    mixed = {**on_time, "2": entry("PASS", deadline + timedelta(seconds=40), "command")}
    assert graded_how({**exam, "keeper_note": "the deadline keeper could not reach the cluster"},
                      records, mixed) == (
        "task 2 (the others at the deadline) graded less than a minute after the deadline, at your next "
        "drills command: changes made after 14:05 UTC may be credited (the deadline keeper could not "
        "reach the cluster)")
    asleep = {k: entry("FAIL", deadline + timedelta(minutes=47), "keeper") for k in "12"}
    assert graded_how(exam, records, asleep).startswith("graded 47 min after the deadline by the deadline keeper")
    before = {k: entry("FAIL", deadline - timedelta(minutes=1), "end") for k in "12"}
    assert graded_how(exam, records, before) is None          # ended early with 'drills exam end'
    assert "no deadline keeper was started" in graded_how({**exam, "keeper_token": None}, records, late)


def test_a_result_the_keeper_stored_is_shown_once_by_exam_status(capsys, tmp_path, monkeypatch):
    fixed = recorded("selector-mismatch/seed1-reference")
    fake = FakeCluster([fixed])
    try:
        monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "kc", {CONTEXT: fake.url})))
        store = Store()
        exam = expired_exam(store, fixed)
        after, graded = grade_once(store, exam, CONTEXT, by="keeper")
        assert graded and after["ended_at"] and after["reported_at"] is None
        again, graded = grade_once(store, exam, CONTEXT, by="command")
        assert not graded and again["ended_at"] == after["ended_at"]
        requests = len(fake.requests)
        code, out, _ = run(capsys, "exam", "status", "--context", CONTEXT, "--json")
        shown = json.loads(out)
        assert code == 0 and shown["closed"] and shown["score"] == 100.0
        assert shown["graded"].startswith("graded at the deadline") and shown["tasks"][0]["graded_by"] == "keeper"
        assert len(fake.requests) == requests                 # shown from the store, not graded again
        code, _, err = run(capsys, "exam", "status", "--context", CONTEXT)
        assert code == 8 and "no exam is running" in err
    finally:
        fake.close()


def test_an_older_database_is_migrated_without_reporting_old_exams_again(tmp_path, monkeypatch):
    monkeypatch.setenv("DRILLS_HOME", str(tmp_path))
    db = sqlite3.connect(tmp_path / "drills.db")
    for script in MIGRATIONS[:5]:
        db.executescript(script)
    db.execute("PRAGMA user_version = 5")
    db.execute("INSERT INTO exams (seed, context, minutes, started_at, ended_at, score) "
               "VALUES (1, 'kind-drills', 30, '2026-11-01T10:00:00Z', '2026-11-01T10:30:00Z', 70)")
    db.commit()
    db.close()
    assert not expired_exam_waiting()          # the look works on the old schema too
    store = Store()
    assert store.schema_version == len(MIGRATIONS)
    assert store.unreported_exams() == [] and not expired_exam_waiting()


def test_another_process_closing_the_database_never_breaks_this_ones_connections(tmp_path, monkeypatch):
    """The keeper holds the history database open for hours beside drills commands. Opening a
    second Store in one process must not drop the first one's SQLite locks (closing any fd of a
    file drops a process's POSIX locks on it), or the other process, closing last as it thinks,
    deletes the WAL files under this one (disk I/O error)."""
    import subprocess
    import sys
    monkeypatch.setenv("DRILLS_HOME", str(tmp_path))
    first = Store()
    first.add_exam(1, CONTEXT, 30, iso(utcnow()))
    Store()                                         # a second one in this process
    subprocess.run([sys.executable, "-c", "from drills.store import Store; s = Store(); s.exam(1); s.close()"],
                   check=True, timeout=60)
    assert (tmp_path / "drills.db-wal").exists()
    assert first.exam(1)["context"] == CONTEXT
    first.add_exam(2, CONTEXT, 30, iso(utcnow()))


def test_the_keeper_runs_with_the_start_commands_kubeconfig_and_absolute_paths(tmp_path, monkeypatch):
    from drills.keeper import keeper_env
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KUBECONFIG", "relative.kubeconfig")
    monkeypatch.setenv("DRILLS_HOME", "home")
    monkeypatch.setenv("DRILLS_SHELL", str(tmp_path / "shell"))
    env = keeper_env(None)
    assert env["KUBECONFIG"] == str(tmp_path / "relative.kubeconfig")
    assert env["DRILLS_HOME"] == str(tmp_path / "home") and "DRILLS_SHELL" not in env
    pinned = keeper_env(f"{tmp_path}/a.yaml{':'}{tmp_path}/b.yaml")
    assert pinned["KUBECONFIG"] == f"{tmp_path}/a.yaml:{tmp_path}/b.yaml"


def test_the_tasks_of_an_exam_are_collected_side_by_side(monkeypatch):
    """Graded one after another, the last of 17 tasks would be graded a minute after the first."""
    import threading

    import drills.commands.exam as exam_cmd
    together = threading.Barrier(exam_cmd.GRADE_JOBS, timeout=10)
    sessions = []

    def grade_live(session, plan):
        together.wait()            # breaks (and raises) unless GRADE_JOBS tasks are in flight at once
        return {"collected_at": iso(utcnow())}, plan

    def connect(context_flag):
        sessions.append(context_flag)
        return SimpleNamespace(context=context_flag)

    monkeypatch.setattr(exam_cmd, "grade_live", grade_live)
    monkeypatch.setattr(exam_cmd, "connect", connect)
    plans = [f"plan-{n}" for n in range(exam_cmd.GRADE_JOBS * 2)]
    outcomes = exam_cmd._collect_all(SimpleNamespace(context=CONTEXT), plans, CONTEXT)
    assert [report for _, report in outcomes] == plans           # in task order
    assert len(sessions) == exam_cmd.GRADE_JOBS                  # one session per worker
