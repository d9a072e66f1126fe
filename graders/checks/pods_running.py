"""pods.running: the workload runs its replicas (ignores readiness)."""
from __future__ import annotations

from drills.graders.checks._common import (decides, expected_replicas, kubectl, names, plural,
                                           require_workload, running_pods, workload_pods)
from drills.graders.registry import STAGE_ENDPOINTS, check, failed, passed


@check("pods.running", "The workload's pods are Running", stage=STAGE_ENDPOINTS)
@decides
def pods_running(ev, workload, kind="Deployment", replicas=None):
    subject = f"{kind} {workload}"
    wl = require_workload(ev, workload, kind, subject, "its pods Running")
    want_n = expected_replicas(ev, wl, replicas)
    want = f"{plural(want_n, 'pod')} Running"
    running = running_pods(ev, wl)
    if len(running) >= want_n:
        return passed(subject, want, f"{len(running)} Running: {names(p['metadata']['name'] for p in running)}")
    others = [p for p in workload_pods(ev, wl) if p not in running]
    states = ", ".join(f"{p['metadata']['name']}: {(p.get('status') or {}).get('phase', 'Unknown')}"
                       for p in others) or "no other pods"
    return failed(subject, want, f"{len(running)} Running ({states})",
                  kubectl(ev, f"get pods -l {','.join(f'{k}={v}' for k, v in sorted(wl.selector.items()))}"
                          f" -o wide; kubectl -n {ev.namespace} describe {kind.lower()} {workload}"))
