"""service.headless: the Service is of type ClusterIP with clusterIP None."""
import pytest

from drills.graders.registry import FAIL
from tests.graders.kit import expect, expect_on, named, recorded

NAME = "service.headless"


@pytest.mark.parametrize("label, fragments", [
    ("headless-statefulset/reference-PASSED", ["clusterIP None (headless)", "observed clusterIP None"]),
    ("headless-statefulset/virtual-ip-FAILED", ["clusterIP 198.19.", "delete the Service and create it again"]),
    ("headless-statefulset/named-after-statefulset-FAILED", ["no Service {svc_name}"]),
    ("headless-statefulset/broken-FAILED", ["no Service {svc_name} in namespace {namespace}"]),
])
def test_recorded_input(label, fragments):
    expect(NAME, label, *fragments)


def test_a_service_of_another_type_cannot_be_headless():
    b = recorded("headless-statefulset", "reference")
    named(b, "services", "billing-hl")["spec"]["type"] = "NodePort"
    expect_on(NAME, b, FAIL, "type NodePort; only a ClusterIP-type Service can be headless")
