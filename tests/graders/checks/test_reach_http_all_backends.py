"""reach.http-all-backends: HTTP through the Service (DNS name or ClusterIP) succeeds every time
and is answered by every Ready pod of the workload, and by no other."""
import pytest

from drills.graders.checks._common import chance_to_miss, judge_answerers
from drills.graders.registry import ERROR, FAIL, PASS
from tests.graders.kit import expect, expect_on, pods_of, recorded, terminating

NAME = "reach.http-all-backends"


@pytest.mark.parametrize("label, name, fragments", [
    ("selector-mismatch/reference-PASSED", NAME, ["http://{svc_name}:{svc_port}/", "all 3 Ready pods answered"]),
    ("selector-mismatch/reference-PASSED", "reach.cluster-ip", ["<ClusterIP of {svc_name}>", "answered"]),
    ("selector-mismatch/broken-FAILED", NAME, ["2 of 2 attempts timeout (wget: download timed out)"]),
    ("expose-deployment/broken-FAILED", NAME, ["unknown-host (wget: bad address '{svc_name}:{svc_port}')"]),
    ("selector-mismatch/legacy-pods-FAILED", NAME, ["answered by billing-legacy-",
                                                    "which is not a Ready pod of the workload"]),
    ("wrong-targetport/seed3-broken-FAILED", "reach.cluster-ip", ["of", "attempts"]),
    ("selector-mismatch/infra-error-ERROR", NAME, ["the probe could not run: the probe pod {namespace}/drills-probe"]),
])
def test_recorded_input(label, name, fragments):
    expect(name, label, *fragments)


def test_one_answer_from_a_pod_of_another_workload_fails():
    b = recorded("selector-mismatch", "reference")
    (legacy,) = pods_of(b, "billing-legacy")
    attempt = b["probes"]["http:billing:3000/"]["attempts"][0]
    attempt["answered_by"] = attempt["stdout"] = legacy["metadata"]["name"]
    expect_on(NAME, b, FAIL, f"answered by {legacy['metadata']['name']}, which is not a Ready pod")


def test_an_answer_from_a_terminating_pod_is_not_from_a_ready_backend():
    b = recorded("selector-mismatch", "reference")
    gone = terminating(pods_of(b, "billing")[0])["metadata"]["name"]
    expect_on(NAME, b, FAIL, f"answered by {gone}, which is not a Ready pod")


def test_an_unresolved_probe_is_the_learners_fault():
    b = recorded("selector-mismatch", "reference")
    b["probes"]["http-cluster-ip:billing:3000/"].update(unresolved="Service billing has no ClusterIP",
                                                        attempts=[])
    expect_on("reach.cluster-ip", b, FAIL, "no target to probe: Service billing has no ClusterIP")


def test_a_probe_with_no_attempt_cannot_decide():
    b = recorded("selector-mismatch", "reference")
    b["probes"]["http:billing:3000/"]["attempts"] = []
    expect_on(NAME, b, ERROR, "recorded no attempt")


def test_a_missing_probe_cannot_decide():
    b = recorded("selector-mismatch", "reference")
    del b["probes"]["http:billing:3000/"]
    expect_on(NAME, b, ERROR, "the evidence holds no probe http:billing:3000/")


def test_answerer_statistics():
    ready = {"a", "b", "c"}
    assert judge_answerers({"a", "b", "c"}, ready, 12) == (True, "all 3 Ready pods answered: a, b, c")
    ok, why = judge_answerers({"a", "b", "x"}, ready, 12)
    assert not ok and "answered by x, which is not a Ready pod of the workload" in why
    ok, why = judge_answerers({"a", "b"}, ready, 40)
    assert not ok and "40 successful requests never reached c" in why
    ok, why = judge_answerers({"a", "b"}, ready, 4)
    assert ok and "c did not answer in 4 tries" in why
    assert judge_answerers(set(), set(), 3) == (False, "no Ready pod of the workload exists to answer")
    assert chance_to_miss(3, 0, 12) == 1.0 and chance_to_miss(3, 3, 12) == 0.0
    assert chance_to_miss(3, 1, 12) == pytest.approx(3 * (2 / 3) ** 12)
    assert chance_to_miss(0, 0, 12) == 1.0   # nothing missed is always plausible, even with no pods
    ok, why = judge_answerers({"a"}, {"a", "b"}, 1)
    assert ok and why.endswith("b did not answer in 1 try, which a balanced Service does by chance")
    # nothing answered is never a pass, not even without tries
    assert judge_answerers(set(), {"a", "b"}, 0)[0] is False


def test_an_unknown_way_to_reach_the_service_is_the_scenarios_bug():
    from drills.graders.checks.reach_http_all_backends import http_probe
    assert http_probe("billing", 80, via="cluster-ip").kind == "http-cluster-ip"
    with pytest.raises(ValueError, match="via must be 'dns' or 'cluster-ip', not 'node'"):
        http_probe("billing", 80, via="node")
