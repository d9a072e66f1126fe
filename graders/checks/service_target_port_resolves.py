"""service.target-port-resolves: each Service port's targetPort (number or
name, with protocol) lands on the port the pods really listen on."""
from __future__ import annotations

from drills.evidence import container_ports, name_of
from drills.graders.checks._common import (as_int, decides, kubectl, port_label, require_service,
                                           require_workload, service_ports, target_of,
                                           workload_pods)
from drills.graders.registry import STAGE_TARGETPORT, check, failed, passed


def _declared(ports: list[dict]) -> str:
    return ", ".join(f"{p['name'] + '=' if p.get('name') else ''}{p.get('containerPort')}/"
                     f"{p.get('protocol', 'TCP')}" for p in ports) or "none declared"


def _resolve(svc_port: dict, holders: list[tuple[str, list[dict]]], listen: int) -> str | None:
    """None when the port reaches `listen` on every pod, else what goes wrong."""
    target = target_of(svc_port)
    protocol = svc_port.get("protocol", "TCP")
    label = f"port {port_label(svc_port)}"
    if protocol != "TCP":
        return f"{label} uses protocol {protocol}; the web server speaks TCP"
    if isinstance(target, int):
        if target == listen:
            return None
        declared = _declared(holders[0][1]) if holders else "unknown"
        return (f"{label} sends to targetPort {target}, but the pods listen on {listen} "
                f"(declared container ports: {declared})")
    for who, ports in holders:
        named = [p for p in ports if p.get("name") == target]
        if not named:
            return (f"{label} sends to targetPort {target!r}, a name no container port of {who} "
                    f"carries (its ports: {_declared(ports)})")
        same_proto = [p for p in named if p.get("protocol", "TCP") == protocol]
        if not same_proto:
            return f"{label}: port {target!r} of {who} is {named[0].get('protocol')}, not {protocol}"
        if as_int(same_proto[0].get("containerPort")) != listen:
            return (f"{label} sends to targetPort {target!r} = {same_proto[0].get('containerPort')} "
                    f"on {who}, but the server listens on {listen}")
    return None


@check("service.target-port-resolves", "targetPort reaches the port the pods listen on",
       stage=STAGE_TARGETPORT)
@decides
def target_port_resolves(ev, service, workload, listen_port, kind="Deployment"):
    subject = f"Service {service}"
    listen = as_int(listen_port)
    want = f"every targetPort resolving to {listen}/TCP, where the pods of {kind} {workload} listen"
    svc = require_service(ev, service, want)
    wl = require_workload(ev, workload, kind, subject, want)
    pods = workload_pods(ev, wl)
    holders = ([(f"pod {name_of(p)}", container_ports(p)) for p in pods] or
               [(f"{wl.title}'s pod template", container_ports((wl.live.get("spec") or {}).get("template") or {}))])
    problems = [msg for p in service_ports(svc) if (msg := _resolve(p, holders, listen))]
    if problems:
        return failed(subject, want, "; ".join(problems),
                      kubectl(ev, f"get svc {service} -o jsonpath='{{.spec.ports}}'; kubectl -n "
                                  f"{ev.namespace} get pods -o jsonpath='{{.items[*].spec.containers[*].ports}}'"))
    mapped = ", ".join(f"{p.get('port')} -> {target_of(p)}" for p in service_ports(svc))
    return passed(subject, want, f"{mapped} reaches {listen}/TCP on every pod")
