"""daemonset.ready-every-node: a node-level DaemonSet (e.g. kube-system/kube-proxy)
has a Ready pod on every node.

Its objects come from outside the drill's namespace: the collector reads them only
for drills that change cluster-wide settings (see drills/cluster/setup.py), so a
bundle without any object of that namespace cannot decide (ERROR).
"""
from __future__ import annotations

from drills.evidence import format_labels, labels_of, name_of, pod_ready, selector_matches
from drills.graders.checks._common import (Undecidable, decides, names, plural, require_kinds)
from drills.graders.registry import STAGE_REACH, check, failed, passed, undecided

REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"


def _expression_matches(expr: dict, value: str | None) -> bool:
    op, values = expr.get("operator"), expr.get("values") or []
    if op == "In":
        return value in values
    if op == "NotIn":
        return value not in values
    if op == "Exists":
        return value is not None
    if op == "DoesNotExist":
        return value is None
    if op in ("Gt", "Lt") and value is not None and values:
        try:
            return int(value) > int(values[0]) if op == "Gt" else int(value) < int(values[0])
        except ValueError:
            return False
    return False


def _term_blocks(term: dict, node: dict) -> list[str]:
    """The rules of one nodeSelectorTerm the node does not meet (empty: it matches)."""
    labels = labels_of(node)
    blocked = [e for e in term.get("matchExpressions") or []
               if not _expression_matches(e, labels.get(e.get("key")))]
    blocked += [e for e in term.get("matchFields") or []
                if not _expression_matches(e, name_of(node) if e.get("key") == "metadata.name" else None)]
    return [f"{e.get('key')} {e.get('operator')} [{', '.join(e.get('values') or [])}]".replace(" []", "")
            for e in blocked]


def exclusion(template_spec: dict, node: dict) -> str | None:
    """Why the pod template may not run on the node, or None when it may."""
    selector = template_spec.get("nodeSelector") or {}
    labels = labels_of(node)
    wrong = {k: v for k, v in selector.items() if labels.get(k) != v}
    if wrong:
        return f"its nodeSelector {format_labels(wrong)} does not match the node's labels"
    terms = (((template_spec.get("affinity") or {}).get("nodeAffinity") or {}).get(REQUIRED) or {}
             ).get("nodeSelectorTerms")
    if terms:
        blocks = [_term_blocks(t, node) for t in terms]
        if all(blocks):
            node_values = {rule.split()[0]: labels.get(rule.split()[0]) for b in blocks for rule in b}
            shown = format_labels({k: v for k, v in node_values.items() if v is not None})
            return (f"its required nodeAffinity ({'; or '.join(' and '.join(b) for b in blocks)}) "
                    f"excludes the node (node labels: {shown})")
    return None


@check("daemonset.ready-every-node", "The DaemonSet runs a Ready pod on every node",
       stage=STAGE_REACH)
@decides
def daemonset_ready_every_node(ev, daemonset, namespace="kube-system"):
    subject = f"DaemonSet {namespace}/{daemonset}"
    want = "a Ready pod on every node"
    require_kinds(ev, subject, want, "nodes", "daemonsets", "pods")
    nodes = sorted(ev.objects("nodes"), key=name_of)
    want = f"a Ready pod on each of the {plural(len(nodes), 'node')} ({names(name_of(n) for n in nodes)})"
    if not nodes or not (ev.objects("daemonsets", namespace) or ev.pods(namespace)):
        raise Undecidable(undecided(
            subject, want, f"the evidence holds no {'nodes' if not nodes else f'objects of namespace {namespace}'}"
            " (drills collects them for drills that change cluster-wide settings)",
            f"collect again with 'drills check'; kubectl -n {namespace} get ds,pods -o wide"))
    ds = ev.get("daemonsets", daemonset, namespace)
    look = f"kubectl -n {namespace} get ds"
    if ds is None:
        present = [name_of(d) for d in ev.objects("daemonsets", namespace)]
        return failed(subject, want, f"no DaemonSet {daemonset} in namespace {namespace} "
                      f"(DaemonSets there: {names(present)})", look)
    spec = ds.get("spec") or {}
    selector = (spec.get("selector") or {}).get("matchLabels") or {}
    pods = [p for p in ev.pods(namespace) if selector_matches(selector, labels_of(p))]
    on_node: dict[str, list[dict]] = {}
    for pod in pods:
        on_node.setdefault((pod.get("spec") or {}).get("nodeName") or "", []).append(pod)
    ready = {name_of(n): next((name_of(p) for p in on_node.get(name_of(n), []) if pod_ready(p)), None)
             for n in nodes}
    missing = [n for n in nodes if ready[name_of(n)] is None]
    if not missing:
        return passed(subject, want, "Ready on every node: " + ", ".join(
            f"{node} ({pod})" for node, pod in sorted(ready.items())))
    reasons = []
    for node in missing:
        here = on_node.get(name_of(node), [])
        if here:
            phase = (here[0].get("status") or {}).get("phase", "Pending")
            reasons.append(f"node {name_of(node)}: pod {name_of(here[0])} is not Ready ({phase})")
            continue
        why = exclusion(((spec.get("template") or {}).get("spec") or {}), node)
        reasons.append(f"node {name_of(node)}: no pod" + (f"; {why}" if why else ""))
    observed = (f"{len(nodes) - len(missing)} of {plural(len(nodes), 'node')} run a Ready pod; "
                + "; ".join(reasons))
    hint = (f"kubectl -n {namespace} get pods -l {format_labels(selector)} -o wide (one per node?); "
            f"kubectl -n {namespace} get ds {daemonset} -o yaml (nodeSelector, affinity)")
    return failed(subject, want, observed, hint)
