"""A probe's output is bounded: a learner's server that answers with megabytes
leaves at most drills.probes.OUTPUT_LIMIT per attempt in the bundle, marked
"truncated", and the judge grades the cut answer as it would the whole one.

The batch script runs for real in /bin/sh (ShimExec: wget replaced by a shim
printing the answer); the exec bound is tested over a real websocket."""
from __future__ import annotations

import json

import pytest

from drills import probes as P
from drills.cluster import collect as C
from drills.cluster.api import ExecFailed
from drills.evidence import MAX_STRING, check_bundle
from drills.graders.judge import judge, required_probes
from drills.render import CheckCall
from tests.unit.cluster.fakes import make_plan, ok
from tests.unit.cluster.test_collect import NS, PODS, seed, world  # noqa: F401  (world: fixture)
from tests.unit.cluster.test_exec import SUCCESS, serve  # noqa: F401  (serve: fixture)

HUGE = 2 * 1024 * 1024         # twice the bundle's string bound
REACH = CheckCall("reach.http-all-backends", "reach", {"service": "web", "port": 80, "workload": "web"})


def reach_plan():
    return make_plan(NS, checks=[REACH])


def huge_answer(pod: str, newline: bool = True) -> tuple[int, str, str]:
    """A 200 OK whose body starts with the pod's name and goes on for 2 MiB."""
    return (0, pod + ("\n" if newline else "") + "x" * HUGE, "")


def collect_reach(world, answers, **kw):
    fake, shim, session = world
    seed(fake, "selector-mismatch-fixed")
    plan = reach_plan()
    probes = required_probes(plan)
    shim.cycle = True
    shim.set({f"http://{probes[0].target}": answers})
    return plan, C.collect_evidence(session, plan, probes, **kw)


def all_strings(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from all_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from all_strings(v)
    elif isinstance(value, str):
        yield value


def test_a_huge_answer_is_cut_and_marked_and_the_bundle_stays_valid(world):
    plan, bundle = collect_reach(world, [huge_answer(p) for p in PODS])
    check_bundle(json.loads(json.dumps(bundle)))          # what --save-evidence writes, reread
    assert max(len(s) for s in all_strings(bundle)) < MAX_STRING
    assert len(json.dumps(bundle)) < 2 * 1024 * 1024
    [probe] = bundle["probes"].values()
    assert probe["error"] is None and probe["attempts"]
    for attempt in probe["attempts"]:
        assert len(attempt["stdout"].encode()) == P.OUTPUT_LIMIT
        assert attempt.get("truncated") is True
        assert attempt["detail"] == "output truncated after 64 KiB"
    assert probe["truncated"] is True


def test_a_cut_answer_keeps_its_first_line_so_the_verdict_is_the_one_of_the_whole_answer(world):
    """The backends answer with their pod name on the first line; cutting after
    64 KiB leaves that line whole, so every Ready pod still counts as answering."""
    plan, bundle = collect_reach(world, [huge_answer(p) for p in PODS])
    [probe] = bundle["probes"].values()
    assert {a["answered_by"] for a in probe["attempts"]} == set(PODS)
    reach = judge(plan, bundle).by_name("reach")
    assert reach.status == "PASS", reach

    whole = json.loads(json.dumps(bundle))           # the same answers, kept whole
    for attempt in next(iter(whole["probes"].values()))["attempts"]:
        full = P.attempt_from_merged(attempt["command"], 0, attempt["answered_by"] + "\n" + "x" * HUGE)
        assert full["answered_by"] == attempt["answered_by"]
    assert judge(plan, whole).by_name("reach").status == "PASS"


def test_a_huge_first_line_that_starts_with_a_pod_name_is_not_that_pod(world):
    """'web-8559b74f6d-4v956xxxx...' (2 MiB, one line) is no pod's name: cut or not,
    it must fail as a foreign answer, never pass because the cut kept a prefix."""
    plan, bundle = collect_reach(world, [huge_answer(p, newline=False) for p in PODS])
    [probe] = bundle["probes"].values()
    assert probe["truncated"] is True
    for attempt in probe["attempts"]:
        assert attempt["answered_by"] not in PODS
        assert len(attempt["answered_by"]) <= P.MAX_NAME         # the bundle schema's bound
        assert attempt["answered_by"].startswith("web-8559b74f6d-")
    check_bundle(json.loads(json.dumps(bundle)))
    reach = judge(plan, bundle).by_name("reach")
    assert reach.status == "FAIL"
    assert "cut" in reach.observed and "not a Ready pod" in reach.observed


def test_an_answer_just_under_the_limit_is_kept_whole(world):
    body = PODS[0] + "\n" + "y" * (P.OUTPUT_LIMIT - len(PODS[0]) - 2)
    plan, bundle = collect_reach(world, [(0, body + "\n", "")], retry_budget=0)
    [probe] = bundle["probes"].values()
    assert probe["truncated"] is False
    assert all("truncated" not in a for a in probe["attempts"])
    assert probe["attempts"][0]["stdout"] == body


def test_a_huge_error_page_is_cut_too(world):
    """wget prints the error to stderr; merged with stdout, it is bounded the same way."""
    noisy = (1, "", "wget: server returned error: HTTP/1.1 500 Internal Server Error\n" + "e" * HUGE)
    plan, bundle = collect_reach(world, [noisy], retry_budget=0)
    [probe] = bundle["probes"].values()
    first = probe["attempts"][0]
    assert first["outcome"] == P.HTTP_ERROR and first["truncated"] is True
    assert len(first["stderr"].encode()) == P.OUTPUT_LIMIT
    assert len(first["detail"]) < 1000 and first["detail"].endswith("output truncated after 64 KiB")
    assert judge(plan, bundle).by_name("reach").status == "FAIL"
    check_bundle(json.loads(json.dumps(bundle)))


def test_output_the_script_did_not_cut_is_cut_by_the_parser():
    """A probe pod that does not run drills' script (the learner replaced it) can
    print anything: the parser keeps OUTPUT_LIMIT bytes and marks the cut."""
    mark = P.new_batch_mark()
    parsed = P.parse_batch("web-a\n" + "z" * (3 * P.OUTPUT_LIMIT) + f"\n{mark} p0 0 1.00 1.01\n", mark)
    [run] = parsed["p0"]
    assert run["truncated"] is True and len(run["text"]) == P.OUTPUT_LIMIT
    attempt = P.attempt_from_merged("wget", run["exit_code"], run["text"], truncated=run["truncated"])
    assert attempt["answered_by"] == "web-a" and attempt["truncated"] is True


def test_long_nslookup_names_never_break_the_bundle_schema():
    text = ("Server:\t\t198.19.0.10\nAddress:\t198.19.0.10:53\n\n"
            f"Name:\t{'a' * 300}.svc.cluster.local\nAddress: 198.19.1.1\n\n"
            f"Name:\tweb.ns.svc.cluster.local\nAddress: {'9' * 100}\n")
    attempt = P.dns_attempt("nslookup web", 0, text)
    assert attempt["names"] == [] and attempt["addresses"] == []


def test_old_bundles_without_the_field_judge_as_before():
    """Recordings made before the bound carry no "truncated": they load and judge unchanged."""
    from tests.graders.kit import judged, recorded
    for case, status in (("reference", "PASS"), ("broken", "FAIL"), ("infra-error", "ERROR")):
        bundle = recorded("selector-mismatch", case)
        assert all("truncated" not in p for p in bundle["probes"].values())
        check_bundle(bundle)
        assert judged(bundle).status == status


def test_exec_stops_reading_a_stream_larger_than_its_bound(serve):  # noqa: F811
    chunk = b"\x01" + b"w" * 60_000
    server, api = serve([(1, chunk[1:])] * 40 + [(3, json.dumps(SUCCESS).encode())])
    with pytest.raises(ExecFailed) as caught:
        api.exec("ns", "drills-probe", ["sh", "-c", "cat /dev/zero"], timeout=5, max_bytes=256 * 1024)
    assert "more than 256 KiB" in str(caught.value)


def test_exec_within_its_bound_returns_everything(serve):  # noqa: F811
    server, api = serve([(1, b"w" * 60_000)] * 4 + [(2, b"e"), (3, json.dumps(SUCCESS).encode())])
    rc, out, err = api.exec("ns", "drills-probe", ["true"], timeout=5, max_bytes=256 * 1024)
    assert (rc, len(out), err) == (0, 240_000, "e")


def test_the_collector_bounds_the_exec_by_what_its_script_can_print():
    items = [P.BatchItem("p0", "wget x", 12), P.BatchItem("p1", "nslookup y", 1)]
    bound = C.exec_output_bound(items)
    assert 13 * P.OUTPUT_LIMIT < bound < 14 * P.OUTPUT_LIMIT + 128 * 1024


SIZES = [0, 1, P.OUTPUT_LIMIT - 1, P.OUTPUT_LIMIT, P.OUTPUT_LIMIT + 1, 3 * P.OUTPUT_LIMIT]


def run_script(tmp_path, shell, size, *, dd_without_iflag=False, busybox_tools=False):
    """The batch script for one command printing `size` bytes, run in `shell`."""
    import os
    import shutil
    import subprocess
    env = dict(os.environ)
    tools = tmp_path / "bin"
    tools.mkdir(exist_ok=True)
    if dd_without_iflag:      # an older dd: refuses iflag= before reading anything
        (tools / "dd").write_text('#!/bin/sh\nfor a; do case $a in iflag=*) echo "dd: bad option" >&2;'
                                  f' exit 1;; esac; done\nexec {shutil.which("dd")} "$@"\n')
        (tools / "dd").chmod(0o755)
    if busybox_tools:         # the probe pod's userland: busybox applets
        for tool in ("dd", "head", "wc", "cat", "tr", "mktemp", "rm"):
            (tools / tool).symlink_to(shutil.which("busybox"))
    env["PATH"] = f"{tools}:{env['PATH']}"
    item = P.BatchItem("p0", f"head -c {size} /dev/zero | tr '\\0' a; exit 3", 1)
    done = subprocess.run([*shell, "-c", P.batch_script([item])], capture_output=True, text=True,
                          env=env, timeout=30)
    assert done.stderr == ""
    [run] = P.parse_batch(done.stdout)["p0"]
    return run


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dd_without_iflag", [False, True], ids=["dd", "dd-without-iflag"])
def test_the_script_keeps_exactly_the_limit_and_says_when_it_cut(tmp_path, size, dd_without_iflag):
    run = run_script(tmp_path, ["/bin/sh"], size, dd_without_iflag=dd_without_iflag)
    assert run["exit_code"] == 3                         # the command's own exit code
    assert len(run["text"]) == min(size, P.OUTPUT_LIMIT)
    assert run.get("truncated", False) is (size > P.OUTPUT_LIMIT)


@pytest.mark.busybox      # opt-in (pytest -m busybox, needs busybox on the PATH); /bin/sh runs above
@pytest.mark.parametrize("size", [5, P.OUTPUT_LIMIT, P.OUTPUT_LIMIT + 1])
def test_the_script_does_the_same_in_busybox_sh(tmp_path, size):
    run = run_script(tmp_path, ["busybox", "sh"], size, busybox_tools=True)
    assert run["exit_code"] == 3 and len(run["text"]) == min(size, P.OUTPUT_LIMIT)
    assert run.get("truncated", False) is (size > P.OUTPUT_LIMIT)
