"""workload.statefulset-service-name: the StatefulSet's serviceName names the
Service that gives its pods their DNS names (<pod>.<serviceName>...)."""
from __future__ import annotations

from drills.evidence import name_of
from drills.graders.checks._common import decides, kubectl, names, require_workload, workload_pods
from drills.graders.registry import STAGE_SERVICE, check, failed, passed


@check("workload.statefulset-service-name", "StatefulSet serviceName names the governing Service",
       stage=STAGE_SERVICE)
@decides
def statefulset_service_name(ev, workload, service):
    subject = f"StatefulSet {workload}"
    want = f"spec.serviceName {service}, so its pods are named <pod>.{service}"
    wl = require_workload(ev, workload, "StatefulSet", subject, want)
    actual = (wl.live.get("spec") or {}).get("serviceName") or ""
    hint = kubectl(ev, f"get statefulset {workload} -o jsonpath='{{.spec.serviceName}}'")
    if actual != service:
        return failed(subject, want,
                      f"spec.serviceName {actual or '(empty)'!r}, so its pods get the DNS subdomain "
                      f"{actual or '(none)'} (serviceName cannot be changed in place: recreate the "
                      "StatefulSet, or give the Service the name it expects)", hint)
    stale = [name_of(p) for p in workload_pods(ev, wl)
             if ((p.get("spec") or {}).get("subdomain") or "") != service]
    if stale:
        return failed(subject, want, f"spec.serviceName {service}, but pods {names(stale)} were "
                      f"created with another subdomain; delete them so the StatefulSet recreates them",
                      kubectl(ev, "get pods -o custom-columns=NAME:.metadata.name,"
                                  "SUBDOMAIN:.spec.subdomain"))
    return passed(subject, want, f"spec.serviceName {service}")
