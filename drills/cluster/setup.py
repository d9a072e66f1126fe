"""Cluster-wide setup a scenario asks for (`cluster_setup:` in scenario.yaml), and its undoing.

Steps, applied in order once the drill's namespace exists and before its manifests:

  label_node: {key, value}
      label one schedulable node, chosen by the seed among them (sorted by name)
  exclude_daemonset: {namespace, name, key, value}
      add a nodeAffinity rule to the DaemonSet's pod template that keeps its pods
      off nodes labelled key=value, then wait until its pods there are gone

Before anything changes, `prepare` reads what the steps will touch and returns a
restore record (the node's label and cordon state, the DaemonSet as it was). Start
stores it in an annotation of the drill namespace, so `restore` can put the cluster
back from any later process, whatever the learner did in between.
"""
from __future__ import annotations

import copy
import json
import time
from typing import Any

from drills.errors import BadScenarioPack, FaultNotVerified, UsageError
from drills.evidence import format_labels, labels_of, name_of

RESTORE_ANNOTATION = "drills.dev/cluster-restore"
OWNED_PREFIX = "drills.dev/"          # label keys drills may put on nodes and into affinities
SWEPT_NAMESPACE = "kube-system"
MIN_SCHEDULABLE_NODES = 2
STEP_KINDS = ("label_node", "exclude_daemonset")
AFFINITY_PATH = "/spec/template/spec/affinity"


def steps_of(plan: Any) -> list[tuple[str, dict]]:
    out = []
    for number, step in enumerate(getattr(plan, "cluster_setup", None) or [], 1):
        if not isinstance(step, dict) or len(step) != 1 or next(iter(step)) not in STEP_KINDS:
            raise BadScenarioPack(f"scenario {plan.scenario}: cluster_setup step {number} is not "
                                  f"one of {', '.join(STEP_KINDS)}", "fix the step in scenario.yaml")
        (kind, args), = step.items()
        out.append((kind, dict(args)))
    if out and not plan.cluster_wide:
        raise BadScenarioPack(f"scenario {plan.scenario} has cluster_setup but not cluster_wide: true",
                              "add cluster_wide: true to its scenario.yaml")
    return out


def collected_scope(plan: Any) -> list[tuple[str, str]]:
    """Extra (kind, namespace) lists the collector reads for this plan: the
    DaemonSets the setup changes and their pods."""
    scope: list[tuple[str, str]] = []
    for kind, args in steps_of(plan):
        if kind == "exclude_daemonset":
            for item in (("daemonsets", args["namespace"]), ("pods", args["namespace"])):
                if item not in scope:
                    scope.append(item)
    return scope


# --- before: read, refuse, remember ----------------------------------------------------

def schedulable(node: dict) -> bool:
    spec = node.get("spec") or {}
    if spec.get("unschedulable"):
        return False
    if any(t.get("effect") in ("NoSchedule", "NoExecute") for t in spec.get("taints") or []):
        return False
    conditions = (node.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def prepare(api: Any, plan: Any) -> list[dict]:
    """The restore record of the plan's setup, from reads only; refuses (nothing
    changed) when the cluster cannot host the steps."""
    record: list[dict] = []
    for kind, args in steps_of(plan):
        if kind == "label_node":
            nodes = api.list("nodes")
            candidates = sorted(name_of(n) for n in nodes if schedulable(n))
            if len(candidates) < MIN_SCHEDULABLE_NODES:
                raise UsageError(
                    f"scenario {plan.scenario} needs at least {MIN_SCHEDULABLE_NODES} schedulable "
                    f"nodes, and this cluster has {len(candidates)} "
                    f"({', '.join(candidates) or 'none'})",
                    "use a cluster with two worker nodes, e.g. 'drills cluster up'")
            chosen = candidates[plan.seed % len(candidates)]
            node = next(n for n in nodes if name_of(n) == chosen)
            record.append({"label_node": {
                "node": chosen, "key": args["key"], "value": args["value"],
                "was": labels_of(node).get(args["key"]),
                "unschedulable": bool((node.get("spec") or {}).get("unschedulable"))}})
        else:
            ns, name = args["namespace"], args["name"]
            ds = api.get("daemonsets", name, ns)
            if ds is None:
                raise UsageError(
                    f"scenario {plan.scenario} changes the DaemonSet {ns}/{name}, and this cluster "
                    f"has none (is {name} run another way, or replaced?)",
                    f"use a cluster that runs {name} as DaemonSet {ns}/{name}, e.g. 'drills cluster up'")
            meta = ds.get("metadata") or {}
            annotations = {k: v for k, v in (meta.get("annotations") or {}).items()
                           if k != "kubectl.kubernetes.io/last-applied-configuration"}
            record.append({"exclude_daemonset": {
                "namespace": ns, "name": name, "key": args["key"], "value": args["value"],
                "original": {"metadata": {"name": name, "namespace": ns, "labels": labels_of(ds),
                                          "annotations": annotations},
                             "spec": copy.deepcopy(ds.get("spec") or {})}}})
    return record


def annotate(namespace_body: dict, record: list[dict]) -> dict:
    if record:
        annotations = namespace_body["metadata"].setdefault("annotations", {})
        annotations[RESTORE_ANNOTATION] = json.dumps(record, sort_keys=True)
    return namespace_body


def record_of(namespace: dict) -> list[dict]:
    raw = ((namespace.get("metadata") or {}).get("annotations") or {}).get(RESTORE_ANNOTATION)
    if not raw:
        return []
    try:
        record = json.loads(raw)
    except ValueError:
        record = None
    if not isinstance(record, list):
        name = (namespace.get("metadata") or {}).get("name")
        raise BadScenarioPack(f"namespace {name}: annotation {RESTORE_ANNOTATION} is not a "
                              "drills restore record", f"kubectl get namespace {name} -o yaml")
    return record


# --- the change ---------------------------------------------------------------------------

def excluding_affinity(affinity: dict | None, key: str, value: str) -> dict:
    """The affinity plus one required rule `key NotIn [value]`, added to every
    existing term (terms are ORed: a rule in a term of its own would not exclude)."""
    rule = {"key": key, "operator": "NotIn", "values": [value]}
    out = copy.deepcopy(affinity or {})
    required = out.setdefault("nodeAffinity", {}).setdefault(
        "requiredDuringSchedulingIgnoredDuringExecution", {})
    terms = required.get("nodeSelectorTerms") or [{}]
    required["nodeSelectorTerms"] = [{**t, "matchExpressions": [*(t.get("matchExpressions") or []),
                                                                 rule]} for t in terms]
    return out


def apply(api: Any, record: list[dict], deadline: float, poll: float = 0.5) -> None:
    for entry in record:
        (kind, args), = entry.items()
        if kind == "label_node":
            api.patch("nodes", args["node"], {"metadata": {"labels": {args["key"]: args["value"]}}})
        else:
            spec = args["original"]["spec"]["template"]["spec"]
            api.patch("daemonsets", args["name"],
                      [{"op": "add", "path": AFFINITY_PATH,
                        "value": excluding_affinity(spec.get("affinity"), args["key"], args["value"])}],
                      args["namespace"], patch_type="json")
            wait_daemonset_off(api, args, deadline, poll)
            wait_daemonset_rolled_out(api, args, deadline, poll)


def rollout_pending(ds: dict) -> str | None:
    """Why a DaemonSet's rollout is not complete yet (None: its controller saw the latest
    spec and every pod it wants is updated and available)."""
    status = ds.get("status") or {}
    desired = status.get("desiredNumberScheduled", 0)
    available, updated = status.get("numberAvailable", 0), status.get("updatedNumberScheduled", 0)
    if ((ds.get("spec") or {}).get("updateStrategy") or {}).get("type") == "OnDelete":
        updated = desired         # nothing replaces its pods until someone deletes them
    if (status.get("observedGeneration", 0) < (ds.get("metadata") or {}).get("generation", 0)
            or updated < desired or available < desired):
        return f"pods {available}/{desired} available" + (f", {updated} updated" if updated < desired else "")
    return None


def wait_daemonset_rolled_out(api: Any, args: dict, deadline: float, poll: float) -> None:
    """Until the DaemonSet's pods on the other nodes are replaced too: the changed template
    rolls out one node at a time, so the drill starts only once kube-proxy runs again
    everywhere it should (and nowhere else), not halfway through that rollout."""
    ns, name = args["namespace"], args["name"]
    while True:
        ds = api.get("daemonsets", name, ns)
        why = "it is gone" if ds is None else rollout_pending(ds)
        if why is None:
            return
        if time.monotonic() >= deadline:
            raise FaultNotVerified(
                f"DaemonSet {ns}/{name}: its rollout did not complete before the drill's time to "
                f"start ran out ({why})",
                f"the cluster was put back as it was; try again, or see kubectl -n {ns} rollout "
                f"status daemonset {name}")
        time.sleep(poll)


def wait_daemonset_off(api: Any, args: dict, deadline: float, poll: float) -> None:
    """Until no pod of the DaemonSet is left on the nodes labelled key=value."""
    ns, name = args["namespace"], args["name"]
    match = (args["original"]["spec"].get("selector") or {}).get("matchLabels") or {}
    selector = ",".join(f"{k}={v}" for k, v in sorted(match.items()))
    while True:
        off = {name_of(n) for n in api.list("nodes", label_selector=f"{args['key']}={args['value']}")}
        left = [p for p in api.list("pods", ns, label_selector=selector or None)
                if (p.get("spec") or {}).get("nodeName") in off]
        if not left:
            return
        if time.monotonic() >= deadline:
            pod = left[0]
            raise FaultNotVerified(
                f"DaemonSet {ns}/{name}: pod {name_of(pod)} was still on node "
                f"{pod['spec']['nodeName']} when the drill's time to start ran out",
                "the cluster was put back as it was; try again, or see "
                f"kubectl -n {ns} describe pod {name_of(pod)}")
        time.sleep(poll)


# --- putting it back --------------------------------------------------------------------

def restore(api: Any, record: list[dict]) -> list[str]:
    """Put back what the record says was there, last change first; idempotent,
    and writes nothing that already is as it was. Returns what it changed."""
    done: list[str] = []
    for entry in reversed(record):
        (kind, args), = entry.items()
        if kind == "label_node":
            if _restore_node(api, args):
                done.append(f"node {args['node']}")
        elif _restore_daemonset(api, args):
            done.append(f"DaemonSet {args['namespace']}/{args['name']}")
    return done


def _restore_node(api: Any, args: dict) -> bool:
    node = api.get("nodes", args["node"])
    if node is None:
        return False          # the node is gone: nothing to put back on it
    cordoned = bool((node.get("spec") or {}).get("unschedulable"))
    if labels_of(node).get(args["key"]) == args["was"] and cordoned == args["unschedulable"]:
        return False
    api.patch("nodes", args["node"], {"metadata": {"labels": {args["key"]: args["was"]}},
                                      "spec": {"unschedulable": True if args["unschedulable"] else None}})
    return True


def _restore_daemonset(api: Any, args: dict) -> bool:
    ns, name, original = args["namespace"], args["name"], args["original"]
    live = api.get("daemonsets", name, ns)
    if live is None:   # deleted meanwhile: bring it back as it was
        meta = {k: v for k, v in original["metadata"].items() if v}
        api.create("daemonsets", {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": meta,
                                  "spec": copy.deepcopy(original["spec"])}, ns)
        return True
    want = original["spec"]["template"]["spec"].get("affinity")
    if ((live.get("spec") or {}).get("template") or {}).get("spec", {}).get("affinity") == want:
        return False
    if want is None:
        api.patch("daemonsets", name, {"spec": {"template": {"spec": {"affinity": None}}}}, ns)
    else:
        api.patch("daemonsets", name, [{"op": "add", "path": AFFINITY_PATH, "value": want}], ns,
                  patch_type="json")
    return True


def pending_restore(api: Any, record: list[dict]) -> list[str]:
    """What of the record is not back as it was yet (empty: restore complete). A
    DaemonSet counts as back once its pods run again on every node it wants."""
    pending: list[str] = []
    for entry in record:
        (kind, args), = entry.items()
        if kind == "label_node":
            node = api.get("nodes", args["node"])
            if node is not None and (labels_of(node).get(args["key"]) != args["was"] or
                                     bool((node.get("spec") or {}).get("unschedulable"))
                                     != args["unschedulable"]):
                pending.append(f"node {args['node']}")
            continue
        ns, name = args["namespace"], args["name"]
        live = api.get("daemonsets", name, ns)
        what = f"DaemonSet {ns}/{name}"
        if live is None:
            pending.append(what)
            continue
        want = args["original"]["spec"]["template"]["spec"].get("affinity")
        if ((live.get("spec") or {}).get("template") or {}).get("spec", {}).get("affinity") != want:
            pending.append(what)
            continue
        why = rollout_pending(live)
        if why:
            pending.append(f"{what} ({why})")
    return pending


# --- leftovers without a record --------------------------------------------------------

def without_owned_rules(affinity: dict | None) -> dict | None:
    """The affinity less every node rule keyed drills.dev/..., as it was before
    excluding_affinity added them (a term left empty goes, and so does an empty affinity)."""
    required = ((affinity or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution") or {}
    terms = required.get("nodeSelectorTerms") or []
    owned = [e for t in terms for e in t.get("matchExpressions") or []
             if str(e.get("key", "")).startswith(OWNED_PREFIX)]
    if not owned:
        return affinity
    out = copy.deepcopy(affinity)
    kept_terms = []
    for term in terms:
        rest = [e for e in term.get("matchExpressions") or []
                if not str(e.get("key", "")).startswith(OWNED_PREFIX)]
        term = {**term, "matchExpressions": rest} if rest else {k: v for k, v in term.items()
                                                                if k != "matchExpressions"}
        if term:
            kept_terms.append(term)
    node_affinity = out["nodeAffinity"]
    if kept_terms:
        node_affinity["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"] = kept_terms
    else:
        node_affinity.pop("requiredDuringSchedulingIgnoredDuringExecution")
    if not node_affinity:
        out.pop("nodeAffinity")
    return out or None


def sweep_leftovers(api: Any) -> list[str]:
    """Undo drills' cluster-wide marks that no restore record covers any more (the
    learner deleted the drill's namespace): drills.dev/ labels on nodes and
    drills.dev/ rules in kube-system DaemonSets. Only drills writes that prefix."""
    done: list[str] = []
    for node in api.list("nodes"):
        stale = [k for k in labels_of(node) if k.startswith(OWNED_PREFIX)]
        if stale:
            api.patch("nodes", name_of(node), {"metadata": {"labels": {k: None for k in stale}}})
            done.append(f"node {name_of(node)}")
    for ds in api.list("daemonsets", SWEPT_NAMESPACE):
        affinity = (((ds.get("spec") or {}).get("template") or {}).get("spec") or {}).get("affinity")
        cleaned = without_owned_rules(affinity)
        if cleaned is affinity:
            continue
        if cleaned is None:
            api.patch("daemonsets", name_of(ds), {"spec": {"template": {"spec": {"affinity": None}}}},
                      SWEPT_NAMESPACE)
        else:
            api.patch("daemonsets", name_of(ds), [{"op": "add", "path": AFFINITY_PATH, "value": cleaned}],
                      SWEPT_NAMESPACE, patch_type="json")
        done.append(f"DaemonSet {SWEPT_NAMESPACE}/{name_of(ds)}")
    return done


def describe(record: list[dict]) -> str:
    parts = []
    for entry in record:
        (kind, args), = entry.items()
        if kind == "label_node":
            parts.append(f"node {args['node']} labelled {format_labels({args['key']: args['value']})}")
        else:
            parts.append(f"DaemonSet {args['namespace']}/{args['name']} kept off those nodes")
    return "; ".join(parts)

