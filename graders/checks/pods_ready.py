"""pods.ready: the workload's pods pass their readiness probe."""
from __future__ import annotations

from drills.evidence import name_of
from drills.graders.checks._common import (decides, expected_replicas, kubectl, names, plural,
                                           ready_pods, require_workload, unhealthy_reason,
                                           workload_pods)
from drills.graders.registry import STAGE_ENDPOINTS, check, failed, passed


@check("pods.ready", "The workload's pods are Ready", stage=STAGE_ENDPOINTS)
@decides
def pods_ready(ev, workload, kind="Deployment", replicas=None):
    subject = f"{kind} {workload}"
    wl = require_workload(ev, workload, kind, subject, "its pods Ready")
    want_n = expected_replicas(ev, wl, replicas)
    want = f"{plural(want_n, 'pod')} Ready"
    ready = ready_pods(ev, wl)
    if len(ready) >= want_n:
        return passed(subject, want, f"{len(ready)} Ready: {names(name_of(p) for p in ready)}")
    not_ready = [p for p in workload_pods(ev, wl) if p not in ready]
    reasons = []
    for pod in not_ready:
        why = unhealthy_reason(ev, name_of(pod))
        reasons.append(f"{name_of(pod)} not Ready" + (f" ({why})" if why else ""))
    observed = f"{len(ready)} of {want_n} Ready" + (f": {'; '.join(reasons)}" if reasons else
                                                     "; no other pod exists")
    first = name_of(not_ready[0]) if not_ready else None
    hint = kubectl(ev, "get pods") + (f"; kubectl -n {ev.namespace} describe pod {first}"
                                      " (see the readiness probe and its events)" if first else "")
    return failed(subject, want, observed, hint)
