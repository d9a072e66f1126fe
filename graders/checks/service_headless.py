"""service.headless: the Service has no virtual IP (clusterIP None), so DNS
answers its name with the pod IPs themselves."""
from __future__ import annotations

from drills.graders.checks._common import decides, kubectl, require_service
from drills.graders.registry import STAGE_SERVICE, check, failed, passed


@check("service.headless", "Service is headless (clusterIP None)", stage=STAGE_SERVICE)
@decides
def service_headless(ev, service):
    subject = f"Service {service}"
    want = "clusterIP None (headless): DNS returns the pod IPs, no virtual IP"
    svc = require_service(ev, service, want)
    spec = svc.get("spec") or {}
    stype = spec.get("type", "ClusterIP")
    cluster_ip = spec.get("clusterIP")
    if stype != "ClusterIP":
        return failed(subject, want, f"type {stype}; only a ClusterIP-type Service can be headless",
                      kubectl(ev, f"get svc {service} -o wide"))
    if cluster_ip != "None":
        return failed(subject, want,
                      f"clusterIP {cluster_ip or '(empty)'}, so a lookup of {service} returns that "
                      "one virtual IP (clusterIP cannot be changed in place: delete the Service and "
                      "create it again with clusterIP: None)",
                      kubectl(ev, f"get svc {service} -o jsonpath='{{.spec.clusterIP}}'"))
    return passed(subject, want, "clusterIP None")
