"""service.exists: the Service is there with the demanded type and port."""
from __future__ import annotations

from drills.graders.checks._common import (as_int, decides, kubectl, port_label, require_service,
                                           service_ports)
from drills.graders.registry import STAGE_SERVICE, check, failed, passed


@check("service.exists", "Service exists with the demanded type and port", stage=STAGE_SERVICE)
@decides
def service_exists(ev, service, type="ClusterIP", port=None, protocol="TCP"):
    want = f"a {type} Service {service}" + (f" with port {port}/{protocol}" if port is not None else "")
    subject = f"Service {service}"
    svc = require_service(ev, service, want)
    spec = svc.get("spec") or {}
    actual_type = spec.get("type", "ClusterIP")
    ports = service_ports(svc)
    listed = ", ".join(port_label(p) for p in ports) or "no ports"
    if actual_type != type:
        return failed(subject, want, f"type {actual_type} (ports {listed})",
                      kubectl(ev, f"get svc {service} -o wide"))
    if port is not None:
        number = as_int(port)
        if not any(as_int(p.get("port")) == number and p.get("protocol", "TCP") == protocol
                   for p in ports):
            return failed(subject, want, f"ports {listed}",
                          kubectl(ev, f"get svc {service} -o jsonpath='{{.spec.ports}}'"))
    return passed(subject, want, f"{actual_type}, ports {listed}")
