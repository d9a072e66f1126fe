"""service.external-name: the Service is an ExternalName alias of the
demanded outside host (DNS answers with a CNAME to it)."""
from __future__ import annotations

from drills.graders.checks._common import decides, kubectl, require_service
from drills.graders.registry import STAGE_SERVICE, check, failed, passed


def _host(name: str | None) -> str:
    return (name or "").rstrip(".").lower()


@check("service.external-name", "Service is an ExternalName alias of the outside host",
       stage=STAGE_SERVICE)
@decides
def service_external_name(ev, service, host):
    subject = f"Service {service}"
    want = f"type ExternalName with externalName {_host(host)}"
    svc = require_service(ev, service, want)
    spec = svc.get("spec") or {}
    stype = spec.get("type", "ClusterIP")
    hint = kubectl(ev, f"get svc {service} -o wide")
    if stype != "ExternalName":
        ip = spec.get("clusterIP")
        return failed(subject, want, f"type {stype}" + (f" with clusterIP {ip}, which DNS returns "
                      "instead of an alias" if ip and ip != "None" else ""), hint)
    actual = _host(spec.get("externalName"))
    if actual != _host(host):
        return failed(subject, want, f"externalName {actual or '(empty)'}, so DNS sends clients to "
                      f"{actual or 'nowhere'}", hint)
    return passed(subject, want, f"ExternalName {actual}")
