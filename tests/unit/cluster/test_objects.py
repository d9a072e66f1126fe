"""What drills itself creates: drill namespaces and the probe pod."""
from __future__ import annotations

import json

import pytest

from drills.cluster import objects as O
from drills.errors import UnsafeTarget
from tests.unit.cluster.fakes import deployment, make_plan, real


def test_namespace_is_labelled_as_drills_and_restricted():
    plan = make_plan()
    ns = O.namespace_body(plan, plan.namespace)
    labels = ns["metadata"]["labels"]
    assert labels == {"app.kubernetes.io/managed-by": "drills",
                      "drills.dev/scenario": "selector-mismatch", "drills.dev/seed": "7",
                      "pod-security.kubernetes.io/enforce": "restricted"}
    identity = json.loads(ns["metadata"]["annotations"]["drills.dev/drill"])
    assert identity == plan.identity()
    assert O.is_drill_namespace(ns)
    assert O.drill_identity(ns) == plan.identity()


def test_cluster_wide_drills_say_so_on_their_namespaces():
    plan = make_plan(cluster_wide=True)
    labels = O.namespace_body(plan, plan.namespace)["metadata"]["labels"]
    assert labels[O.CLUSTER_WIDE_LABEL] == "true"
    assert O.CLUSTER_WIDE_LABEL not in O.namespace_body(make_plan(), "x")["metadata"]["labels"]


def restricted_violations(pod: dict) -> list[str]:
    """The rules of the `restricted` Pod Security Standard that apply to a pod."""
    spec = pod["spec"]
    pod_sc = spec.get("securityContext") or {}
    problems = []
    for c in spec["containers"]:
        sc = c.get("securityContext") or {}
        if sc.get("allowPrivilegeEscalation") is not False:
            problems.append("allowPrivilegeEscalation must be false")
        if (sc.get("capabilities") or {}).get("drop") != ["ALL"]:
            problems.append("capabilities must drop ALL")
        if not (sc.get("runAsNonRoot") or pod_sc.get("runAsNonRoot")):
            problems.append("runAsNonRoot must be true")
        if (sc.get("runAsUser", pod_sc.get("runAsUser")) or 0) == 0:
            problems.append("runAsUser must not be 0 (busybox runs as root otherwise)")
        profile = (sc.get("seccompProfile") or pod_sc.get("seccompProfile") or {}).get("type")
        if profile not in ("RuntimeDefault", "Localhost"):
            problems.append("seccompProfile must be RuntimeDefault")
        if sc.get("privileged"):
            problems.append("privileged")
    for volume in spec.get("volumes") or []:
        if set(volume) - {"name"} - {"emptyDir", "configMap", "secret", "projected",
                                     "downwardAPI", "persistentVolumeClaim", "ephemeral", "csi"}:
            problems.append(f"volume {volume['name']} of a forbidden type")
    if spec.get("hostNetwork") or spec.get("hostPID") or spec.get("hostIPC"):
        problems.append("host namespaces")
    return problems


def test_probe_pod_runs_under_restricted_pod_security():
    pod = O.probe_pod_body("busybox:1.36", "drill-x-1")
    assert restricted_violations(pod) == []
    container = pod["spec"]["containers"][0]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["image"] == "busybox:1.36"
    assert container["command"][0] == "sleep"
    # the batch script needs a writable /tmp while the root filesystem is read-only
    assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
    assert pod["metadata"]["name"] == O.PROBE_POD
    assert pod["metadata"]["namespace"] == "drill-x-1"


def test_the_recorded_probe_pod_would_fail_the_same_rules_if_weakened():
    # the rule checker itself can fail: a real busybox pod without a security context
    pod = real("selector-mismatch-broken")["pods"][1]
    pod["spec"]["containers"][0]["securityContext"] = {}
    assert "allowPrivilegeEscalation must be false" in restricted_violations(pod)


def test_probe_pod_labels_cannot_be_selected_by_scenario_label_keys():
    scenario_keys = {"app", "tier", "component", "role", "service"}
    assert not scenario_keys & set(O.probe_pod_body("b", "n")["metadata"]["labels"])


def test_placed_fills_in_the_namespace_without_touching_the_plan():
    plan = make_plan()
    obj, ns = O.placed(plan.manifests[0], plan.namespace)
    assert ns == plan.namespace and obj["metadata"]["namespace"] == plan.namespace
    assert "namespace" not in plan.manifests[0]["metadata"]
    other, ns2 = O.placed({**deployment(), "metadata": {"name": "w", "namespace": "extra"}}, "main")
    assert ns2 == "extra"


@pytest.mark.parametrize("ns", [
    {"metadata": {"name": "team-a", "labels": {"app.kubernetes.io/managed-by": "helm"}}},
    {"metadata": {"name": "plain"}},
    {"metadata": {"name": "kube-system", "labels": {"app.kubernetes.io/managed-by": "drills"}}},
])
def test_foreign_and_system_namespaces_are_refused(ns):
    with pytest.raises(UnsafeTarget) as caught:
        O.refuse_unless_drill_namespace(ns)
    assert ns["metadata"]["name"] in caught.value.message


def test_summary_of_a_drill_namespace():
    plan = make_plan()
    ns = O.namespace_body(plan, plan.namespace)
    ns["metadata"]["creationTimestamp"] = "2026-11-30T03:00:00Z"
    ns["status"] = {"phase": "Active"}
    summary = O.drill_summary(ns)
    assert summary == {"name": plan.namespace, "scenario": "selector-mismatch", "seed": 7,
                       "created": "2026-11-30T03:00:00Z", "phase": "Active",
                       "identity": plan.identity(), "drill_namespace": plan.namespace,
                       "scenario_hash": None}


def test_expected_pods_per_workload():
    assert O.expected_pods(deployment(replicas=3)) == 3
    assert O.expected_pods({"kind": "Pod", "metadata": {"name": "p"}, "spec": {}}) == 1
    assert O.expected_pods({"kind": "DaemonSet", "spec": {}}) == 1
    assert O.expected_pods(deployment(replicas=0)) == 0
