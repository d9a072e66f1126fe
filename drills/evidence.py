"""The evidence bundle: what was collected from the cluster, as plain JSON.

It is the contract between collecting (drills.cluster) and judging
(drills.graders). Shape, version 1:

    {
      "kind": "drills.evidence", "version": 1,
      "drill": {"scenario", "seed", "namespace", "image", "level", "params"},
      "context": "kind-drills", "collected_at": "2026-11-30T03:00:00Z",
      "cluster": {"version": {...}},            # as /version returns it
      "objects": {                             # as `kubectl get -o json` items
        "services": [], "endpoints": [], "endpointslices": [], "pods": [],
        "deployments": [], "statefulsets": [], "daemonsets": [],
        "events": [], "nodes": []
      },
      "probes": {"<ProbeSpec.key>": {"kind", "target", "namespace",
                  "error": null | "why the probe could not run (infrastructure)",
                  "unresolved": null | "why no target could be formed from the
                                         learner's objects (e.g. no ClusterIP)",
                  "attempts": [{"command", "exit_code", "stdout", "stderr",
                                "seconds", "outcome", "answered_by", "detail",
                                "node"?, "names"?, "addresses"?, "cnames"?}]}},
      "errors": [{"source": "pods", "message": "..."}]   # what could not be read
    }

`Evidence` wraps a bundle with the look-ups checks need; it never talks to
a cluster.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

from drills.errors import BadEvidence

BUNDLE_KIND = "drills.evidence"
BUNDLE_VERSION = 1
OBJECT_KINDS = ("services", "endpoints", "endpointslices", "pods", "deployments",
                "statefulsets", "daemonsets", "events", "nodes")


def load_bundle(path: str | Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError as exc:
        raise BadEvidence(f"evidence file {path} does not exist",
                          "save one with 'drills check --save-evidence FILE'") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadEvidence(f"evidence file {path} is not readable JSON ({exc})",
                          "pass a file written by 'drills check --save-evidence'") from exc
    check_bundle(data, str(path))
    return data


def check_bundle(data: Any, source: str = "evidence") -> None:
    if not isinstance(data, dict) or data.get("kind") != BUNDLE_KIND:
        raise BadEvidence(f"{source} is not a drills evidence bundle",
                          "pass a file written by 'drills check --save-evidence'")
    if data.get("version") != BUNDLE_VERSION:
        raise BadEvidence(f"{source} has bundle version {data.get('version')!r}; this drills "
                          f"reads version {BUNDLE_VERSION}", "collect it again with this drills")
    drill = data.get("drill")
    if not isinstance(drill, dict) or not {"scenario", "seed", "params"} <= set(drill):
        raise BadEvidence(f"{source} does not say which drill it belongs to (field drill)",
                          "collect it again with 'drills check --save-evidence'")
    if not isinstance(data.get("objects"), dict) or not isinstance(data.get("probes", {}), dict):
        raise BadEvidence(f"{source} lacks its objects or probes", "collect it again")


# --- small facts about API objects ------------------------------------------

def name_of(obj: dict) -> str:
    return (obj.get("metadata") or {}).get("name", "")


def namespace_of(obj: dict) -> str | None:
    return (obj.get("metadata") or {}).get("namespace")


def labels_of(obj: dict) -> dict[str, str]:
    return dict((obj.get("metadata") or {}).get("labels") or {})


def selector_matches(selector: dict[str, str] | None, labels: dict[str, str]) -> bool:
    """Service-style equality selector; an empty or missing selector selects nothing."""
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def format_labels(labels: dict[str, str] | None) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted((labels or {}).items())) or "(none)"


def pod_condition(pod: dict, kind: str) -> bool:
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind:
            return cond.get("status") == "True"
    return False


def pod_ready(pod: dict) -> bool:
    return pod_condition(pod, "Ready") and not pod_terminating(pod)


def pod_running(pod: dict) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running" and not pod_terminating(pod)


def pod_terminating(pod: dict) -> bool:
    return bool((pod.get("metadata") or {}).get("deletionTimestamp"))


def container_ports(pod_or_template: dict) -> list[dict[str, Any]]:
    """Every declared container port of a pod (or pod template) with its container."""
    spec = pod_or_template.get("spec") or {}
    out = []
    for c in spec.get("containers") or []:
        for p in c.get("ports") or []:
            out.append({"container": c.get("name"), "containerPort": p.get("containerPort"),
                        "name": p.get("name"), "protocol": p.get("protocol", "TCP")})
    return out


def owner_chain_names(pod: dict) -> list[str]:
    return [ref.get("name", "") for ref in (pod.get("metadata") or {}).get("ownerReferences") or []]


class Evidence:
    """Read-only view of one bundle, plus the objects the plan deployed."""

    def __init__(self, bundle: dict[str, Any], planned: Iterable[dict] = ()):
        self.bundle = bundle
        self.drill = bundle.get("drill") or {}
        self.namespace: str = self.drill.get("namespace", "")
        self._objects = bundle.get("objects") or {}
        self.planned = list(planned)

    # objects
    def objects(self, kind: str, namespace: str | None = "") -> list[dict]:
        """Objects of a kind; namespace "" means the drill's own namespace,
        None means every namespace in the bundle."""
        items = self._objects.get(kind) or []
        if namespace is None or kind == "nodes":
            return list(items)
        ns = namespace or self.namespace
        return [o for o in items if namespace_of(o) in (ns, None)]

    def collected(self, kind: str) -> bool:
        """Whether the bundle holds that kind at all (an empty list counts)."""
        return isinstance(self._objects.get(kind), list)

    def get(self, kind: str, name: str, namespace: str = "") -> dict | None:
        return next((o for o in self.objects(kind, namespace) if name_of(o) == name), None)

    def service(self, name: str, namespace: str = "") -> dict | None:
        return self.get("services", name, namespace)

    def pods(self, namespace: str = "", include_terminating: bool = False) -> list[dict]:
        return [p for p in self.objects("pods", namespace)
                if include_terminating or not pod_terminating(p)]

    def pods_matching(self, selector: dict[str, str] | None, namespace: str = "") -> list[dict]:
        return [p for p in self.pods(namespace) if selector_matches(selector, labels_of(p))]

    def endpointslices_for(self, service: str, namespace: str = "") -> list[dict]:
        return [s for s in self.objects("endpointslices", namespace)
                if labels_of(s).get("kubernetes.io/service-name") == service]

    def node_addresses(self) -> dict[str, str]:
        """Node name -> InternalIP."""
        out = {}
        for node in self.objects("nodes"):
            for addr in (node.get("status") or {}).get("addresses") or []:
                if addr.get("type") == "InternalIP":
                    out[name_of(node)] = addr.get("address")
        return out

    def events(self, namespace: str = "") -> list[dict]:
        return self.objects("events", namespace)

    # probes
    def probe(self, key: str) -> dict | None:
        return (self.bundle.get("probes") or {}).get(key)

    @property
    def errors(self) -> list[dict]:
        return list(self.bundle.get("errors") or [])

    # the plan
    def planned_object(self, kind: str, name: str) -> dict | None:
        return next((o for o in self.planned if o.get("kind") == kind and name_of(o) == name), None)
