"""dns.resolves: a name resolves as demanded: to the Service's ClusterIP, to
the Ready pod IPs (headless), or as a CNAME (ExternalName)."""
from __future__ import annotations

from drills.evidence import name_of
from drills.graders.checks._common import (Undecidable, decides, kubectl, names, ready_pods,
                                           require_probe, require_service, require_workload)
from drills.graders.registry import STAGE_REACH, check, failed, passed, undecided
from drills.probes import OK, ProbeSpec

EXPECTS = ("service-ip", "pod-ips", "cname")


def _probes(name, expect, service=None, workload=None, kind="Deployment", cname=None, namespace=None):
    return [ProbeSpec("dns", name, namespace=namespace)]


def _norm(host: str) -> str:
    return host.rstrip(".").lower()


@check("dns.resolves", "The name resolves as demanded", stage=STAGE_REACH, probes=_probes)
@decides
def dns_resolves(ev, name, expect, service=None, workload=None, kind="Deployment", cname=None,
                 namespace=None):
    subject = f"DNS name {name}"
    where = f" (looked up from namespace {namespace})" if namespace else ""
    if expect not in EXPECTS:
        raise Undecidable(undecided(subject, f"expect one of {', '.join(EXPECTS)}",
                                    f"the scenario asks for {expect!r}", "report this scenario as a bug"))
    want = {"service-ip": f"the ClusterIP of Service {service or name}",
            "pod-ips": f"the IPs of the Ready pods of {kind} {workload}",
            "cname": f"a CNAME to {cname}"}[expect]
    probe = require_probe(ev, _probes(name, expect, namespace=namespace)[0].key, subject, want)
    answers = [a for a in probe["attempts"] if a.get("outcome") == OK]
    hint = kubectl(ev, f"get svc -o wide") + f"; nslookup {name} from a pod{where}"
    if not answers:
        detail = probe["attempts"][-1].get("detail") or probe["attempts"][-1].get("outcome")
        return failed(subject, want, f"no answer{where}: {detail}", hint)
    addresses = set().union(*(set(a.get("addresses") or []) for a in answers))
    cnames = {_norm(v) for a in answers for v in (a.get("cnames") or {}).values()}
    if expect == "cname":
        if cname and _norm(cname) in cnames:
            return passed(subject, want, f"CNAME {_norm(cname)}")
        return failed(subject, want, f"CNAMEs {names(cnames)}, addresses {names(addresses)}", hint)
    if expect == "service-ip":
        svc = require_service(ev, service or name.split(".")[0], want)
        spec = svc.get("spec") or {}
        ips = {ip for ip in (spec.get("clusterIPs") or [spec.get("clusterIP")]) if ip and ip != "None"}
        if not ips:
            return failed(subject, want, f"Service {name_of(svc)} is headless (clusterIP None); "
                          f"the name gives pod IPs {names(addresses)}", hint)
        if addresses and addresses <= ips:
            return passed(subject, want, f"{names(addresses)}")
        return failed(subject, want, f"addresses {names(addresses)}; the ClusterIP is {names(ips)}", hint)
    wl = require_workload(ev, workload, kind, subject, want)
    ready_ips = {(p.get("status") or {}).get("podIP") for p in ready_pods(ev, wl)} - {None}
    if addresses == ready_ips and ready_ips:
        return passed(subject, want, f"{names(addresses)}")
    return failed(subject, want, f"addresses {names(addresses)}; Ready pod IPs are {names(ready_ips)}",
                  hint)
