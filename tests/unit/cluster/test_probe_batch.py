"""One script for a batch of probes, run for real in /bin/sh with busybox output
recorded from a real cluster (tests/fixtures/real-cluster/*/probes.json)."""
from __future__ import annotations

import subprocess
import time

import pytest

from drills import probes as P
from tests.unit.cluster.fakes import ShimExec, real_probes

URL = "http://web:80/"


def recorded(case: str, command_prefix: str) -> tuple[int, str, str]:
    """(rc, stdout, stderr) of a recorded busybox run, without kubectl's own lines."""
    run = next(r for r in real_probes(case) if r["command"].startswith(command_prefix))
    return run["exit_code"], run["stdout"], P.clean_stderr(run["stderr"]) + "\n"


def run_batch(tmp_path, answers, items, cycle=False, workdir=P.BATCH_DIR):
    shim = ShimExec(tmp_path, answers, cycle=cycle)
    rc, out, err = shim("ns", "drills-probe", ["sh", "-c", P.batch_script(items, workdir)], 20)
    assert err == ""
    return P.parse_batch(out)


def attempts(parsed, label, command):
    return [P.attempt_from_merged(command, r["exit_code"], r["text"], r["seconds"])
            for r in parsed[label]]


def test_every_try_is_recorded_with_the_pod_that_answered(tmp_path):
    pods = ["web-8559b74f6d-4v956", "web-8559b74f6d-hn4hk"]
    parsed = run_batch(tmp_path, {URL: [(0, f"{p}\n", "") for p in pods]},
                       [P.BatchItem("p0", P.wget_command(URL), 6, 2)], cycle=True)
    got = attempts(parsed, "p0", P.wget_command(URL))
    assert [a["outcome"] for a in got] == [P.OK] * 6
    assert [a["answered_by"] for a in got] == pods * 3
    assert all(isinstance(a["seconds"], float) for a in got)


def test_refused_stops_after_two_failures_in_a_row(tmp_path):
    refused = recorded("selector-mismatch-broken", "wget -q -O - -T 2 http://web:80")
    parsed = run_batch(tmp_path, {URL: [refused]},
                       [P.BatchItem("p0", P.wget_command(URL), 12, P.STOP_AFTER_FAILURES)])
    got = attempts(parsed, "p0", "wget")
    assert len(got) == 2
    assert {a["outcome"] for a in got} == {P.REFUSED}
    assert got[0]["detail"] == ("wget: can't connect to remote host (198.19.162.221): "
                                "Connection refused")


def test_a_single_failure_between_successes_does_not_stop_the_loop(tmp_path):
    refused = recorded("wrong-targetport-numeric-broken", "wget -q -O - -T 2 http://web:80")
    answers = {URL: [(0, "web-a\n", ""), refused, (0, "web-b\n", ""), refused, (0, "web-a\n", "")]}
    parsed = run_batch(tmp_path, answers, [P.BatchItem("p0", P.wget_command(URL), 5, 2)])
    assert [a["outcome"] for a in attempts(parsed, "p0", "w")] == \
        [P.OK, P.REFUSED, P.OK, P.REFUSED, P.OK]


@pytest.mark.parametrize("case,prefix,outcome", [
    ("probe-output-shapes", "wget -q -O - -T 2 http://silent:80", P.TIMEOUT),
    ("probe-output-shapes", "wget -q -O - -T 2 http://nope:80", P.UNKNOWN_HOST),
    ("notready-pods-broken", "wget -q -O - -T 2 http://198.18.0.16:8080/healthz", P.HTTP_ERROR),
    ("missing-nodeport-broken", "wget -q -O - -T 2 http://198.18.255.1:30080", P.REFUSED),
])
def test_real_failure_shapes_are_classified_through_the_batch(tmp_path, case, prefix, outcome):
    parsed = run_batch(tmp_path, {URL: [recorded(case, prefix)]},
                       [P.BatchItem("p0", P.wget_command(URL), 1)])
    [attempt] = attempts(parsed, "p0", "w")
    assert attempt["outcome"] == outcome
    assert attempt["exit_code"] == 1


def test_nslookup_answers_parse_through_the_batch(tmp_path):
    answer = recorded("selector-mismatch-broken", "nslookup web")
    nxdomain = recorded("probe-output-shapes", "nslookup nope")
    parsed = run_batch(tmp_path, {"web": [answer], "nope": [nxdomain]},
                       [P.BatchItem("p0", P.nslookup_command("web")),
                        P.BatchItem("p1", P.nslookup_command("nope"))])
    [found] = [P.dns_attempt("nslookup web", r["exit_code"], r["text"], r["seconds"])
               for r in parsed["p0"]]
    [missing] = [P.dns_attempt("nslookup nope", r["exit_code"], r["text"], r["seconds"])
                 for r in parsed["p1"]]
    assert found["outcome"] == P.OK and found["addresses"] == ["198.19.162.221"]
    assert found["names"] == ["web.fx-selector.svc.cluster.local"]
    assert missing["outcome"] == P.UNKNOWN_HOST
    assert missing["detail"] == "nope.fx-probe-shapes.svc.cluster.local: NXDOMAIN"


def test_batch_items_run_side_by_side(tmp_path):
    slow = [P.BatchItem(f"p{n}", "sleep 0.4; echo web-x", 1) for n in range(4)]
    started = time.monotonic()
    parsed = run_batch(tmp_path, {}, slow)
    assert time.monotonic() - started < 1.4      # one after another would take 1.6 s
    assert sorted(parsed) == ["p0", "p1", "p2", "p3"]
    assert all(r["seconds"] >= 0.3 for runs in parsed.values() for r in runs)


def test_without_a_writable_tmp_the_batch_runs_one_after_another(tmp_path):
    items = [P.BatchItem("p0", "echo a", 2), P.BatchItem("p1", "echo b", 1)]
    parsed = run_batch(tmp_path, {}, items, workdir="/nonexistent/dir")
    assert [r["text"] for r in parsed["p0"]] == ["a", "a"]
    assert [r["text"] for r in parsed["p1"]] == ["b"]


def test_output_order_follows_the_items_not_their_finish(tmp_path):
    items = [P.BatchItem("p0", "sleep 0.3; echo first", 1), P.BatchItem("p1", "echo second", 1)]
    shim = ShimExec(tmp_path, {})
    _, out, _ = shim("ns", "pod", ["sh", "-c", P.batch_script(items)], 10)
    assert out.index("first") < out.index("second")


def test_labels_must_be_plain_words():
    with pytest.raises(ValueError):
        P.timed_loop(P.BatchItem("p 0; rm -rf /", "echo"))


def test_parse_batch_tolerates_missing_timestamps():
    parsed = P.parse_batch("web-a\n\n@@drills-attempt p0 0  \nbad\n@@drills-attempt p0 1 x y\n")
    assert parsed == {"p0": [{"exit_code": 0, "text": "web-a", "seconds": None},
                             {"exit_code": 1, "text": "bad", "seconds": None}]}


@pytest.mark.parametrize("target,expected", [
    ("web:80", ("web", 80, "/")),
    ("web.ns.svc.cluster.local:8080/x/y", ("web.ns.svc.cluster.local", 8080, "/x/y")),
    ("30080", ("", 30080, "/")),
    ("30080/healthz", ("", 30080, "/healthz")),
    ("http://web:80/", ("web", 80, "/")),
    ("web", ("web", None, "/")),
])
def test_split_target(target, expected):
    assert P.split_target(target) == expected


def test_scripts_are_valid_posix_shell():
    script = P.batch_script([P.BatchItem("p0", P.wget_command(URL), 3, 2),
                             P.BatchItem("p1", P.nslookup_command("web"))])
    assert subprocess.run(["sh", "-n", "-c", script]).returncode == 0
