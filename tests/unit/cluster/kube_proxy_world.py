"""A multi-node cluster with kube-proxy as DaemonSet kube-system/kube-proxy, derived
from the recorded single-node cluster (tests/fixtures/real-cluster/, see its README).

No recording holds a second node or a DaemonSet, so:
- nodes are the recorded node object copied under another name and InternalIP
  (a kind control-plane node also gets kubeadm's control-plane label and taint);
- the DaemonSet carries the recorded Deployment's metadata shape and kubeadm's
  kube-proxy pod template, with the status fields the DaemonSet API reports;
- its pods are the recorded pod object with a DaemonSet owner, the labels the
  DaemonSet controller sets, the per-node affinity it adds, and the node's IP
  (kube-proxy runs in the host network).

Used by tests/unit/cluster (FakeKube controller) and by the bundle builder
tests/fixtures/bundles/kube-proxy-node/build.py.
"""
from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "real-cluster"
RECORDING = "wrong-targetport-named-fixed"
KUBE_SYSTEM = "kube-system"
PROXY = "kube-proxy"
PROXY_LABELS = {"k8s-app": PROXY}
CONTROL_PLANE_ROLE = "node-role.kubernetes.io/control-plane"


def _recorded() -> dict:
    return json.loads((REAL / RECORDING / "objects.json").read_text())


def _uid(*parts: str) -> str:
    h = hashlib.sha1("/".join(parts).encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _suffix(*parts: str, length: int = 5) -> str:
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    h = int(hashlib.sha1("/".join(parts).encode()).hexdigest(), 16)
    return "".join(alphabet[(h >> (5 * i)) % len(alphabet)] for i in range(length))


def node(name: str, ip: str, *, control_plane: bool = False, recorded: dict | None = None) -> dict:
    """The recorded node under another name and InternalIP."""
    out = copy.deepcopy(recorded or _recorded()["nodes"][0])
    meta = out["metadata"]
    meta.update(name=name, uid=_uid("node", name))
    meta["labels"]["kubernetes.io/hostname"] = name
    out["status"]["addresses"] = [{"address": ip, "type": "InternalIP"},
                                  {"address": name, "type": "Hostname"}]
    if control_plane:
        meta["labels"][CONTROL_PLANE_ROLE] = ""
        out["spec"]["taints"] = [{"effect": "NoSchedule", "key": CONTROL_PLANE_ROLE}]
    return out


def kind_nodes() -> list[dict]:
    """What `drills cluster up` makes: one control plane and two workers."""
    return [node("drills-control-plane", "172.18.0.2", control_plane=True),
            node("drills-worker", "172.18.0.3"), node("drills-worker2", "172.18.0.4")]


def daemonset(version: str = "v1.32.13") -> dict:
    recorded = _recorded()["deployments"][0]["metadata"]
    meta = {"annotations": {"deprecated.daemonset.template.generation": "1"},
            "creationTimestamp": recorded["creationTimestamp"], "generation": 1,
            "labels": dict(PROXY_LABELS), "name": PROXY, "namespace": KUBE_SYSTEM,
            "resourceVersion": recorded["resourceVersion"], "uid": _uid("ds", PROXY)}
    template = {
        "metadata": {"creationTimestamp": None, "labels": dict(PROXY_LABELS)},
        "spec": {
            "containers": [{
                "command": ["/usr/local/bin/kube-proxy", "--config=/var/lib/kube-proxy/config.conf",
                            "--hostname-override=$(NODE_NAME)"],
                "env": [{"name": "NODE_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1",
                                                                         "fieldPath": "spec.nodeName"}}}],
                "image": f"registry.k8s.io/kube-proxy:{version}", "imagePullPolicy": "IfNotPresent",
                "name": PROXY, "resources": {}, "securityContext": {"privileged": True},
                "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
                "volumeMounts": [{"mountPath": "/var/lib/kube-proxy", "name": "kube-proxy"},
                                 {"mountPath": "/run/xtables.lock", "name": "xtables-lock"},
                                 {"mountPath": "/lib/modules", "name": "lib-modules", "readOnly": True}]}],
            "dnsPolicy": "ClusterFirst", "hostNetwork": True,
            "nodeSelector": {"kubernetes.io/os": "linux"},
            "priorityClassName": "system-node-critical", "restartPolicy": "Always",
            "schedulerName": "default-scheduler", "securityContext": {},
            "serviceAccount": PROXY, "serviceAccountName": PROXY,
            "terminationGracePeriodSeconds": 30,
            "tolerations": [{"operator": "Exists"}],
            "volumes": [{"configMap": {"defaultMode": 420, "name": PROXY}, "name": PROXY},
                        {"hostPath": {"path": "/run/xtables.lock", "type": "FileOrCreate"},
                         "name": "xtables-lock"},
                        {"hostPath": {"path": "/lib/modules", "type": ""}, "name": "lib-modules"}]}}
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": meta,
            "spec": {"revisionHistoryLimit": 10, "selector": {"matchLabels": dict(PROXY_LABELS)},
                     "template": template,
                     "updateStrategy": {"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1},
                                        "type": "RollingUpdate"}},
            "status": {}}


def revision_hash(ds: dict) -> str:
    return _suffix("rev", json.dumps(ds["spec"]["template"], sort_keys=True), length=10)


def pod_for(ds: dict, node_obj: dict, ready: bool = True, recorded: dict | None = None) -> dict:
    """The pod the DaemonSet controller makes for one node, once the kubelet runs it."""
    data = recorded or _recorded()
    base = next(p for p in data["pods"] if p["metadata"]["name"] != "probe")
    pod = copy.deepcopy(base)
    node_name = node_obj["metadata"]["name"]
    ip = next(a["address"] for a in node_obj["status"]["addresses"] if a["type"] == "InternalIP")
    revision = revision_hash(ds)
    name = f"{PROXY}-{_suffix('pod', node_name, revision)}"
    generation = str(ds["metadata"].get("generation", 1))
    pod["metadata"] = {
        "creationTimestamp": base["metadata"]["creationTimestamp"], "generateName": f"{PROXY}-",
        "labels": {"controller-revision-hash": revision, **PROXY_LABELS,
                   "pod-template-generation": generation},
        "name": name, "namespace": KUBE_SYSTEM,
        "ownerReferences": [{"apiVersion": "apps/v1", "blockOwnerDeletion": True, "controller": True,
                             "kind": "DaemonSet", "name": PROXY, "uid": ds["metadata"]["uid"]}],
        "resourceVersion": base["metadata"]["resourceVersion"], "uid": _uid("pod", name)}
    spec = copy.deepcopy(ds["spec"]["template"]["spec"])
    # the DaemonSet controller pins each pod to its node with a matchFields term
    spec["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In",
                                                "values": [node_name]}]}]}}}
    spec["nodeName"] = node_name
    pod["spec"] = spec
    status = pod["status"]
    status.update(hostIP=ip, hostIPs=[{"ip": ip}], podIP=ip, podIPs=[{"ip": ip}], qosClass="BestEffort")
    for cond in status["conditions"]:
        if cond["type"] in ("Ready", "ContainersReady"):
            cond["status"] = "True" if ready else "False"
    for cs in status["containerStatuses"]:
        cs.update(name=PROXY, image=ds["spec"]["template"]["spec"]["containers"][0]["image"], ready=ready)
    return pod


def eligible(ds: dict, node_obj: dict) -> bool:
    """Whether the DaemonSet controller wants a pod on the node (its nodeSelector and
    required nodeAffinity; kube-proxy tolerates every taint)."""
    from drills.graders.checks.daemonset_ready_every_node import exclusion
    return exclusion(ds["spec"]["template"]["spec"], node_obj) is None


def ds_status(ds: dict, nodes: list[dict], ready_pods: int) -> dict:
    desired = sum(eligible(ds, n) for n in nodes)
    return {"currentNumberScheduled": desired, "desiredNumberScheduled": desired,
            "numberAvailable": ready_pods, "numberMisscheduled": 0, "numberReady": ready_pods,
            "observedGeneration": ds["metadata"].get("generation", 1),
            "updatedNumberScheduled": desired}


def pods_for(ds: dict, nodes: list[dict]) -> list[dict]:
    """Every pod the DaemonSet has once settled, Ready, one per eligible node."""
    return [pod_for(ds, n) for n in sorted(nodes, key=lambda n: n["metadata"]["name"]) if eligible(ds, n)]


def settle(ds: dict, nodes: list[dict]) -> tuple[dict, list[dict]]:
    """The DaemonSet (status filled in) and its pods after the controller settled."""
    pods = pods_for(ds, nodes)
    out = copy.deepcopy(ds)
    out["status"] = ds_status(ds, nodes, len(pods))
    return out, pods


def with_generation(ds: dict, template_change: Any = None) -> dict:
    """The DaemonSet after its pod template changed: the API bumps generation."""
    out = copy.deepcopy(ds)
    gen = int(out["metadata"].get("generation", 1)) + 1
    out["metadata"]["generation"] = gen
    out["metadata"].setdefault("annotations", {})["deprecated.daemonset.template.generation"] = str(gen)
    if template_change is not None:
        template_change(out["spec"]["template"])
    return out
