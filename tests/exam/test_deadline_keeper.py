"""The deadline keeper, for real: `drills exam start` spawns a detached keeper process that grades
the exam at its deadline against a fake API server on loopback (tests/classroom/fake_cluster.py:
recorded objects, exec over a real websocket), reached through a kubeconfig file.

Only deploying is stood in for (the fake answers reads only); connecting, grading, the store,
the keeper process and its signals are real. The exam lasts a minute at start (the shortest
`--minutes` allows); each test then moves its start back so the deadline is seconds away, which
the keeper reads from the store like any other change of the clock.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from drills import keeper
from drills.cli import main
from drills.exam import ExamTask
from drills.store import Store, iso, parse_iso, utcnow
from tests.classroom.fake_cluster import FakeCluster, RefusingPort, drill_namespace, recorded
from tests.unit.cluster.apiserver import write_kubeconfig

pytestmark = pytest.mark.real_keeper      # real detached keepers (tests/conftest.py stands in elsewhere)

CONTEXT = "exam-learner"
SM_BROKEN, SM_FIXED = "selector-mismatch/seed1-broken", "selector-mismatch/seed1-reference"
WT_BROKEN, WT_FIXED = "wrong-targetport/seed1-broken", "wrong-targetport/seed1-reference"
LEAD_S = 1.5          # how far away each test puts the deadline


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def wait_for(condition, timeout=30.0, what="condition"):
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def serve(fake: FakeCluster, names: list[str]) -> None:
    """The learner changed the cluster: the fake answers from other recordings from now on."""
    bundles = [recorded(n) for n in names]
    fake.bundles, fake.namespaces = bundles, [drill_namespace(b) for b in bundles]
    fake._answers = fake._recorded_answers()


class World:
    def __init__(self, tmp_path: Path, monkeypatch):
        self.tmp = tmp_path
        self.monkeypatch = monkeypatch
        self.kubeconfig = tmp_path / "kubeconfig"
        self.servers = []
        monkeypatch.setenv("HOME", str(tmp_path / "home"))
        for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
            monkeypatch.setenv(name, str(tmp_path / name.lower()))
        monkeypatch.setenv("KUBECONFIG", str(self.kubeconfig))

    def cluster(self, names: list[str], **options) -> FakeCluster:
        fake = FakeCluster([recorded(n) for n in names], **options)
        self.servers.append(fake)
        self.point_at(fake)
        return fake

    def point_at(self, server) -> None:
        write_kubeconfig(self.kubeconfig, {CONTEXT: server.url})

    def start_exam(self, capsys, names: list[str]) -> dict:
        """`drills exam start` of the recorded drills `names` (deploying stood in for)."""
        import drills.exam
        import drills.lifecycle
        tasks = []
        for number, name in enumerate(names, start=1):
            drill = recorded(name)["drill"]
            tasks.append(ExamTask(number, drill["scenario"], drill["seed"], 100 // len(names), drill["level"]))
        self.monkeypatch.setattr(drills.exam, "compose", lambda scenarios, seed, count: tasks)
        self.monkeypatch.setattr(drills.lifecycle, "deploy", lambda session, plan, progress=None, timings=None: {
            "namespace": plan.namespace, "verified_at": iso(utcnow()), "bundle": {}})
        code, out, err = run(capsys, "exam", "start", "--context", CONTEXT, "--minutes", "1",
                             "--count", str(len(names)))
        assert code == 0, err
        exam = Store().open_exam(CONTEXT)
        assert f"a deadline keeper (pid {exam['keeper_pid']}) grades it" in " ".join(out.split())
        return exam

    def deadline_in(self, exam: dict, seconds: float):
        """Move the exam's start so that its deadline is `seconds` from now; returns the deadline."""
        store = Store()
        started = utcnow() + timedelta(seconds=seconds) - timedelta(minutes=exam["minutes"])
        store.db.execute("UPDATE exams SET started_at = ? WHERE id = ?", (iso(started), exam["id"]))
        store.db.execute("UPDATE drills SET started_at = ? WHERE exam_id = ?", (iso(started), exam["id"]))
        return keeper.deadline_of(store.exam(exam["id"]))

    def close(self) -> None:
        store = Store()
        for row in store.db.execute("SELECT keeper_pid, keeper_token FROM exams").fetchall():
            if keeper.is_keeper(row["keeper_pid"], row["keeper_token"]):
                os.kill(row["keeper_pid"], signal.SIGKILL)
        for row in store.db.execute("SELECT keeper_pid FROM exams WHERE keeper_pid IS NOT NULL").fetchall():
            reap(row["keeper_pid"])
        for server in self.servers:
            server.close()


def reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def gone(pid: int) -> bool:
    reap(pid)
    return keeper.command_line(pid) is None


@pytest.fixture
def world(tmp_path, monkeypatch):
    made = World(tmp_path, monkeypatch)
    yield made
    made.close()


def exam_row(exam_id: int) -> dict:
    return Store().exam(exam_id)


def attempts(exam_id: int) -> list[dict]:
    store = Store()
    return [a for d in store.exam_drills(exam_id) for a in store.attempts(d.id)]


def test_the_keeper_grades_at_the_deadline_and_a_later_fix_is_not_credited(capsys, world):
    fake = world.cluster([SM_BROKEN])
    exam = world.start_exam(capsys, [SM_BROKEN])
    pid = exam["keeper_pid"]
    assert keeper.is_keeper(pid, exam["keeper_token"])
    panel = json.loads(run(capsys, "exam", "status", "--context", CONTEXT, "--json")[1])
    assert panel["keeper"] == {"watching": True, "pid": pid, "note": None}
    shown = " ".join(run(capsys, "exam", "status", "--context", CONTEXT)[1].split())
    assert f"A deadline keeper (pid {pid}) is watching the clock" in shown
    deadline = world.deadline_in(exam, LEAD_S)

    # no drills command from here on: the keeper alone grades and closes the exam
    closed = wait_for(lambda: exam_row(exam["id"])["ended_at"] and exam_row(exam["id"]), what="the keeper")
    result = json.loads(closed["result"])["tasks"]
    (entry,) = result.values()
    graded_at = parse_iso(entry["graded_at"])
    assert entry["graded_by"] == "keeper" and entry["report"]["status"] == "FAIL"
    assert deadline <= graded_at < deadline + timedelta(seconds=15)
    assert closed["score"] < 66 and closed["reported_at"] is None
    assert [a["status"] for a in attempts(exam["id"])] == ["FAIL"]
    wait_for(lambda: gone(pid), 5, "the keeper to leave")
    log = keeper.log_path(exam["id"])
    assert oct(log.stat().st_mode & 0o777) == "0o600" and "graded and closed" in log.read_text()

    # the learner fixes the cluster after the deadline: nothing grades it again
    serve(fake, [SM_FIXED])
    requests = len(fake.requests)
    code, out, err = run(capsys, "list")
    assert code == 0 and "selector-mismatch" in out
    assert "Time is up" in err and "below the pass mark" in err and "graded and closed" in " ".join(err.split())
    assert f"Graded at the deadline ({deadline:%H:%M} UTC) by the deadline keeper." in " ".join(err.split())
    assert len(fake.requests) == requests
    assert [a["status"] for a in attempts(exam["id"])] == ["FAIL"]
    assert exam_row(exam["id"])["score"] == closed["score"]
    assert run(capsys, "list")[2] == ""      # shown once
    code, _, err = run(capsys, "exam", "end", "--context", CONTEXT)
    assert code == 8 and "no exam is running" in err and len(fake.requests) == requests


def test_exam_end_racing_the_keeper_at_the_deadline_grades_once(capsys, world):
    fake = world.cluster([SM_FIXED, WT_FIXED])       # quick to grade: no probe retries
    exam = world.start_exam(capsys, [SM_FIXED, WT_FIXED])
    deadline = world.deadline_in(exam, LEAD_S)
    hook = None
    try:
        wait_for(lambda: utcnow() >= deadline, 10, "the deadline")
        # another terminal runs a drills command at the same moment
        hook = subprocess.Popen([sys.executable, "-m", "drills", "history"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        code, out, err = run(capsys, "exam", "end", "--context", CONTEXT, "--json")
        hook_out, hook_err = hook.communicate(timeout=60)
    finally:
        if hook and hook.poll() is None:
            hook.kill()
    shown = json.loads(out)
    assert code == 0 and shown["closed"] and shown["graded"].startswith("graded at the deadline")
    assert {t["graded_by"] for t in shown["tasks"]} == {"keeper"}
    assert [a["status"] for a in attempts(exam["id"])] == ["PASS", "PASS"]    # one grading per task
    assert hook.returncode == 0, hook_err
    closed = exam_row(exam["id"])
    assert closed["ended_at"] and closed["score"] == shown["score"] and closed["grader_pid"] is None
    assert len({r["path"] for r in fake.requests if r["path"].endswith("/exec")}) >= 1


def test_two_commands_racing_on_an_expired_exam_grade_it_once(capsys, world):
    """No keeper: the store alone decides which command grades."""
    world.cluster([SM_BROKEN, WT_BROKEN])
    exam = world.start_exam(capsys, [SM_BROKEN, WT_BROKEN])
    assert keeper.stop(Store(), exam, "stopped by the test")
    world.deadline_in(exam, -120)
    racers = [subprocess.Popen([sys.executable, "-m", "drills", *argv], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
              for argv in (["exam", "end", "--context", CONTEXT, "--json"], ["history"])]
    try:
        outputs = [r.communicate(timeout=60) for r in racers]
    finally:
        for r in racers:
            if r.poll() is None:
                r.kill()
    assert [a["status"] for a in attempts(exam["id"])] == ["FAIL", "FAIL"]
    ended = json.loads(outputs[0][0])
    assert ended["closed"] and ended["graded"].startswith("graded 2 min after the deadline")
    assert exam_row(exam["id"])["score"] == ended["score"]


def test_exam_end_before_the_deadline_stops_the_keeper(capsys, world):
    world.cluster([SM_FIXED])
    exam = world.start_exam(capsys, [SM_FIXED])
    pid = exam["keeper_pid"]
    code, out, _ = run(capsys, "exam", "end", "--context", CONTEXT)
    assert code == 0 and "Score 100%" in out and "Time is up" not in out
    assert gone(pid) and exam_row(exam["id"])["keeper_pid"] is None
    assert [a["status"] for a in attempts(exam["id"])] == ["PASS"]


def test_reset_all_stops_the_keeper(capsys, world, monkeypatch):
    import drills.lifecycle
    world.cluster([SM_BROKEN])
    exam = world.start_exam(capsys, [SM_BROKEN])
    pid = exam["keeper_pid"]
    deleted = []
    monkeypatch.setattr(drills.lifecycle, "reset", lambda session, namespaces, progress=None, wait=True:
                        deleted.append(session.context) or ["drill-selector-mismatch-1"])
    code, out, _ = run(capsys, "reset", "--all", "--context", CONTEXT)
    assert code == 0 and deleted == [CONTEXT]
    wait_for(lambda: gone(pid), 5, "the keeper to stop")
    row = exam_row(exam["id"])
    assert row["keeper_pid"] is None and "reset --all" in row["keeper_note"]
    assert attempts(exam["id"]) == []
    # given up, not failed: closed without a score, so no later command grades it 0 %
    assert row["ended_at"] and row["score"] is None
    assert f"Mock exam {exam['id']} abandoned: closed without a score." in out
    assert Store().exams() == [] and Store().open_exam(CONTEXT) is None


def test_a_process_that_reused_the_pid_is_never_signalled(capsys, world, tmp_path):
    world.cluster([SM_FIXED])
    exam = world.start_exam(capsys, [SM_FIXED])
    real = exam["keeper_pid"]
    keeper.stop(Store(), exam, "stopped by the test")
    wait_for(lambda: gone(real), 5, "the keeper to stop")
    # the pid now belongs to another process: one that even names drills.keeper, with another token
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", keeper.MODULE,
                                 "not-the-token"])
    try:
        Store().set_keeper(exam["id"], exam["keeper_token"], stranger.pid)
        assert not keeper.is_keeper(stranger.pid, exam["keeper_token"])
        assert run(capsys, "exam", "end", "--context", CONTEXT)[0] == 0
        time.sleep(0.2)
        assert stranger.poll() is None      # still running: never signalled
    finally:
        stranger.kill()
        stranger.wait()


def test_a_killed_keeper_falls_back_to_the_next_command(capsys, world):
    fake = world.cluster([SM_BROKEN])
    exam = world.start_exam(capsys, [SM_BROKEN])
    pid = exam["keeper_pid"]
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: gone(pid), 5, "the keeper to die")
    code, out, _ = run(capsys, "exam", "status", "--context", CONTEXT)
    assert "No deadline keeper is watching the clock" in out
    panel = json.loads(run(capsys, "exam", "status", "--context", CONTEXT, "--json")[1])
    assert panel["keeper"]["watching"] is False and "not running" in panel["keeper"]["note"]
    # the machine was off over the deadline; the learner fixed the task in the meantime
    deadline = world.deadline_in(exam, -3 * 60 - 5)
    serve(fake, [SM_FIXED])
    code, out, err = run(capsys, "history")
    assert code == 0 and "graded and closed" in " ".join(err.split())
    assert (f"Graded 3 min after the deadline, at your next drills command: changes made after "
            f"{deadline:%H:%M} UTC may be credited (the deadline keeper was not running at the deadline: "
            "stopped, killed, or the machine was off).") in " ".join(err.split())
    closed = exam_row(exam["id"])
    assert closed["ended_at"] and closed["score"] == 100.0
    assert [a["status"] for a in attempts(exam["id"])] == ["PASS"]


def test_an_unreachable_cluster_at_the_deadline_is_error_and_graded_later(capsys, world):
    world.cluster([SM_BROKEN])
    exam = world.start_exam(capsys, [SM_BROKEN])
    pid = exam["keeper_pid"]
    world.point_at(RefusingPort())          # the cluster goes down before the deadline
    world.deadline_in(exam, LEAD_S)
    wait_for(lambda: gone(pid), 30, "the keeper to give up")
    row = exam_row(exam["id"])
    (entry,) = json.loads(row["result"])["tasks"].values()
    assert row["ended_at"] is None and entry["report"]["status"] == "ERROR" and entry["graded_by"] == "keeper"
    assert "could not reach the cluster" in row["keeper_note"] and "refused" in row["keeper_note"]
    assert attempts(exam["id"]) == []       # never a FAIL for the learner
    code, out, _ = run(capsys, "exam", "check", "--context", CONTEXT)
    assert code == 7 and "ERROR" in out and "Not closed yet" in " ".join(out.split())
    # the cluster is back: the next command grades what the keeper could not
    world.cluster([SM_BROKEN])
    code, _, err = run(capsys, "list")
    flat = " ".join(err.split())
    assert code == 0 and "graded and closed" in flat and "at your next drills command" in flat
    assert "could not reach the cluster at the deadline" in flat
    assert exam_row(exam["id"])["ended_at"] and [a["status"] for a in attempts(exam["id"])] == ["FAIL"]
