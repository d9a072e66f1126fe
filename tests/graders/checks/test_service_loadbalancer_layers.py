"""service.loadbalancer-layers: a LoadBalancer Service carries a ClusterIP and a nodePort per port."""
import pytest

from drills.graders.registry import FAIL, PASS
from tests.graders.kit import expect, expect_on, named, recorded

NAME = "service.loadbalancer-layers"


@pytest.mark.parametrize("label, fragments", [
    ("loadbalancer-nodeport/reference-PASSED", ["type LoadBalancer with a ClusterIP and a nodePort on every port",
                                                "ports {svc_port}:{node_port}", "EXTERNAL-IP <pending>"]),
    ("loadbalancer-nodeport/expose-unpinned-PASSED", ["EXTERNAL-IP <pending>"]),
    ("loadbalancer-nodeport/nodeport-instead-FAILED", ["type NodePort"]),
    ("loadbalancer-nodeport/no-node-ports-FAILED", ["no nodePort on port {svc_port}/TCP",
                                                    "(allocateLoadBalancerNodePorts is false)"]),
    ("loadbalancer-nodeport/broken-FAILED", ["no Service {svc_name}"]),
])
def test_recorded_input(label, fragments):
    expect(NAME, label, *fragments)


def test_a_provisioned_address_is_shown_and_a_missing_cluster_ip_fails():
    b = recorded("loadbalancer-nodeport", "reference")
    svc = named(b, "services", "billing-lb")
    svc["status"] = {"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}]}}
    expect_on(NAME, b, PASS, "EXTERNAL-IP 203.0.113.7")
    svc["spec"]["clusterIP"] = "None"
    expect_on(NAME, b, FAIL, "clusterIP None")
