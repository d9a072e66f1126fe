"""service.node-port: the Service is NodePort (or LoadBalancer) and opens the demanded nodePort."""
import pytest

from drills.graders.registry import ERROR
from tests.graders.kit import expect, expect_on, recorded

NAME = "service.node-port"


@pytest.mark.parametrize("label, fragments", [
    ("missing-nodeport/reference-PASSED", ["type NodePort with nodePort {node_port}", "type NodePort, nodePort {node_port}"]),
    ("missing-nodeport/load-balancer-PASSED", ["type LoadBalancer, nodePort {node_port}"]),
    ("missing-nodeport/broken-FAILED", ["type ClusterIP, which opens no port on the nodes"]),
    ("missing-nodeport/random-node-port-FAILED", ["type NodePort with {svc_port}/TCP -> nodePort"]),
    ("expose-nodeport-fixed/broken-FAILED", ["no Service {svc_name}"]),
])
def test_recorded_input(label, fragments):
    expect(NAME, label, *fragments)


@pytest.mark.parametrize("demanded", [80, 40000, "x"])
def test_a_nodeport_outside_the_range_is_the_scenarios_bug(demanded):
    expect_on(NAME, recorded("missing-nodeport", "reference"), ERROR, "outside 30000-32767",
              node_port=demanded)


@pytest.mark.parametrize("edge", [30000, 32767])
def test_the_edges_of_the_range_are_valid_demands(edge):
    expect_on(NAME, recorded("missing-nodeport", "reference"), "FAIL", f"type NodePort with nodePort {edge}",
              node_port=edge)
