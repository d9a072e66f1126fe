"""service.node-port: the Service opens the demanded nodePort (30000-32767)."""
from __future__ import annotations

from drills.graders.checks._common import (as_int, decides, kubectl, port_label, require_service,
                                           service_ports)
from drills.graders.registry import STAGE_SERVICE, check, failed, passed, undecided
from drills.manifests import NODEPORT_MAX, NODEPORT_MIN


@check("service.node-port", "Service opens the demanded nodePort", stage=STAGE_SERVICE)
@decides
def service_node_port(ev, service, node_port):
    subject = f"Service {service}"
    demanded = as_int(node_port)
    want = f"type NodePort with nodePort {demanded}"
    if demanded is None or not NODEPORT_MIN <= demanded <= NODEPORT_MAX:
        return undecided(subject, want, f"the scenario demands nodePort {node_port!r}, outside "
                         f"{NODEPORT_MIN}-{NODEPORT_MAX}", "report this scenario as a bug")
    svc = require_service(ev, service, want)
    stype = (svc.get("spec") or {}).get("type", "ClusterIP")
    hint = kubectl(ev, f"get svc {service} -o wide")
    ports = service_ports(svc)
    if stype not in ("NodePort", "LoadBalancer"):
        return failed(subject, want, f"type {stype}, which opens no port on the nodes", hint)
    opened = [as_int(p.get("nodePort")) for p in ports if p.get("nodePort") is not None]
    if demanded not in opened:
        shown = ", ".join(f"{port_label(p)} -> nodePort {p.get('nodePort')}" for p in ports)
        return failed(subject, want, f"type {stype} with {shown or 'no ports'}", hint)
    return passed(subject, want, f"type {stype}, nodePort {demanded}")
