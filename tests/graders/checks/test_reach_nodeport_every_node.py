"""reach.nodeport-every-node: the nodePort answers on every node, from Ready pods of the workload."""
import pytest

from drills.graders.registry import ERROR, FAIL
from tests.graders.kit import expect, expect_on, pods_of, recorded

NAME = "reach.nodeport-every-node"


@pytest.mark.parametrize("label, fragments", [
    ("missing-nodeport/reference-PASSED", ["NodePort {node_port} of Service {svc_name}",
                                           "3 node(s) answered (drills-control-plane, drills-worker, drills-worker2)"]),
    ("kube-proxy-node/reference-PASSED", ["3 node(s) answered"]),
    ("missing-nodeport/broken-FAILED", ["node drills-control-plane (198.18.255.2)", "refused"]),
    ("kube-proxy-node/broken-FAILED", ["node drills-worker2"]),
    ("missing-nodeport/infra-error-ERROR", ["the probe could not run"]),
])
def test_recorded_input(label, fragments):
    v, _ = expect(NAME, label, *fragments)
    if v.status == FAIL:
        assert "k8s-app=kube-proxy" in v.hint


def test_a_node_without_attempts_cannot_decide():
    b = recorded("missing-nodeport", "reference")
    (key,) = [k for k in b["probes"] if k.startswith("nodeport:")]
    probe = b["probes"][key]
    probe["attempts"] = [a for a in probe["attempts"] if a.get("node") != "drills-worker2"]
    expect_on(NAME, b, ERROR, "no attempt recorded for node(s) drills-worker2")


def test_answers_from_pods_of_another_workload_fail():
    b = recorded("missing-nodeport", "reference")
    (key,) = [k for k in b["probes"] if k.startswith("nodeport:")]
    b["probes"][key]["attempts"][0]["answered_by"] = "intruder-0"
    expect_on(NAME, b, FAIL, "answered by intruder-0, which is not a Ready pod")
    assert pods_of(b, "billing")


def test_nodes_without_an_internal_ip_are_still_judged_by_name():
    # hand-made from the recording: the node objects carry no addresses
    b = recorded("missing-nodeport", "reference")
    for node in b["objects"]["nodes"]:
        node["status"]["addresses"] = []
    expect_on(NAME, b, "PASS", "3 node(s) answered")
