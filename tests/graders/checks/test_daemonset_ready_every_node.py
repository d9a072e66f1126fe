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
    expect_on(NAME, b, FAIL, f"pod {pod['metadata']['name']} is not Ready (Running)")


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
    b["objects"]["nodes"] = []
    expect_on(NAME, b, ERROR, "the evidence holds no nodes (drills collects them")


def test_without_objects_of_the_namespace_it_cannot_decide():
    # hand-made: a bundle collected without kube-system (its lists are there, but empty of it)
    b = recorded("kube-proxy-node", "reference")
    for kind in ("daemonsets", "pods"):
        b["objects"][kind] = [o for o in b["objects"][kind] if o["metadata"]["namespace"] != "kube-system"]
    expect_on(NAME, b, ERROR, "the evidence holds no objects of namespace kube-system")


# --- why a node has no pod: nodeSelector and required node affinity ---------------------------

from drills.graders.checks.daemonset_ready_every_node import _expression_matches, exclusion  # noqa: E402


@pytest.mark.parametrize("operator, values, value, matches", [
    ("In", ["a", "b"], "a", True), ("In", ["a"], "c", False), ("In", ["a"], None, False),
    ("NotIn", ["a"], "a", False), ("NotIn", ["a"], "b", True), ("NotIn", ["a"], None, True),
    ("Exists", [], "x", True), ("Exists", [], None, False),
    ("DoesNotExist", [], None, True), ("DoesNotExist", [], "x", False),
    ("Gt", ["5"], "6", True), ("Gt", ["5"], "5", False), ("Gt", ["5"], "x", False), ("Gt", ["5"], None, False),
    ("Lt", ["5"], "4", True), ("Lt", ["5"], "5", False), ("Lt", [], "4", False),
    ("Bogus", ["a"], "a", False),
])
def test_node_selector_operators(operator, values, value, matches):
    assert _expression_matches({"key": "k", "operator": operator, "values": values}, value) is matches


def node(name="n1", **labels):
    return {"metadata": {"name": name, "labels": labels}}


def affinity(*terms):
    return {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": list(terms)}}}}


def test_exclusion_names_the_rule_that_keeps_a_node_out():
    assert exclusion({}, node()) is None
    assert exclusion({"nodeSelector": {"disk": "ssd"}}, node(disk="ssd")) is None
    assert exclusion({"nodeSelector": {"disk": "ssd"}}, node(disk="hdd")) == \
        "its nodeSelector disk=ssd does not match the node's labels"
    out = {"matchExpressions": [{"key": "x", "operator": "NotIn", "values": ["off"]}]}
    assert exclusion(affinity(out), node(x="on")) is None
    assert exclusion(affinity(out), node(x="off")) == \
        "its required nodeAffinity (x NotIn [off]) excludes the node (node labels: x=off)"
    other = {"matchExpressions": [{"key": "y", "operator": "Exists"}]}
    assert exclusion(affinity(out, other), node(x="off")) == (
        "its required nodeAffinity (x NotIn [off]; or y Exists) excludes the node (node labels: x=off)")
    assert exclusion(affinity(out, other), node(x="off", y="1")) is None
    by_name = {"matchFields": [{"key": "metadata.name", "operator": "NotIn", "values": ["n1"]}]}
    assert exclusion(affinity(by_name), node("n2")) is None
    assert "metadata.name NotIn [n1]" in exclusion(affinity(by_name), node("n1"))
    other_field = {"matchFields": [{"key": "spec.unschedulable", "operator": "Exists"}]}
    assert "spec.unschedulable Exists" in exclusion(affinity(other_field), node("n1"))


def test_a_pod_on_the_node_that_is_not_ready_is_named_with_its_phase():
    b = recorded("kube-proxy-node", "reference")
    pod = proxy_pods(b)[0]
    pod["status"]["phase"] = "Pending"
    for cond in pod["status"]["conditions"]:
        cond["status"] = "False"
    v = expect_on(NAME, b, FAIL, f"node {pod['spec']['nodeName']}: pod {pod['metadata']['name']} is not "
                                 "Ready (Pending)", "2 of 3 nodes run a Ready pod")
    assert "kubectl -n kube-system get pods -l k8s-app=kube-proxy -o wide (one per node?)" in v.hint
