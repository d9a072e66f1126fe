"""FakeKube with what cluster-wide drills need: PATCH, several nodes, and a
DaemonSet controller for kube-system/kube-proxy (shapes: kube_proxy_world.py)."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

from drills.cluster.api import ApiError
from tests.unit.cluster import kube_proxy_world as W
from tests.unit.cluster.fakes import FakeKube


def merge_patch(target, patch):
    """RFC 7386."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def json_patch(target: dict, ops: list[dict]) -> dict:
    """RFC 6902 add/remove/replace, failing as the API does on a missing path."""
    out = copy.deepcopy(target)
    for op in ops:
        *parents, last = op["path"].split("/")[1:]
        here = out
        for key in parents:
            if not isinstance(here, dict) or key not in here:
                raise ApiError(422, "Invalid", f"doc is missing path: {op['path']}")
            here = here[key]
        if op["op"] == "add":
            here[last] = copy.deepcopy(op["value"])
        elif last not in here:
            raise ApiError(422, "Invalid", f"doc is missing path: {op['path']}")
        elif op["op"] == "remove":
            del here[last]
        else:
            here[last] = copy.deepcopy(op["value"])
    return out


class ClusterFake(FakeKube):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.patch_errors: list[Exception] = []     # raised by the next patches, in order

    def patch(self, resource: str, name: str, body, namespace: str | None = None, *,
              patch_type: str = "merge") -> dict:
        self.calls.append(("patch", resource, namespace, name))
        self._tick()
        if self.patch_errors:
            raise self.patch_errors.pop(0)
        key = (resource, namespace or "", name)
        if key not in self.objects:
            raise ApiError(404, "NotFound", f"{resource} \"{name}\" not found")
        old = self.objects[key]
        new = merge_patch(old, body) if patch_type == "merge" else json_patch(old, body)
        if resource == "daemonsets" and new["spec"]["template"] != old["spec"]["template"]:
            new = W.with_generation(new)
        self.objects[key] = new
        return copy.deepcopy(new)


@dataclass
class DaemonSetController:
    """Keeps one Ready pod of each DaemonSet on every node it may run on; a pod on a
    node it may no longer run on goes away after `linger` ticks (termination)."""
    linger: int = 2
    frozen: bool = False                 # True: pods never leave (a stuck termination)
    leaving: dict = field(default_factory=dict)

    def __call__(self, fake: FakeKube) -> None:
        nodes = [o for (r, _, _), o in fake.objects.items() if r == "nodes"]
        for (r, ns, name), ds in list(fake.objects.items()):
            if r != "daemonsets":
                continue
            pods = {p["spec"]["nodeName"]: (k, p) for k, p in fake.objects.items()
                    if k[0] == "pods" and k[1] == ns
                    and (p["metadata"].get("labels") or {}).get("k8s-app") == name}
            for node in nodes:
                node_name = node["metadata"]["name"]
                wanted = W.eligible(ds, node)
                if wanted and node_name not in pods:
                    fake.put(W.pod_for(ds, node), ns)
                elif not wanted and node_name in pods and not self.frozen:
                    key = pods[node_name][0]
                    self.leaving[key] = self.leaving.get(key, 0) + 1
                    if self.leaving[key] > self.linger:
                        del fake.objects[key]
                        del self.leaving[key]
            ready = sum(1 for k, p in fake.objects.items() if k[0] == "pods" and k[1] == ns
                        and (p["metadata"].get("labels") or {}).get("k8s-app") == name)
            ds["status"] = W.ds_status(ds, nodes, ready)


def cluster_fake(nodes: list[dict] | None = None, proxy: bool = True) -> ClusterFake:
    fake = ClusterFake()
    for n in nodes if nodes is not None else W.kind_nodes():
        fake.put(n)
    fake.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": W.KUBE_SYSTEM},
              "status": {"phase": "Active"}})
    if proxy:
        fake.put(W.daemonset(), W.KUBE_SYSTEM)
        fake.controllers.append(DaemonSetController())
    return fake


def cluster_world() -> ClusterFake:
    """A kind-shaped cluster whose drills' pods come from the selector-mismatch recording."""
    from tests.unit.cluster.fakes import FixtureWorld, kubelet
    api = cluster_fake()
    api.controllers += [kubelet, FixtureWorld("selector-mismatch-broken", delay=2)]
    return api


def cluster_state(fake: FakeKube) -> dict:
    """What a cluster-wide drill may change: nodes' labels and spec, DaemonSets' spec."""
    return {"nodes": {n: (copy.deepcopy(o["metadata"].get("labels")), copy.deepcopy(o.get("spec")))
                      for (r, _, n), o in fake.objects.items() if r == "nodes"},
            "daemonsets": {(ns, n): copy.deepcopy(o["spec"])
                           for (r, ns, n), o in fake.objects.items() if r == "daemonsets"}}


def proxy_nodes(fake: FakeKube) -> set[str]:
    return {o["spec"]["nodeName"] for (r, ns, _), o in fake.objects.items()
            if r == "pods" and ns == W.KUBE_SYSTEM
            and (o["metadata"].get("labels") or {}).get("k8s-app") == W.PROXY}
