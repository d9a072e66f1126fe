"""daemonset.ready-every-node: the DaemonSet runs a Ready pod on every node, and says why a node
has none."""
import pytest

from drills.graders.registry import ERROR, FAIL
from tests.graders.kit import expect, expect_on, recorded, terminating

NAME = "kube-proxy.every-node"


@pytest.mark.parametrize("label, fragments", [
    ("kube-proxy-node/reference-PASSED", ["DaemonSet kube-system/kube-proxy", "a Ready pod on each of the 3 nodes",
                                          "Ready on every node: drills-control-plane (kube-proxy-"]),
    ("kube-proxy-node/unlabel-node-PASSED", ["Ready on every node"]),
    ("kube-proxy-node/broken-FAILED", ["2 of 3 nodes run a Ready pod; node drills-worker2: no pod",
                                       "drills.dev/kube-proxy NotIn [excluded]"]),
    ("kube-proxy-node/restart-backends-FAILED", ["node drills-worker2: no pod"]),
])
def test_recorded_input(label, fragments):
    v, _ = expect(NAME, label, *fragments)
    if v.status == FAIL:
        assert "kubectl -n kube-system get pods -l k8s-app=kube-proxy -o wide" in v.hint


def proxy_pods(b):
    return [p for p in b["objects"]["pods"] if p["metadata"]["namespace"] == "kube-system"
            and p["metadata"]["labels"].get("k8s-app") == "kube-proxy"]


def test_a_pod_that_is_not_ready_fails():
    b = recorded("kube-proxy-node", "reference")
    pod = proxy_pods(b)[1]
    for cond in pod["status"]["conditions"]:
        if cond["type"] == "Ready":
            cond["status"] = "False"
    expect_on(NAME, b, FAIL, f"pod {pod['metadata']['name']} is not Ready")


def test_a_terminating_pod_does_not_count():
    b = recorded("kube-proxy-node", "reference")
    terminating(proxy_pods(b)[0])
    expect_on(NAME, b, FAIL, "2 of 3 nodes run a Ready pod")


def test_a_deleted_daemonset_fails():
    b = recorded("kube-proxy-node", "reference")
    b["objects"]["daemonsets"] = []
    expect_on(NAME, b, FAIL, "no DaemonSet kube-proxy")


def test_without_nodes_it_cannot_decide():
    b = recorded("kube-proxy-node", "reference")
    b["objects"].pop("nodes")
    expect_on(NAME, b, ERROR, "nodes")
