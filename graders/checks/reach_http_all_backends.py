"""reach.http-all-backends: HTTP through the Service (by DNS name or by
ClusterIP) succeeds every time and reaches every Ready backend."""
from __future__ import annotations

from drills.evidence import name_of
from drills.graders.checks._common import (HTTP_TRIES, answered_by, attempt_summary, decides,
                                           first_failure, judge_answerers, ready_pods,
                                           require_probe, require_workload, traffic_hint)
from drills.graders.registry import STAGE_REACH, check, failed, passed
from drills.probes import ProbeSpec


def http_probe(service, port, workload=None, via="dns", kind="Deployment", host=None, path="/"):
    if via == "cluster-ip":
        return ProbeSpec("http-cluster-ip", f"{service}:{port}{path}", tries=HTTP_TRIES)
    if via != "dns":
        raise ValueError(f"via must be 'dns' or 'cluster-ip', not {via!r}")
    return ProbeSpec("http", f"{host or service}:{port}{path}", tries=HTTP_TRIES)


def _probes(service, port, workload, via="dns", kind="Deployment", host=None, path="/"):
    return [http_probe(service, port, workload, via, kind, host, path)]


@check("reach.http-all-backends", "HTTP through the Service reaches every Ready backend",
       stage=STAGE_REACH, probes=_probes)
@decides
def reach_http_all_backends(ev, service, port, workload, via="dns", kind="Deployment", host=None,
                            path="/"):
    spec = http_probe(service, port, workload, via, kind, host, path)
    subject = (f"http://{host or service}:{port}{path}" if via == "dns"
               else f"http://<ClusterIP of {service}>:{port}{path}")
    want = f"every request answered by a Ready pod of {kind} {workload}, all of them answering"
    probe = require_probe(ev, spec.key, subject, want)
    attempts = probe["attempts"]
    if first_failure(attempts):
        return failed(subject, want, attempt_summary(attempts),
                      traffic_hint(ev, service, first_failure(attempts)))
    wl = require_workload(ev, workload, kind, subject, want)
    ready = {name_of(p) for p in ready_pods(ev, wl)}
    ok, observed = judge_answerers(answered_by(attempts), ready, len(attempts))
    if not ok:
        return failed(subject, want, observed,
                      f"kubectl -n {ev.namespace} get endpointslices "
                      f"-l kubernetes.io/service-name={service} -o wide; "
                      f"kubectl -n {ev.namespace} get pods -o wide --show-labels")
    return passed(subject, want, observed)
