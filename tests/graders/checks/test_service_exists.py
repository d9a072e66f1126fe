"""service.exists: the Service exists with the demanded type and port/protocol."""
import pytest

from drills.graders.registry import ERROR, FAIL
from tests.graders.kit import expect, expect_on, named, recorded, without

NAME = "service.exists"


@pytest.mark.parametrize("label, fragments", [
    ("selector-mismatch/reference-PASSED", ["a ClusterIP Service {svc_name} with port {svc_port}/TCP",
                                            "ClusterIP, ports {svc_port}/TCP"]),
    ("expose-deployment/broken-FAILED", ["no Service {svc_name} in namespace {namespace} (Services there: (none))"]),
    ("expose-deployment/expose-as-nodeport-FAILED", ["type NodePort (ports {svc_port}/TCP)"]),
    ("expose-deployment/expose-without-port-FAILED", ["ports {container_port}/TCP"]),
    ("externalname-alias/broken-FAILED", ["a ExternalName Service {svc_name}", "type ClusterIP"]),
])
def test_recorded_input(label, fragments):
    expect(NAME, label, *fragments)


def test_the_protocol_of_the_port_counts():
    b = recorded("selector-mismatch", "reference")
    named(b, "services", "billing")["spec"]["ports"][0]["protocol"] = "UDP"
    expect_on(NAME, b, FAIL, "ports {svc_port}/UDP")


def test_unreadable_services_cannot_decide():
    expect_on(NAME, without(recorded("selector-mismatch", "reference"), "services"), ERROR,
              "the evidence holds no services (Forbidden)")


def test_without_a_demanded_port_any_port_will_do():
    v, _ = expect(NAME, "selector-mismatch/reference-PASSED", port=None)
    assert v.expected == "a ClusterIP Service billing"
