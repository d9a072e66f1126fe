"""pods.ready: the workload has the demanded number of Ready pods; a terminating pod is not one."""
import pytest

from drills.graders.registry import ERROR, FAIL
from tests.graders.kit import expect, expect_on, pods_of, recorded, terminating, without

NAME = "pods.ready"


@pytest.mark.parametrize("label, fragments", [
    ("selector-mismatch/reference-PASSED", ["Deployment {app}", "3 pods Ready", "3 Ready: {app}-"]),
    ("notready-pods/broken-FAILED", ["0 of 3 Ready", "not Ready (Readiness probe failed: HTTP probe failed "
                                     "with statuscode: 404)"]),
    ("notready-pods/restart-pods-FAILED", ["of 3 Ready"]),
    ("notready-pods/publish-not-ready-FAILED", ["0 of 3 Ready"]),
])
def test_recorded_input(label, fragments):
    expect(NAME, label, *fragments)


def test_a_terminating_pod_does_not_count_as_ready():
    # hand-made: a pod the API is deleting still reports Ready=True until its container stops
    b = recorded("selector-mismatch", "reference")
    gone = terminating(pods_of(b, "billing")[0])["metadata"]["name"]
    v = expect_on(NAME, b, FAIL, "2 of 3 Ready")
    assert gone not in v.observed.split(":", 1)[0]


def test_a_missing_workload_fails_and_unreadable_pods_cannot_decide():
    b = recorded("selector-mismatch", "reference")
    b["objects"]["deployments"] = []
    expect_on(NAME, b, FAIL, "no Deployment billing in namespace {namespace}")
    expect_on(NAME, without(recorded("selector-mismatch", "reference"), "pods"), ERROR,
              "the evidence holds no pods (Forbidden)")


def test_the_hint_describes_the_first_pod_that_is_not_ready():
    v, b = expect(NAME, "notready-pods/broken-FAILED", "0 of 3 Ready")
    first = pods_of(b, "billing")[0]["metadata"]["name"]
    assert f"kubectl -n {b['drill']['namespace']} describe pod {first} (see the readiness probe" in v.hint
