"""reach.nodeport-every-node: <node IP>:<nodePort> answers on every node,
from pods of the workload."""
from __future__ import annotations

from drills.evidence import name_of
from drills.graders.checks._common import (HTTP_TRIES, Undecidable, answered_by, attempt_summary,
                                           decides, first_failure, judge_answerers, names,
                                           ready_pods, require_kinds, require_probe,
                                           require_workload)
from drills.graders.registry import STAGE_REACH, check, failed, passed, undecided
from drills.probes import ProbeSpec


def _probes(service, node_port, workload, kind="Deployment"):
    return [ProbeSpec("nodeport", str(node_port), tries=HTTP_TRIES)]


@check("reach.nodeport-every-node", "The nodePort answers on every node", stage=STAGE_REACH,
       probes=_probes)
@decides
def reach_nodeport_every_node(ev, service, node_port, workload, kind="Deployment"):
    subject = f"NodePort {node_port} of Service {service}"
    want = f"every node answering on {node_port} from Ready pods of {kind} {workload}"
    require_kinds(ev, subject, want, "nodes")
    probe = require_probe(ev, _probes(service, node_port, workload, kind)[0].key, subject, want)
    attempts = probe["attempts"]
    nodes = sorted(ev.node_addresses()) or sorted(name_of(n) for n in ev.objects("nodes"))
    by_node = {node: [a for a in attempts if a.get("node") == node] for node in nodes}
    untried = [n for n, tried in by_node.items() if not tried]
    if untried or not nodes:
        raise Undecidable(undecided(subject, want, f"no attempt recorded for node(s) {names(untried)}",
                                    "collect again with 'drills check'"))
    broken = {n: tried for n, tried in by_node.items() if first_failure(tried)}
    if broken:
        detail = "; ".join(f"node {n} ({ev.node_addresses().get(n, '?')}): {attempt_summary(t)}"
                           for n, t in sorted(broken.items()))
        return failed(subject, want, detail,
                      f"kubectl -n {ev.namespace} get svc {service} -o wide (type NodePort, nodePort "
                      f"{node_port}?); kubectl -n kube-system get pods -l k8s-app=kube-proxy -o wide")
    wl = require_workload(ev, workload, kind, subject, want)
    ready = {name_of(p) for p in ready_pods(ev, wl)}
    ok, observed = judge_answerers(answered_by(attempts), ready, len(attempts))
    if not ok:
        return failed(subject, want, observed,
                      f"kubectl -n {ev.namespace} get endpointslices "
                      f"-l kubernetes.io/service-name={service} -o wide")
    return passed(subject, want, f"{len(nodes)} node(s) answered ({names(nodes)}); {observed}")
