"""pods.running: the workload has the demanded number of Running pods."""
import pytest

from drills.graders.registry import FAIL
from tests.graders.kit import expect, expect_on, pods_of, recorded, terminating

NAME = "pods.running"


@pytest.mark.parametrize("label, fragments", [
    ("notready-pods/broken-PASSED", ["Deployment {app}", "3 pods Running", "3 Running: {app}-"]),
    ("notready-pods/always-true-probe-PASSED", ["3 Running"]),
])
def test_recorded_input(label, fragments):
    expect(NAME, label, *fragments)


def test_a_pending_pod_fails_with_its_phase():
    b = recorded("notready-pods", "reference")
    pod = pods_of(b, "billing")[0]
    pod["status"]["phase"] = "Pending"
    expect_on(NAME, b, FAIL, "2 Running", f"{pod['metadata']['name']}: Pending")


def test_a_terminating_pod_is_not_running():
    b = recorded("notready-pods", "reference")
    terminating(pods_of(b, "billing")[0])
    expect_on(NAME, b, FAIL, "2 Running")
