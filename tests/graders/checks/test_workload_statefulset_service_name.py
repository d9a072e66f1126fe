"""workload.statefulset-service-name: the StatefulSet's serviceName names the governing Service and
its pods carry that subdomain."""
import pytest

from drills.graders.registry import FAIL
from tests.graders.kit import expect, expect_on, named, recorded

NAME = "workload.statefulset-service-name"


@pytest.mark.parametrize("label, fragments", [
    ("headless-statefulset/reference-PASSED", ["spec.serviceName {svc_name}, so its pods are named <pod>.{svc_name}"]),
    ("headless-statefulset/broken-PASSED", ["spec.serviceName {svc_name}"]),
])
def test_recorded_input(label, fragments):
    expect(NAME, label, *fragments)


def test_another_service_name_fails():
    b = recorded("headless-statefulset", "reference")
    named(b, "statefulsets", "billing")["spec"]["serviceName"] = "billing"
    expect_on(NAME, b, FAIL, "spec.serviceName 'billing', so its pods get the DNS subdomain billing")


def test_pods_with_a_stale_subdomain_fail():
    b = recorded("headless-statefulset", "reference")
    pod = named(b, "pods", "billing-0")
    pod["spec"]["subdomain"] = "old"
    expect_on(NAME, b, FAIL, "but pods billing-0 were created with another subdomain")
