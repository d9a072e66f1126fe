"""service.selector-matches-pods: the selector picks the workload's pods, and only them."""
from __future__ import annotations

from drills.evidence import format_labels, labels_of, name_of, selector_matches
from drills.graders.checks._common import (decides, kubectl, names, plural, require_service,
                                           require_workload, selector_text, workload_pods)
from drills.graders.registry import STAGE_ENDPOINTS, check, failed, passed


@check("service.selector-matches-pods", "Service selector matches the intended pods, and only them",
       stage=STAGE_ENDPOINTS)
@decides
def selector_matches_pods(ev, service, workload, kind="Deployment"):
    subject = f"Service {service}"
    want = f"a selector matching the pods of {kind} {workload}, and only them"
    svc = require_service(ev, service, want)
    wl = require_workload(ev, workload, kind, subject, want)
    want = f"a selector matching the pods of {wl.title} ({format_labels(wl.template_labels)}), and only them"
    hint = (kubectl(ev, f"describe svc {service} | grep -i selector") +
            f"; kubectl -n {ev.namespace} get pods --show-labels")
    selector = dict((svc.get("spec") or {}).get("selector") or {})
    if not selector:
        return failed(subject, want, "no selector, so no pod is selected and endpoints are left "
                      "to whatever was written by hand", hint)
    matched = {name_of(p) for p in ev.pods_matching(selector)}
    own = {name_of(p) for p in workload_pods(ev, wl)}
    foreign = matched - own
    if not selector_matches(selector, wl.template_labels):
        observed = f"selector {selector_text(selector)} matches {plural(len(matched), 'pod')}"
        if foreign:
            observed += f" ({names(foreign)}, not of {wl.title})"
        observed += f"; pods of {wl.title} carry {format_labels(wl.template_labels)}"
        volatile = sorted(k for k in selector if k not in wl.template_labels
                          and any(k in labels_of(p) for p in workload_pods(ev, wl)))
        if volatile:
            observed += (f" (the selector uses {', '.join(volatile)}, which the controller sets per "
                         "revision and changes at the next rollout)")
        return failed(subject, want, observed, hint)
    if foreign:
        return failed(subject, want,
                      f"selector {selector_text(selector)} also matches {names(foreign)}, "
                      f"which are not pods of {wl.title}", hint)
    return passed(subject, want, f"selector {selector_text(selector)} matches the "
                  f"{plural(len(own), 'pod')} of {wl.title}" + (f": {names(own)}" if own else ""))
