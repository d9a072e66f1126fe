"""client.ready: the client's pods are Ready. Their readiness probe fetches
the configured URL, so Ready means the client really reaches its target."""
from __future__ import annotations

from drills.evidence import name_of, pod_ready
from drills.graders.checks._client import require_client
from drills.graders.checks._common import as_int, decides, names, plural
from drills.graders.registry import STAGE_REACH, check, failed, passed


def _probe_reads(container: dict, env: str) -> bool:
    command = " ".join((((container.get("readinessProbe") or {}).get("exec") or {})
                        .get("command")) or [])
    return f"${env}" in command or f"${{{env}}}" in command


def _unhealthy(ev, namespace: str, pod: str) -> str | None:
    found = [e for e in ev.events(namespace) if e.get("reason") == "Unhealthy"
             and (e.get("involvedObject") or {}).get("name") == pod]
    if not found:
        return None
    latest = max(found, key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")
    return (latest.get("message") or "").strip()


@check("client.ready", "The client's pods are Ready (they reach their target)", stage=STAGE_REACH)
@decides
def client_ready(ev, workload, namespace, env="TARGET", replicas=None, kind="Deployment"):
    subject = f"{kind} {workload} in namespace {namespace}"
    client = require_client(ev, workload, namespace, kind, subject, "its pods Ready")
    want_n = as_int(replicas) or as_int((client.live.get("spec") or {}).get("replicas")) or 1
    want = f"{plural(want_n, 'pod')} Ready, its readiness probe fetching ${env}"
    hint = f"kubectl -n {namespace} logs {kind.lower()}/{workload} --tail=5"
    if not any(_probe_reads(c, env) for c in client.containers):
        return failed(subject, want, f"the readiness probe no longer fetches ${env}, so Ready proves "
                      "nothing; restore it", f"kubectl -n {namespace} rollout undo "
                      f"{kind.lower()}/{workload}, then fix {env} only")
    ready = [p for p in client.pods if pod_ready(p)]
    if len(ready) >= want_n:
        return passed(subject, want, f"{len(ready)} Ready: {names(name_of(p) for p in ready)}")
    reasons = [f"{name_of(p)}: {_unhealthy(ev, namespace, name_of(p)) or 'not Ready'}"
               for p in client.pods if p not in ready]
    return failed(subject, want, f"{len(ready)} of {want_n} Ready"
                  + (f" ({'; '.join(reasons)})" if reasons else "; no pod exists"), hint)
