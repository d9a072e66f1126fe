"""drills grade --contexts: a class of fake learner clusters on loopback, graded at once."""
from __future__ import annotations

import json
import threading

import pytest

from drills import classroom
from drills.cli import main
from tests.classroom.fake_cluster import FakeCluster, RefusingPort, SilentPort, drill_namespace, recorded
from tests.unit.cluster.apiserver import write_kubeconfig


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def servers():
    made = []
    yield made
    for server in made:
        server.close()


def start(servers, server):
    servers.append(server)
    return server


@pytest.fixture
def classroom_config(tmp_path, servers, virtual_clock):
    """Six learners: fixed, broken, two drills, refused, 403, and one whose namespace
    lacks drills' label (a silent one has its own test, with a short timeout). Recorded
    answers never change, so the collector's retries of bob's failing probes run on the
    virtual clock."""
    fixed = recorded("selector-mismatch/seed1-reference")
    broken = recorded("wrong-targetport/seed1-broken")
    other = recorded("missing-nodeport/seed1-reference")
    unlabelled = drill_namespace(recorded("selector-mismatch/seed1-broken"), labelled=False)
    world = {
        "learner-alice": start(servers, FakeCluster([fixed])),
        "learner-bob": start(servers, FakeCluster([broken])),
        "learner-carol": start(servers, FakeCluster([fixed, other])),
        "learner-dave": start(servers, RefusingPort()),
        "learner-frank": start(servers, FakeCluster([fixed], mode="forbidden")),
        "learner-grace": start(servers, FakeCluster([recorded("selector-mismatch/seed1-broken")],
                                                    namespaces=[unlabelled])),
        "teacher": start(servers, FakeCluster([fixed])),
    }
    path = write_kubeconfig(tmp_path / "class.kubeconfig", {n: s.url for n, s in world.items()})
    return path, world


def test_a_class_is_graded_into_the_right_rows(capsys, classroom_config, tmp_path):
    path, world = classroom_config
    report = tmp_path / "class.json"
    rc, out, err = run(capsys, "grade", "--kubeconfig", str(path), "--contexts", "learner-*",
                       "--jobs", "8", "--report", str(report), "--json")
    data = json.loads(out)
    rows = {(r["learner"], r["task"]): r for r in data["rows"]}
    assert sorted(rows) == sorted([
        ("learner-alice", "selector-mismatch"), ("learner-bob", "wrong-targetport"),
        ("learner-carol", "selector-mismatch"), ("learner-carol", "missing-nodeport"),
        ("learner-dave", "-"), ("learner-frank", "-"), ("learner-grace", "-")])
    assert rows["learner-alice", "selector-mismatch"]["status"] == "PASS"
    assert rows["learner-alice", "selector-mismatch"]["score"] == 100.0
    assert rows["learner-alice", "selector-mismatch"]["code"] == "6SQ0-00019"
    bob = rows["learner-bob", "wrong-targetport"]
    assert bob["status"] == "FAIL" and bob["diagnosis"]["check"] == "endpoints.ready-per-port", bob["error"]
    assert rows["learner-carol", "missing-nodeport"]["status"] == "PASS"
    assert rows["learner-carol", "selector-mismatch"]["status"] == "PASS"
    assert "refused" in rows["learner-dave", "-"]["error"]
    assert "403" in rows["learner-frank", "-"]["error"]
    assert "no drill namespaces" in rows["learner-grace", "-"]["error"]
    for key in [("learner-dave", "-"), ("learner-frank", "-"), ("learner-grace", "-")]:
        assert rows[key]["status"] == "ERROR"
    assert rc == 7                       # some rows could not be decided
    assert "teacher" not in {r["learner"] for r in data["rows"]}
    # nothing is ever sent to the namespace drills did not label, nor anything but reads
    grace = world["learner-grace"]
    assert grace.requests and all("drill-selector-mismatch-1" not in r["path"] for r in grace.requests)
    assert {r["method"] for s in world.values() if isinstance(s, FakeCluster) for r in s.requests} == {"GET"}
    assert json.loads(report.read_text())["results"] == data["rows"]


def test_a_context_that_never_answers_is_an_error_row_within_its_timeout(capsys, tmp_path, servers):
    import time
    fixed = start(servers, FakeCluster([recorded("selector-mismatch/seed1-reference")]))
    silent = start(servers, SilentPort())
    path = write_kubeconfig(tmp_path / "k", {"learner-erin": silent.url, "learner-fred": fixed.url})
    began = time.monotonic()
    rc, out, _ = run(capsys, "grade", "--kubeconfig", str(path), "--timeout", "2", "--json")
    rows = {r["learner"]: r for r in json.loads(out)["rows"]}
    assert time.monotonic() - began < 8
    assert rows["learner-erin"]["status"] == "ERROR" and "timed out" in rows["learner-erin"]["error"]
    assert rows["learner-fred"]["status"] == "PASS" and rc == 7


def test_a_stored_class_run_re_renders_without_a_cluster(capsys, classroom_config, tmp_path, servers):
    path, world = classroom_config
    rc, out, _ = run(capsys, "grade", "--kubeconfig", str(path), "--contexts", "learner-a*",
                     "--contexts", "learner-b*", "--json")
    first = json.loads(out)
    for server in servers:
        server.close()
    servers.clear()
    report = tmp_path / "again.csv"
    rc2, out2, _ = run(capsys, "grade", "--class-run", first["class_run"], "--report", str(report), "--json")
    assert json.loads(out2)["rows"] == first["rows"] and rc2 == rc == 1
    assert report.read_text().count("\n") == 3
    rc3, _, err = run(capsys, "grade", "--class-run", "nope")
    assert rc3 == 2 and "no class run 'nope'" in err and first["class_run"] in err


def test_learners_can_be_named_by_a_namespace_label(capsys, tmp_path, servers):
    fixed = recorded("selector-mismatch/seed1-reference")
    ns = drill_namespace(fixed, extra_labels={"example.org/learner": "<b>Zoë</b>"})
    server = start(servers, FakeCluster([fixed], namespaces=[ns]))
    path = write_kubeconfig(tmp_path / "k", {"seat-1": server.url})
    rc, out, _ = run(capsys, "grade", "--kubeconfig", str(path), "--learner-label", "example.org/learner")
    assert rc == 0 and "<b>Zoë</b>" in out       # printed as inert text, not markup


def test_evidence_kept_for_a_dispute_judges_the_same(capsys, tmp_path, servers, virtual_clock):
    server = start(servers, FakeCluster([recorded("wrong-targetport/seed1-broken")]))
    path = write_kubeconfig(tmp_path / "k", {"learner/../../x": server.url})
    kept = tmp_path / "kept"
    rc, out, _ = run(capsys, "grade", "--kubeconfig", str(path), "--save-evidence", str(kept), "--json")
    [saved] = list(kept.iterdir())
    assert saved.parent == kept and ".." not in saved.name
    rc2, out2, _ = run(capsys, "grade", "--evidence", str(kept), "--json")
    live, again = json.loads(out)["rows"][0], json.loads(out2)["rows"][0]
    assert [c["status"] for c in live["checks"]] == [c["status"] for c in again["checks"]]
    assert again["learner"] == classroom.safe_file_name("learner/../../x") == "learner_____x"
    assert rc == rc2 == 1


def test_no_context_matching_is_one_line(capsys, classroom_config):
    path, _ = classroom_config
    rc, _, err = run(capsys, "grade", "--kubeconfig", str(path), "--contexts", "room-2-*")
    assert rc == 2 and "no context matches 'room-2-*'" in err and err.count("\n") == 1


def test_the_pool_is_bounded_and_ctrl_c_keeps_what_was_graded():
    running, most = [], []
    lock = threading.Lock()
    release = threading.Event()

    def grade_one(target):
        with lock:
            running.append(target)
            most.append(len(running))
        if target != "t0":
            release.wait(5)
        with lock:
            running.remove(target)
        return [classroom.error_row(target, target, target, "x")]

    calls = []

    def on_done(target, rows):
        calls.append(target)
        raise KeyboardInterrupt        # as if Ctrl-C came after the first context

    stop = threading.Event()
    threading.Timer(0.5, release.set).start()
    rows, interrupted = classroom.run_all([f"t{n}" for n in range(10)], grade_one, jobs=3,
                                          on_done=on_done, stop=stop)
    assert interrupted and stop.is_set() and calls == ["t0"]
    assert [r["learner"] for r in rows] == ["t0"]
    assert max(most) <= 3


def test_a_grader_that_overruns_its_deadline_is_an_error_row():
    gate = threading.Event()

    def grade_one(target):
        if target == "slow":
            gate.wait(5)
        return [classroom.error_row(target, target, target, "fine")]

    rows, interrupted = classroom.run_all(["slow", "quick"], grade_one, jobs=2, backstop_s=0.3)
    gate.set()
    assert not interrupted
    assert [r["learner"] for r in rows] == ["slow", "quick"]
    assert "did not end within" in rows[0]["error"]


def test_requests_are_bounded_by_the_context_deadline():
    import time

    seen = []

    class Api:
        def request(self, method, path, timeout=10.0, **kwargs):
            seen.append(timeout)
            return {}

        def exec(self, namespace, pod, argv, timeout=20.0, **kwargs):
            seen.append(timeout)

    api, stop = Api(), threading.Event()
    classroom.bound_requests(api, time.monotonic() + 2, stop, "c", 2)
    api.request("GET", "/x")
    api.exec("ns", "p", ["sh"], timeout=20)
    assert all(t <= 2 for t in seen)
    stop.set()
    with pytest.raises(classroom.Stopped):
        api.request("GET", "/x")


def test_ctrl_c_stores_and_prints_what_was_graded(capsys, classroom_config, monkeypatch):
    path, _ = classroom_config
    real = classroom.run_all

    def interrupted_after_first(targets, grade_one, **kwargs):
        rows, _ = real(targets[:1], grade_one, **kwargs)
        return rows, True
    monkeypatch.setattr(classroom, "run_all", interrupted_after_first)
    rc, out, err = run(capsys, "grade", "--kubeconfig", str(path), "--contexts", "learner-*")
    assert rc == 130 and "interrupted: 1 of 6 graded, stored as class run" in err
    assert "learner-alice" in out and "learner-bob" not in out
    run_id = err.split("class run ")[1].split(" ")[0].rstrip(",")
    monkeypatch.setattr(classroom, "run_all", real)
    rc, out, _ = run(capsys, "grade", "--class-run", run_id, "--json")
    data = json.loads(out)
    assert data["interrupted"] and [r["learner"] for r in data["rows"]] == ["learner-alice"]


def test_kubeconfig_is_only_borrowed_while_grading(capsys, classroom_config, monkeypatch):
    import os
    monkeypatch.setenv("KUBECONFIG", "/nowhere/config")
    path, _ = classroom_config
    run(capsys, "grade", "--kubeconfig", str(path), "--contexts", "learner-a*", "--json")
    assert os.environ["KUBECONFIG"] == "/nowhere/config"


def test_an_annotation_pointing_at_a_foreign_namespace_is_not_followed(capsys, tmp_path, servers):
    bundle = recorded("selector-mismatch/seed1-broken")
    ns = drill_namespace(bundle)
    identity = json.loads(ns["metadata"]["annotations"]["drills.dev/drill"])
    identity["namespace"] = "kube-system"          # a learner can edit the annotation
    ns["metadata"]["annotations"]["drills.dev/drill"] = json.dumps(identity)
    server = start(servers, FakeCluster([bundle], namespaces=[ns]))
    path = write_kubeconfig(tmp_path / "k", {"learner-mallory": server.url})
    rc, out, _ = run(capsys, "grade", "--kubeconfig", str(path), "--json")
    [row] = json.loads(out)["rows"]
    assert row["status"] == "ERROR" and "annotation names namespace kube-system" in row["error"] and rc == 7
    assert not [r for r in server.requests if "kube-system" in r["path"]]


@pytest.mark.parametrize("report", ["class.pdf", "missing/class.html"])
def test_a_report_that_cannot_be_written_is_refused_before_grading(capsys, tmp_path, servers, report):
    server = start(servers, FakeCluster([recorded("selector-mismatch/seed1-reference")]))
    path = write_kubeconfig(tmp_path / "k", {"learner-1": server.url})
    rc, _, err = run(capsys, "grade", "--kubeconfig", str(path), "--report", str(tmp_path / report))
    assert rc == 2 and err.count("\n") == 1 and server.requests == []
