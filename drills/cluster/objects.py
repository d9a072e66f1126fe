"""The objects drills itself creates, and how it recognises its own namespaces. Pure."""
from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from typing import Any

from drills.errors import UnsafeTarget

MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER = "drills"
SCENARIO_LABEL = "drills.dev/scenario"
SEED_LABEL = "drills.dev/seed"
DRILL_ANNOTATION = "drills.dev/drill"
SCENARIO_HASH_ANNOTATION = "drills.dev/scenario-hash"   # scenario_digest at start (learner-editable)
CLUSTER_WIDE_LABEL = "drills.dev/cluster-wide"
POD_SECURITY_ENFORCE = "pod-security.kubernetes.io/enforce"
DRILL_SELECTOR = f"{MANAGED_BY}={MANAGER}"

PROBE_POD = "drills-probe"
PROBE_CONTAINER = "probe"
PROBE_LABELS = {"app.kubernetes.io/name": PROBE_POD, "app.kubernetes.io/component": "probe",
                MANAGED_BY: MANAGER}
PROTECTED_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "Pod")


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def namespace_body(plan: Any, name: str) -> dict[str, Any]:
    """A drill namespace: labelled as drills', restricted Pod Security, and
    annotated with what is needed to render the plan again."""
    labels = {MANAGED_BY: MANAGER, SCENARIO_LABEL: plan.scenario, SEED_LABEL: str(plan.seed),
              POD_SECURITY_ENFORCE: "restricted"}
    if plan.cluster_wide:
        labels[CLUSTER_WIDE_LABEL] = "true"
    return {
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": labels,
            "annotations": {DRILL_ANNOTATION: json.dumps(plan.identity(), sort_keys=True)},
        },
    }


def probe_pod_body(image: str, namespace: str) -> dict[str, Any]:
    """The long-lived busybox pod probes exec into; it satisfies `restricted`.
    /tmp is a small emptyDir so a batch of probes can run side by side."""
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": PROBE_POD, "namespace": namespace, "labels": dict(PROBE_LABELS)},
        "spec": {
            "terminationGracePeriodSeconds": 0,
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            "securityContext": {"runAsNonRoot": True, "runAsUser": 65534, "runAsGroup": 65534,
                                "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{
                "name": PROBE_CONTAINER,
                "image": image,
                "imagePullPolicy": "IfNotPresent",
                # restartPolicy Always restarts it should a drill outlast a day
                "command": ["sleep", "86400"],
                "securityContext": {"allowPrivilegeEscalation": False,
                                    "capabilities": {"drop": ["ALL"]},
                                    "readOnlyRootFilesystem": True,
                                    "runAsNonRoot": True,
                                    "seccompProfile": {"type": "RuntimeDefault"}},
                "resources": {"requests": {"cpu": "5m", "memory": "8Mi"},
                              "limits": {"memory": "64Mi"}},
                "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
            }],
            "volumes": [{"name": "tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "4Mi"}}],
        },
    }


def placed(obj: dict[str, Any], default_namespace: str) -> tuple[dict[str, Any], str]:
    """A copy of a manifest with its namespace filled in, and that namespace."""
    obj = copy.deepcopy(obj)
    meta = obj.setdefault("metadata", {})
    namespace = meta.get("namespace") or default_namespace
    meta["namespace"] = namespace
    return obj, namespace


def is_drill_namespace(ns: dict[str, Any]) -> bool:
    labels = (ns.get("metadata") or {}).get("labels") or {}
    return labels.get(MANAGED_BY) == MANAGER


def is_terminating(obj: dict[str, Any]) -> bool:
    return bool((obj.get("metadata") or {}).get("deletionTimestamp")) or \
        (obj.get("status") or {}).get("phase") == "Terminating"


def drill_identity(ns: dict[str, Any]) -> dict[str, Any] | None:
    raw = ((ns.get("metadata") or {}).get("annotations") or {}).get(DRILL_ANNOTATION)
    try:
        value = json.loads(raw) if raw else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def refuse_unless_drill_namespace(ns: dict[str, Any]) -> None:
    name = (ns.get("metadata") or {}).get("name", "")
    if name in PROTECTED_NAMESPACES or not is_drill_namespace(ns):
        raise UnsafeTarget(f"namespace {name} is not a drills namespace (it lacks the label "
                           f"{DRILL_SELECTOR}); drills leaves it alone",
                           f"delete it yourself if you mean to: kubectl delete namespace {name}")


def drill_summary(ns: dict[str, Any]) -> dict[str, Any]:
    meta = ns.get("metadata") or {}
    labels = meta.get("labels") or {}
    identity = drill_identity(ns)
    seed = labels.get(SEED_LABEL)
    # the learner can edit both: a value of the wrong type names no other namespace
    main = (identity or {}).get("namespace")
    return {
        "name": meta.get("name"),
        "scenario": labels.get(SCENARIO_LABEL),
        "seed": int(seed) if isinstance(seed, str) and seed.isascii() and seed.isdigit() else seed,
        "created": meta.get("creationTimestamp"),
        "phase": (ns.get("status") or {}).get("phase") or "Active",
        "identity": identity,
        # the drill's main namespace (extra namespaces point at it)
        "drill_namespace": main if isinstance(main, str) else meta.get("name"),
        "scenario_hash": (meta.get("annotations") or {}).get(SCENARIO_HASH_ANNOTATION),
    }


# --- what a plan deploys -----------------------------------------------------------

def selector_of(obj: dict[str, Any]) -> dict[str, str] | None:
    if obj.get("kind") == "Pod":
        return None
    return ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") \
        or ((obj.get("spec") or {}).get("template") or {}).get("metadata", {}).get("labels")


def expected_pods(obj: dict[str, Any]) -> int:
    """How many pods a workload manifest should have at least (0: none needed)."""
    spec = obj.get("spec") or {}
    if obj.get("kind") == "Pod":
        return 1
    if obj.get("kind") in ("DaemonSet", "Job"):
        return 1
    replicas = spec.get("replicas", 1)
    return replicas if isinstance(replicas, int) else 1


def workload_manifests(plan: Any) -> list[tuple[dict[str, Any], str]]:
    return [placed(o, plan.namespace) for o in plan.manifests if o.get("kind") in WORKLOAD_KINDS]
