"""service.target-port-resolves: every targetPort (number or name, with protocol) lands on the port
the pods listen on. Inputs: recordings, named by outcome."""
import pytest

from drills.graders.registry import FAIL, PASS
from tests.graders.kit import container, expect, expect_on, named, pods_of, recorded

NAME = "service.target-port-resolves"


@pytest.mark.parametrize("label, fragments", [
    ("wrong-targetport/reference-PASSED", ["Service {svc_name}", "{svc_port} -> {container_port} reaches "
                                           "{container_port}/TCP on every pod"]),
    ("wrong-targetport/named-target-port-PASSED", ["{svc_port} -> {port_name} reaches {container_port}/TCP"]),
    ("wrong-targetport/seed3-broken-FAILED", ["sends to targetPort", "but the pods listen on {container_port}",
                                              "declared container ports: {port_name}={container_port}/TCP"]),
    ("wrong-targetport/broken-FAILED", ["targetPort 'billing-app', a name no container port of pod",
                                        "carries (its ports: {port_name}={container_port}/TCP)"]),
    ("wrong-targetport/target-port-equals-port-FAILED", ["targetPort {svc_port}, but the pods listen on "
                                                         "{container_port}"]),
    ("wrong-targetport/expose-without-target-port-FAILED", ["targetPort {svc_port}, but the pods listen"]),
    ("missing-nodeport/dropped-target-port-FAILED", ["every targetPort resolving to {container_port}/TCP",
                                                     "targetPort {svc_port}"]),
    ("port-targetport-swap/broken-FAILED", ["but the pods listen on {container_port}"]),
])
def test_recorded_input(label, fragments):
    expect(NAME, label, *fragments)


def test_a_udp_service_port_to_a_tcp_server_fails():
    # the simulator this replaces called this "all pods answered"; a UDP port never reaches httpd
    b = recorded("wrong-targetport", "reference")
    named(b, "services", "billing")["spec"]["ports"][0]["protocol"] = "UDP"
    expect_on(NAME, b, FAIL, "port {svc_port}/UDP uses protocol UDP; the web server speaks TCP")


def test_a_named_port_of_another_protocol_fails():
    b = recorded("wrong-targetport", "named-target-port")
    for pod in pods_of(b, "billing"):
        container(pod)["ports"][0]["protocol"] = "UDP"
    expect_on(NAME, b, FAIL, "port 'app' of pod", "is UDP, not TCP")


def test_a_name_that_resolves_to_another_number_fails():
    b = recorded("wrong-targetport", "named-target-port")
    for pod in pods_of(b, "billing"):
        container(pod)["ports"][0]["containerPort"] = 9000
    expect_on(NAME, b, FAIL, "targetPort 'app' = 9000 on pod", "but the server listens on {container_port}")


def test_without_pods_the_pod_template_decides():
    b = recorded("wrong-targetport", "named-target-port")
    b["objects"]["pods"] = [p for p in b["objects"]["pods"] if p not in pods_of(b, "billing")]
    expect_on(NAME, b, PASS, "reaches {container_port}/TCP")
    container(named(b, "deployments", "billing"))["ports"][0]["name"] = "web"
    expect_on(NAME, b, FAIL, "a name no container port of Deployment billing's pod template carries")


def test_a_wrong_number_names_the_ports_a_single_pod_declares():
    # hand-made from the recording: scaled down to one pod
    b = recorded("wrong-targetport", "broken", seed=3)
    app = b["drill"]["params"]["app"]
    assert len(pods_of(b, app)) == 2
    for pod in pods_of(b, app)[1:]:
        b["objects"]["pods"].remove(pod)
    expect_on(NAME, b, FAIL, "but the pods listen on {container_port}",
              "declared container ports: {port_name}={container_port}/TCP")
