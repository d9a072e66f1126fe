"""constraint.endpoints-managed: the Service keeps a selector and its
EndpointSlices come from the controller, not from hand-made objects."""
from __future__ import annotations

from drills.evidence import labels_of, name_of
from drills.graders.checks._common import (CONTROLLER_SLICE_MANAGER, MANAGED_BY_LABEL, decides,
                                           kubectl, names, require_kinds, require_service,
                                           selector_text)
from drills.graders.registry import STAGE_CONSTRAINT, check, failed, passed


@check("constraint.endpoints-managed", "Endpoints are managed by Kubernetes, not by hand",
       stage=STAGE_CONSTRAINT)
@decides
def endpoints_managed(ev, service):
    subject = f"Service {service}"
    want = "a selector, with EndpointSlices written only by the endpointslice controller"
    svc = require_service(ev, service, want)
    require_kinds(ev, subject, want, "endpointslices")
    hint = kubectl(ev, f"get endpointslices -l kubernetes.io/service-name={service} "
                       f"-L {MANAGED_BY_LABEL}; kubectl -n {ev.namespace} describe svc {service}")
    selector = (svc.get("spec") or {}).get("selector")
    if not selector:
        return failed(subject, want, "no selector: its endpoints are hand-made and will not follow "
                      "the pods", hint)
    by_hand = [f"{name_of(s)} (managed-by {labels_of(s).get(MANAGED_BY_LABEL) or 'nobody'})"
               for s in ev.endpointslices_for(service)
               if labels_of(s).get(MANAGED_BY_LABEL) != CONTROLLER_SLICE_MANAGER]
    if by_hand:
        return failed(subject, want, f"selector {selector_text(selector)}, but EndpointSlices "
                      f"{names(by_hand)} were not written by the controller", hint)
    return passed(subject, want, f"selector {selector_text(selector)}; EndpointSlices from the "
                  "controller")
