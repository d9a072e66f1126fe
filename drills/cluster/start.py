"""Starting a drill: fresh namespace, objects, probe pod, then the fault verified.

Everything created is deleted again when anything goes wrong, Ctrl-C included.
"""
from __future__ import annotations

import contextlib
import dataclasses
import signal
import threading
import time
from typing import Any, Callable, Iterable

from drills.cluster import objects as O
from drills.cluster import setup as cluster_setup
from drills.cluster.api import ApiError
from drills.errors import ClusterUnreachable, FaultNotVerified, UsageError

POLL_S = 0.15
GONE_WAIT_S = 90.0
IMAGE_TROUBLE = ("ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName")


def start_drill(session: Any, plan: Any, progress: Callable[[str], None] = lambda phase: None
                ) -> dict[str, Any]:
    api = session.api
    ensure_free(api, plan)
    record = cluster_setup.prepare(api, plan)    # reads only; refuses before any change
    deadline = time.monotonic() + plan.broken_timeout
    created: list[str] = []
    try:
        progress("creating namespace")
        for ns in plan.namespaces:
            # the main namespace carries the restore record before the cluster changes
            create_namespace(api, plan, ns, record if ns == plan.namespace else [])
            created.append(ns)
        if record:
            progress("changing cluster-wide settings")
            cluster_setup.apply(api, record, deadline)
        progress("applying objects")
        for obj in plan.manifests:
            body, ns = O.placed(obj, plan.namespace)
            apply_soon(api, body, ns, deadline)
        for ns in plan.namespaces:
            apply_soon(api, O.probe_pod_body(plan.image, ns), ns, deadline)
        progress("waiting for pods")
        wait_for_pods(api, plan, deadline)
        progress("verifying fault")
        bundle = verify_fault(session, plan, deadline)
    except BaseException as exc:
        undo_start(api, plan, created, record, exc)
        raise
    return {"namespace": plan.namespace, "verified_at": O.utc_now(), "bundle": bundle}


# --- safety --------------------------------------------------------------------------

def ensure_free(api: Any, plan: Any) -> None:
    """Refuse namespaces that are not ours or hold a running drill; wait out ones
    still being deleted; keep cluster-wide drills alone."""
    for ns in plan.namespaces:
        existing = api.get("namespaces", ns)
        if existing is not None:
            refuse_existing(plan, existing)
            wait_gone(api, [ns])
    active = [n for n in api.list("namespaces", label_selector=O.DRILL_SELECTOR)
              if O.is_drill_namespace(n) and not O.is_terminating(n)
              and n["metadata"]["name"] not in plan.namespaces]
    if plan.cluster_wide and active:
        names = ", ".join(sorted(n["metadata"]["name"] for n in active))
        raise UsageError(f"scenario {plan.scenario} changes cluster-wide settings, and other drills "
                         f"are active ({names})", "drills reset --all")
    wide = [n["metadata"]["name"] for n in active
            if (n["metadata"].get("labels") or {}).get(O.CLUSTER_WIDE_LABEL) == "true"]
    if wide:
        raise UsageError(f"a drill that changes cluster-wide settings is active ({', '.join(wide)})",
                         "finish it first, or drills reset --all")


def refuse_existing(plan: Any, existing: dict) -> None:
    """An existing namespace that is not terminating is never reused."""
    O.refuse_unless_drill_namespace(existing)
    if not O.is_terminating(existing):
        name = existing["metadata"]["name"]
        raise UsageError(f"drill {plan.scenario} (seed {plan.seed}) is already running in "
                         f"namespace {name}", f"drills reset {plan.scenario}")


def create_namespace(api: Any, plan: Any, ns: str, record: list[dict] | None = None) -> None:
    try:
        api.create("namespaces", cluster_setup.annotate(O.namespace_body(plan, ns), record or []))
    except ApiError as exc:
        if exc.status != 409:
            raise
        # created by someone else between our look and our create
        existing = api.get("namespaces", ns)
        if existing is None:
            raise
        refuse_existing(plan, existing)
        raise UsageError(f"namespace {ns} is still being deleted", "try again in a few seconds"
                         ) from None


def apply_soon(api: Any, body: dict, ns: str, deadline: float) -> None:
    """Apply, retrying while a brand-new namespace has no default ServiceAccount
    yet (the API refuses pods until the controller has made it)."""
    while True:
        try:
            api.apply(body, ns)
            return
        except ApiError as exc:
            if not (exc.status == 403 and "serviceaccount" in exc.message.replace(" ", "").lower()
                    and time.monotonic() < deadline):
                raise
            time.sleep(0.1)


# --- waiting ---------------------------------------------------------------------------

def missing_pods(plan: Any, pods: list[dict]) -> tuple[list[str], list[str]]:
    """(what is not there yet, image troubles) for the probe pods and workloads."""
    from drills.cluster.collect import pod_running
    from drills.evidence import name_of, namespace_of, pod_terminating, selector_matches

    missing: list[str] = []
    live = [p for p in pods if not pod_terminating(p)]
    for ns in plan.namespaces:
        probe = next((p for p in live if name_of(p) == O.PROBE_POD and namespace_of(p) == ns), None)
        running, state = pod_running(probe)
        if not running:
            missing.append(f"probe pod {ns}/{O.PROBE_POD} {state}")
    for obj, ns in O.workload_manifests(plan):
        # one pod is enough to go on: a StatefulSet makes the next only once one is Ready,
        # which a broken drill may never be; the fault check decides the rest
        want = min(1, O.expected_pods(obj))
        name = name_of(obj)
        if obj["kind"] == "Pod":
            have = sum(1 for p in live if name_of(p) == name and namespace_of(p) == ns)
        else:
            selector = O.selector_of(obj)
            have = sum(1 for p in live if namespace_of(p) == ns and name_of(p) != O.PROBE_POD
                       and selector_matches(selector, (p.get("metadata") or {}).get("labels") or {}))
        if have < want:
            missing.append(f"{obj['kind']} {ns}/{name} has no pod yet")
    troubles = []
    for p in live:
        for cs in (p.get("status") or {}).get("containerStatuses") or []:
            waiting = (cs.get("state") or {}).get("waiting") or {}
            if waiting.get("reason") in IMAGE_TROUBLE:
                troubles.append(f"pod {name_of(p)}: {waiting['reason']} "
                                f"({(waiting.get('message') or '').strip()[:200]})")
    return missing, troubles


def wait_for_pods(api: Any, plan: Any, deadline: float, poll: float = POLL_S) -> None:
    while True:
        pods = [p for ns in plan.namespaces for p in api.list("pods", ns)]
        missing, troubles = missing_pods(plan, pods)
        if troubles:
            raise FaultNotVerified(
                f"scenario {plan.scenario}: the image {plan.image} cannot be pulled: {troubles[0]}",
                f"run 'drills cluster up' to preload {plan.image} into the kind nodes, or "
                f"set DRILLS_IMAGE to an image the nodes have")
        if not missing:
            return
        if time.monotonic() >= deadline:
            raise FaultNotVerified(
                f"scenario {plan.scenario} (seed {plan.seed}): the drill's pods did not come up "
                f"within {plan.broken_timeout:g} s: {'; '.join(missing)}"
                f"{_last_warning(api, plan.namespaces)}",
                "nothing was left behind; 'drills doctor' checks the cluster")
        time.sleep(poll)


def _last_warning(api: Any, namespaces: Iterable[str]) -> str:
    try:
        events = [e for ns in namespaces for e in api.list("events", ns) if e.get("type") == "Warning"]
    except Exception:  # only decoration of an error message
        return ""
    if not events:
        return ""
    last = max(events, key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")
    return f"; last warning: {last.get('reason')}: {(last.get('message') or '').strip()[:300]}"


def broken_probes(plan: Any) -> list:
    """The probes the broken-state checks need, and only those."""
    from drills.graders.judge import required_probes

    wanted = set(plan.broken_pass) | set(plan.broken_fail)
    return required_probes(dataclasses.replace(plan, checks=[c for c in plan.checks
                                                             if c.name in wanted]))


def verify_fault(session: Any, plan: Any, deadline: float, poll: float = POLL_S) -> dict:
    from drills.cluster.collect import collect_evidence
    from drills.graders.judge import broken_state_shown

    probes = broken_probes(plan)
    while True:
        bundle = collect_evidence(session, plan, probes, retry_budget=0)
        shown, reason = broken_state_shown(plan, bundle)
        if shown:
            return bundle
        if time.monotonic() >= deadline:
            raise FaultNotVerified(
                f"scenario {plan.scenario} (seed {plan.seed}): the fault did not show within "
                f"{plan.broken_timeout:g} s: {reason}",
                "nothing was left behind; try another --seed, and report the scenario if it "
                "keeps happening")
        time.sleep(poll)


# --- cleanup ------------------------------------------------------------------------------

@contextlib.contextmanager
def sigint_deferred():
    """Let a cleanup finish when Ctrl-C is pressed once more (people press it
    twice); a third press still gets out, should the API hang."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    presses = []

    def once_more(signum, frame):
        presses.append(signum)
        if len(presses) > 1:
            raise KeyboardInterrupt
    previous = signal.signal(signal.SIGINT, once_more)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)


def undo_start(api: Any, plan: Any, created: list[str], record: list[dict],
               cause: BaseException) -> None:
    """Put the cluster back, then delete what start created. When the cluster
    cannot be put back, the namespace keeps the record for 'drills reset'."""
    with sigint_deferred():
        if record and plan.namespace in created:
            try:
                cluster_setup.restore(api, record)
            except Exception as exc:
                raise ClusterUnreachable(
                    f"scenario {plan.scenario}: starting failed ({_why(cause)}), and putting the "
                    f"cluster-wide settings back failed too ({_why(exc)})",
                    f"drills reset {plan.scenario} puts them back once the API answers") from cause
        remove_namespaces(api, created)


def _why(exc: BaseException) -> str:
    one_line = getattr(exc, "one_line", None)
    return one_line() if callable(one_line) else (str(exc) or type(exc).__name__)


def remove_namespaces(api: Any, names: list[str]) -> list[str]:
    """Best effort: delete what start created; the caller re-raises its own error."""
    removed = []
    with sigint_deferred():
        for ns in names:
            try:
                api.delete("namespaces", ns)
                removed.append(ns)
            except Exception:
                pass
    return removed


def wait_gone(api: Any, names: list[str], timeout: float = GONE_WAIT_S,
              poll: float = 0.25) -> None:
    from drills.errors import ClusterUnreachable

    deadline = time.monotonic() + timeout
    pending = list(names)
    while pending:
        pending = [ns for ns in pending if api.get("namespaces", ns) is not None]
        if not pending:
            return
        if time.monotonic() >= deadline:
            raise ClusterUnreachable(
                f"namespace {pending[0]} is still being deleted after {timeout:g} s",
                f"it usually finishes on its own; look for stuck finalizers with "
                f"'kubectl get namespace {pending[0]} -o yaml'")
        time.sleep(poll)
