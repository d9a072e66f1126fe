"""endpoints.ready-per-port: every Running pod of the workload is a ready
endpoint on every Service port, read from EndpointSlices (Endpoints as fallback)."""
from __future__ import annotations

from drills.evidence import name_of
from drills.graders.checks._common import (Undecidable, decides, endpoints_object, kubectl, names,
                                           plural, port_label, require_service, require_workload,
                                           running_pods, selector_text, service_ports,
                                           slice_endpoints, target_of, workload_pods)
from drills.graders.registry import STAGE_ENDPOINTS, check, failed, passed, undecided


def _problem(svc, svc_port, pe, want: set[str], own: set[str]) -> str | None:
    label = f"port {port_label(svc_port)}"
    if pe is None:
        selector = (svc.get("spec") or {}).get("selector")
        return (f"{label}: no EndpointSlice or Endpoints for the Service"
                + ("" if selector else " (it has no selector)"))
    if not pe.numbers:
        if pe.slices_without_port:
            return (f"{label}: {pe.source} {names(pe.slices_without_port)} lists pods but no port: "
                    f"targetPort {target_of(svc_port)} resolves to no port of those pods")
        selector = selector_text((svc.get('spec') or {}).get('selector'))
        return f"{label}: no endpoints at all (selector {selector})"
    missing = want - pe.ready
    if missing:
        listed = missing & pe.not_ready
        unlisted = missing - listed
        parts = []
        if listed:
            parts.append(f"{names(listed)} listed but not ready")
        if unlisted:
            parts.append(f"{names(unlisted)} not listed")
        return f"{label}: {'; '.join(parts)} (ready: {names(pe.ready)})"
    foreign = pe.ready - own
    if foreign:
        return f"{label}: ready endpoints {names(foreign)} are not pods of the workload"
    return None


@check("endpoints.ready-per-port", "Every intended pod is a ready endpoint on every Service port",
       stage=STAGE_ENDPOINTS)
@decides
def endpoints_ready_per_port(ev, service, workload, kind="Deployment"):
    subject = f"Service {service}"
    want_text = f"a ready endpoint on every port for each Running pod of {kind} {workload}"
    svc = require_service(ev, service, want_text)
    wl = require_workload(ev, workload, kind, subject, want_text)
    if not (ev.collected("endpointslices") or ev.collected("endpoints")):
        raise Undecidable(undecided(subject, want_text, "the evidence holds no EndpointSlices "
                                    "nor Endpoints", "collect again with 'drills check'"))
    hint = kubectl(ev, f"get endpointslices -l kubernetes.io/service-name={service} -o wide")
    want = {name_of(p) for p in running_pods(ev, wl)}
    own = {name_of(p) for p in workload_pods(ev, wl, include_terminating=True)}
    if not want:
        return failed(subject, want_text, f"no pod of {wl.title} is Running, so none can be an "
                      "endpoint", kubectl(ev, f"get {kind.lower()} {workload}; kubectl -n "
                                              f"{ev.namespace} get pods"))
    problems, good = [], []
    for svc_port in service_ports(svc):
        pe = slice_endpoints(ev, service, svc_port) or endpoints_object(ev, service, svc_port)
        problem = _problem(svc, svc_port, pe, want, own)
        if problem:
            problems.append(problem)
        else:
            good.append(f"port {port_label(svc_port)} -> {', '.join(map(str, sorted(pe.numbers)))}")
    if not service_ports(svc):
        problems.append("the Service has no ports")
    if problems:
        return failed(subject, want_text, "; ".join(problems), hint)
    return passed(subject, want_text, f"{plural(len(want), 'ready endpoint')} ({names(want)}) on "
                  + "; ".join(good))
