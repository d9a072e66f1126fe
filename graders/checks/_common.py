"""Look-ups shared by the checks: a workload and its pods, Service ports,
EndpointSlice contents and probe gates. Pure functions over Evidence.

Nothing here registers a check (the module name starts with "_").
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

from drills.evidence import (Evidence, format_labels, labels_of, name_of, pod_ready,
                             pod_running, selector_matches)
from drills.graders.registry import Verdict, failed, undecided
from drills.probes import OK

WORKLOAD_KINDS = {"Deployment": "deployments", "StatefulSet": "statefulsets",
                  "DaemonSet": "daemonsets"}
CONTROLLER_SLICE_MANAGER = "endpointslice-controller.k8s.io"
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"


class Undecidable(Exception):
    """The evidence cannot decide; carries the ERROR verdict to return."""

    def __init__(self, verdict: Verdict):
        super().__init__(verdict.observed)
        self.verdict = verdict


class LearnerFault(Exception):
    """A precondition the learner broke (e.g. deleted the Service); carries the FAIL."""

    def __init__(self, verdict: Verdict):
        super().__init__(verdict.observed)
        self.verdict = verdict


def decides(fn):
    """Let a check raise Undecidable/LearnerFault from helpers instead of threading
    early returns through every function."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (Undecidable, LearnerFault) as exc:
            return exc.verdict
    return wrapper


def as_int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def kubectl(ev: Evidence, args: str) -> str:
    return f"kubectl -n {ev.namespace} {args}"


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def names(items) -> str:
    items = sorted(items)
    return ", ".join(items) if items else "(none)"


# --- evidence gates -----------------------------------------------------------

def require_kinds(ev: Evidence, subject: str, expected: str, *kinds: str) -> None:
    """ERROR when the bundle lacks a kind the check must read."""
    missing = [k for k in kinds if not ev.collected(k)]
    if missing:
        read_errors = [e.get("message", "") for e in ev.errors if e.get("source") in missing]
        why = f" ({read_errors[0]})" if read_errors else ""
        raise Undecidable(undecided(subject, expected,
                                    f"the evidence holds no {', '.join(missing)}{why}",
                                    "collect again with 'drills check'; if it persists, "
                                    f"run kubectl -n {ev.namespace} get {','.join(missing)}"))


def require_service(ev: Evidence, service: str, expected: str) -> dict:
    require_kinds(ev, f"Service {service}", expected, "services")
    svc = ev.service(service)
    if svc is None:
        present = [name_of(s) for s in ev.objects("services")]
        raise LearnerFault(failed(
            f"Service {service}", expected,
            f"no Service {service} in namespace {ev.namespace} (Services there: {names(present)})",
            kubectl(ev, "get svc")))
    return svc


# --- workloads and their pods ------------------------------------------------

@dataclass(frozen=True)
class Workload:
    kind: str
    name: str
    live: dict
    selector: dict[str, str]
    template_labels: dict[str, str]

    @property
    def title(self) -> str:
        return f"{self.kind} {self.name}"


def require_workload(ev: Evidence, workload: str, kind: str, subject: str, expected: str) -> Workload:
    collection = WORKLOAD_KINDS.get(kind)
    if collection is None:
        raise Undecidable(undecided(subject, expected, f"drills cannot read workloads of kind {kind}"))
    require_kinds(ev, subject, expected, collection, "pods")
    live = ev.get(collection, workload)
    if live is None:
        raise LearnerFault(failed(subject, expected,
                                  f"no {kind} {workload} in namespace {ev.namespace}",
                                  kubectl(ev, f"get {collection}")))
    spec = live.get("spec") or {}
    selector = dict((spec.get("selector") or {}).get("matchLabels") or {})
    template = labels_of(spec.get("template") or {})
    return Workload(kind, workload, live, selector, template)


def owned_by(pod: dict, wl: Workload) -> bool:
    """A pod belongs to the workload through its controller reference: a
    Deployment's pods are owned by ReplicaSet <name>-<pod-template-hash>."""
    refs = (pod.get("metadata") or {}).get("ownerReferences") or []
    if wl.kind == "Deployment":
        rs = f"{wl.name}-{labels_of(pod).get('pod-template-hash', '')}"
        return any(r.get("kind") == "ReplicaSet" and r.get("name") == rs for r in refs)
    return any(r.get("kind") == wl.kind and r.get("name") == wl.name for r in refs)


def workload_pods(ev: Evidence, wl: Workload, include_terminating: bool = False) -> list[dict]:
    return sorted((p for p in ev.pods(include_terminating=include_terminating)
                   if selector_matches(wl.selector, labels_of(p)) and owned_by(p, wl)),
                  key=name_of)


def ready_pods(ev: Evidence, wl: Workload) -> list[dict]:
    return [p for p in workload_pods(ev, wl) if pod_ready(p)]


def running_pods(ev: Evidence, wl: Workload) -> list[dict]:
    return [p for p in workload_pods(ev, wl) if pod_running(p)]


def expected_replicas(ev: Evidence, wl: Workload, replicas: Any) -> int:
    """Demanded count: the argument, else the plan's manifest, else the live spec."""
    if as_int(replicas) is not None:
        return as_int(replicas)
    if wl.kind == "DaemonSet":
        return int((wl.live.get("status") or {}).get("desiredNumberScheduled") or 0)
    planned = ev.planned_object(wl.kind, wl.name)
    source = planned if planned is not None else wl.live
    value = (source.get("spec") or {}).get("replicas")
    return 1 if value is None else int(value)


def unhealthy_reason(ev: Evidence, pod: str) -> str | None:
    """The latest kubelet 'Unhealthy' message for a pod (e.g. readiness 404)."""
    found = [e for e in ev.events()
             if e.get("reason") == "Unhealthy"
             and (e.get("involvedObject") or {}).get("name") == pod]
    if not found:
        return None
    latest = max(found, key=lambda e: (e.get("lastTimestamp") or e.get("eventTime") or ""))
    return latest.get("message")


def pod_ips(pods: list[dict]) -> dict[str, str]:
    return {(p.get("status") or {}).get("podIP"): name_of(p) for p in pods
            if (p.get("status") or {}).get("podIP")}


def selector_text(selector: dict | None) -> str:
    return format_labels(selector) if selector else "(no selector)"


# --- Service ports and EndpointSlices -------------------------------------

def service_ports(svc: dict) -> list[dict]:
    return list((svc.get("spec") or {}).get("ports") or [])


def port_label(p: dict) -> str:
    name = p.get("name")
    return f"{p.get('port')}/{p.get('protocol', 'TCP')}" + (f" ({name})" if name else "")


def target_of(p: dict) -> int | str:
    target = p.get("targetPort", p.get("port"))
    number = as_int(target)
    return number if number is not None else str(target)


@dataclass(frozen=True)
class PortEndpoints:
    """Endpoints of one Service port: pod (or bare IP) -> ready?, and the ports
    the slices publish for it."""
    ready: set[str]
    not_ready: set[str]
    numbers: set[int]
    slices_without_port: list[str]
    source: str


def _endpoint_names(addresses: list[str], target_ref: dict | None, ip_to_pod: dict[str, str]) -> list[str]:
    if target_ref and target_ref.get("kind") == "Pod" and target_ref.get("name"):
        return [target_ref["name"]]
    return [ip_to_pod.get(a, a) for a in addresses]


def slice_endpoints(ev: Evidence, service: str, svc_port: dict) -> PortEndpoints | None:
    """Endpoints for one Service port read from EndpointSlices (None when the
    bundle has no slices for the Service)."""
    if not ev.collected("endpointslices"):
        return None
    slices = ev.endpointslices_for(service)
    if not slices:
        return None
    ip_to_pod = pod_ips(ev.pods(include_terminating=True))
    want_name = svc_port.get("name") or ""
    want_proto = svc_port.get("protocol", "TCP")
    ready, not_ready, numbers, portless = set(), set(), set(), []
    for sl in slices:
        matching = [p for p in (sl.get("ports") or [])
                    if (p.get("name") or "") == want_name and p.get("protocol", "TCP") == want_proto]
        if not matching:
            if sl.get("endpoints"):
                portless.append(name_of(sl))
            continue
        numbers |= {p.get("port") for p in matching if p.get("port") is not None}
        for ep in sl.get("endpoints") or []:
            cond = ep.get("conditions") or {}
            is_ready = cond.get("ready") is not False and not cond.get("terminating")
            who = _endpoint_names(ep.get("addresses") or [], ep.get("targetRef"), ip_to_pod)
            (ready if is_ready else not_ready).update(who)
    return PortEndpoints(ready, not_ready - ready, numbers, portless, "EndpointSlice")


def endpoints_object(ev: Evidence, service: str, svc_port: dict) -> PortEndpoints | None:
    """Fallback: the legacy Endpoints object (subsets x ports)."""
    if not ev.collected("endpoints"):
        return None
    obj = ev.get("endpoints", service)
    if obj is None:
        return None
    ip_to_pod = pod_ips(ev.pods(include_terminating=True))
    want_name = svc_port.get("name") or ""
    ready, not_ready, numbers = set(), set(), set()
    for subset in obj.get("subsets") or []:
        matching = [p for p in subset.get("ports") or [] if (p.get("name") or "") == want_name]
        if not matching:
            continue
        numbers |= {p.get("port") for p in matching}
        for a in subset.get("addresses") or []:
            ready.update(_endpoint_names([a.get("ip")], a.get("targetRef"), ip_to_pod))
        for a in subset.get("notReadyAddresses") or []:
            not_ready.update(_endpoint_names([a.get("ip")], a.get("targetRef"), ip_to_pod))
    return PortEndpoints(ready, not_ready - ready, numbers, [], "Endpoints")


# --- probes ------------------------------------------------------------------

def require_probe(ev: Evidence, key: str, subject: str, expected: str) -> dict:
    """The probe record, or ERROR (not collected, could not run) / FAIL
    (unresolved: the learner's objects gave no target)."""
    probe = ev.probe(key)
    if probe is None:
        raise Undecidable(undecided(subject, expected, f"the evidence holds no probe {key}",
                                    "collect again with 'drills check'"))
    if probe.get("error"):
        raise Undecidable(undecided(subject, expected,
                                    f"the probe could not run: {probe['error']}",
                                    kubectl(ev, "get pods,events") + " shows why the probe pod "
                                    "did not run; then run 'drills check' again"))
    if probe.get("unresolved"):
        raise LearnerFault(failed(subject, expected, f"no target to probe: {probe['unresolved']}",
                                  kubectl(ev, "get svc -o wide")))
    if not probe.get("attempts"):
        raise Undecidable(undecided(subject, expected, f"probe {key} recorded no attempt",
                                    "collect again with 'drills check'"))
    return probe


def attempt_summary(attempts: list[dict]) -> str:
    """e.g. '6 of 6 attempts refused (wget: can't connect ...: Connection refused)'."""
    bad = [a for a in attempts if a.get("outcome") != OK]
    by_outcome: dict[str, list[dict]] = {}
    for a in bad:
        by_outcome.setdefault(a.get("outcome") or "other", []).append(a)
    parts = [f"{len(v)} of {plural(len(attempts), 'attempt')} {outcome}"
             + (f" ({v[0].get('detail')})" if v[0].get("detail") else "")
             for outcome, v in sorted(by_outcome.items(), key=lambda kv: -len(kv[1]))]
    return "; ".join(parts)


# Missing answerers fail only when a healthy, evenly balanced Service would
# miss that many backends with a chance below this (so fair grading never
# blames the learner for an unlucky spread of a few requests).
MISSED_BACKENDS_CHANCE = 0.001


def chance_to_miss(backends: int, missed: int, tries: int) -> float:
    """Upper bound (union bound) on the chance that `tries` uniformly spread
    requests never reach some `missed` of `backends` healthy pods."""
    if missed <= 0:
        return 1.0
    if missed >= backends:
        return 0.0
    return min(1.0, math.comb(backends, missed) * ((backends - missed) / backends) ** tries)


def judge_answerers(answered: set[str], ready: set[str], tries: int) -> tuple[bool, str]:
    """Whether the pods that answered prove that every Ready backend serves.

    Rule: every answer must come from a Ready pod of the workload; a Ready pod
    that did not answer fails only when chance_to_miss(...) < MISSED_BACKENDS_CHANCE,
    i.e. when the tries were enough that missing it by bad luck is implausible
    (with fewer tries than 2x the pods it never is).
    """
    foreign = answered - ready
    missing = ready - answered
    if foreign:
        return False, (f"answered by {names(foreign)}, which {'is' if len(foreign) == 1 else 'are'} "
                       f"not a Ready pod of the workload (Ready pods: {names(ready)})")
    if not ready:
        return False, "no Ready pod of the workload exists to answer"
    if not missing:
        return True, f"all {plural(len(ready), 'Ready pod')} answered: {names(answered)}"
    chance = chance_to_miss(len(ready), len(missing), tries)
    if chance < MISSED_BACKENDS_CHANCE:
        return False, (f"{plural(tries, 'successful request')} never reached {names(missing)} "
                       f"(answered: {names(answered)})")
    return True, (f"answered by {names(answered)}; {names(missing)} did not answer in "
                  f"{tries} {'try' if tries == 1 else 'tries'}, which a balanced Service does by chance")


# Requests per HTTP probe: enough that a healthy Service with up to 3 Ready
# pods shows each of them (see judge_answerers), and quick when it works.
HTTP_TRIES = 12


def traffic_hint(ev: Evidence, service: str, outcome: str | None) -> str:
    """The kubectl command that shows why requests failed the way they did."""
    by_outcome = {
        "refused": f"get endpointslices -l {SERVICE_NAME_LABEL}={service} -o wide "
                   "(refused: no ready endpoint on that port)",
        "timeout": f"describe svc {service} (timed out: does targetPort reach a listening port?)",
        "unknown-host": "get svc (the name does not resolve: is the Service there, in this namespace?)",
        "http-error": f"describe svc {service} (the server answered with an HTTP error)",
    }
    return kubectl(ev, by_outcome.get(outcome or "", f"describe svc {service}"))


def answered_by(attempts: list[dict]) -> set[str]:
    return {a.get("answered_by") or "(an empty reply)" for a in attempts if a.get("outcome") == OK}


def first_failure(attempts: list[dict]) -> str | None:
    return next((a.get("outcome") for a in attempts if a.get("outcome") != OK), None)
