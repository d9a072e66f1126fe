"""dns.per-pod-names: each StatefulSet pod's stable name
<workload>-<i>.<service>.<namespace>.svc.cluster.local resolves to that pod's IP."""
from __future__ import annotations

from drills.evidence import name_of, pod_ready
from drills.graders.checks._common import (as_int, decides, kubectl, names, require_probe,
                                           require_workload, workload_pods)
from drills.graders.registry import STAGE_REACH, check, failed, passed, undecided
from drills.probes import OK, ProbeSpec

CLUSTER_DOMAIN = "svc.cluster.local"


def pod_dns_names(service, workload, replicas, service_namespace) -> list[tuple[str, str]]:
    """(pod name, its stable DNS name) for ordinals 0..replicas-1."""
    count = as_int(replicas) or 0
    return [(f"{workload}-{i}", f"{workload}-{i}.{service}.{service_namespace}.{CLUSTER_DOMAIN}")
            for i in range(count)]


def _probes(service, workload, replicas, service_namespace):
    return [ProbeSpec("dns", fqdn) for _, fqdn in pod_dns_names(service, workload, replicas,
                                                                 service_namespace)]


def _problem(ev, fqdn: str, pod: dict | None, pod_name: str) -> str | None:
    """None when the name resolves to the pod's IP, else what is wrong."""
    probe = require_probe(ev, ProbeSpec("dns", fqdn).key, f"DNS name {fqdn}", "the pod's IP")
    answers = [a for a in probe["attempts"] if a.get("outcome") == OK]
    if not answers:
        last = probe["attempts"][-1]
        detail = last.get("detail") or last.get("outcome") or "no answer"
        return detail if detail.startswith(fqdn) else f"{fqdn}: {detail}"
    addresses = set().union(*(set(a.get("addresses") or []) for a in answers))
    pod_ip = ((pod or {}).get("status") or {}).get("podIP")
    if pod is None or not pod_ip:
        return f"{fqdn}: answers {names(addresses)}, but pod {pod_name} has no IP"
    if addresses != {pod_ip}:
        return f"{fqdn}: answers {names(addresses)}; pod {pod_name} has IP {pod_ip}"
    return None


@check("dns.per-pod-names", "Each StatefulSet pod resolves by its stable name", stage=STAGE_REACH,
       probes=_probes)
@decides
def dns_per_pod_names(ev, service, workload, replicas, service_namespace):
    subject = f"pod names of StatefulSet {workload} under Service {service}"
    expected = pod_dns_names(service, workload, replicas, service_namespace)
    want = f"{', '.join(f for _, f in expected)} each resolving to its own pod's IP"
    if not expected:
        return undecided(subject, want, f"the scenario asks for {replicas!r} pods",
                         "report this scenario as a bug")
    wl = require_workload(ev, workload, "StatefulSet", subject, want)
    pods = {name_of(p): p for p in workload_pods(ev, wl)}
    problems = []
    for pod_name, fqdn in expected:
        pod = pods.get(pod_name)
        problem = _problem(ev, fqdn, pod, pod_name)
        if problem and pod is not None and not pod_ready(pod):
            problem += f" (pod {pod_name} is not Ready; only Ready pods are published)"
        if problem:
            problems.append(problem)
    if problems:
        return failed(subject, want, "; ".join(problems),
                      kubectl(ev, f"get svc {service} -o wide; kubectl -n {ev.namespace} get "
                                  f"statefulset {workload} -o jsonpath='{{.spec.serviceName}}'; "
                                  f"nslookup {expected[0][1]} from a pod"))
    return passed(subject, want, f"{len(expected)} names resolve to their pods' IPs")
