"""Starting a drill: fresh namespace, objects and probe pod together, then the fault verified.

Everything created is deleted again when anything goes wrong, Ctrl-C included.
The runtime does not judge: the caller (drills.lifecycle) hands in a FaultCheck
that says whether a bundle shows the scenario's fault.
"""
from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from drills.cluster import objects as O
from drills.cluster import setup as cluster_setup
from drills.cluster.api import ApiError
from drills.errors import ClusterUnreachable, FaultNotVerified, UsageError

POLL_S = 0.15
WATCH_RETRY_S = 0.5
GONE_WAIT_S = 90.0
IMAGE_TROUBLE = ("ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName")
PHASES = ("namespace", "apply", "probe pod", "pods", "fault verified")
log = logging.getLogger("drills.start")


@dataclass(frozen=True)
class FaultCheck:
    """Whether a bundle shows the fault: `shown(bundle, api_only)` -> (shown, why not).
    With api_only the bundle has no probe results and only checks that read API
    objects count; `probes` are what the full round needs."""
    shown: Callable[[dict, bool], tuple[bool, str]]
    probes: list = field(default_factory=list)


class Timings(dict):
    """Seconds each start phase took, in order (`drills start --timings`)."""

    def __init__(self) -> None:
        super().__init__()
        self._mark = time.monotonic()

    def lap(self, phase: str) -> None:
        now = time.monotonic()
        self[phase] = round(now - self._mark, 3)
        self._mark = now
        log.debug("start phase %s took %.3f s", phase, self[phase])


def start_drill(session: Any, plan: Any, progress: Callable[[str], None] = lambda phase: None,
                *, verify: FaultCheck, timings: Timings | None = None,
                annotations: dict[str, str] | None = None) -> dict[str, Any]:
    """`annotations` go on every drill namespace (e.g. the scenario hash)."""
    api = session.api
    timings = timings if timings is not None else Timings()
    ensure_free(api, plan, progress)
    record = cluster_setup.prepare(api, plan)    # reads only; refuses before any change
    deadline = time.monotonic() + plan.broken_timeout
    created: list[str] = []
    try:
        progress("creating namespace")
        for ns in plan.namespaces:
            # the main namespace carries the restore record before the cluster changes
            create_namespace(api, plan, ns, record if ns == plan.namespace else [], progress,
                             annotations=annotations)
            created.append(ns)
        timings.lap("namespace")
        if record:
            progress("changing cluster-wide settings")
            cluster_setup.apply(api, record, deadline)
            timings.lap("cluster-wide settings")
        progress("applying objects")
        # the probe pods first: their container starts while the workloads are created
        for ns in plan.namespaces:
            apply_soon(api, O.probe_pod_body(plan.image, ns), ns, deadline)
        for obj in plan.manifests:
            body, ns = O.placed(obj, plan.namespace)
            apply_soon(api, body, ns, deadline)
        timings.lap("apply")
        progress("waiting for pods")
        wait_for_pods(api, plan, deadline, timings=timings)
        progress("verifying fault")
        bundle = verify_fault(session, plan, verify, deadline)
        timings.lap("fault verified")
    except BaseException as exc:
        undo_start(api, plan, created, record, exc)
        raise
    return {"namespace": plan.namespace, "verified_at": O.utc_now(), "bundle": bundle,
            "timings": dict(timings)}


# --- safety --------------------------------------------------------------------------

def ensure_free(api: Any, plan: Any, progress: Callable[[str], None] = lambda phase: None) -> None:
    """Refuse namespaces that are not ours or hold a running drill; wait out ones
    still being deleted; keep cluster-wide drills alone."""
    for ns in plan.namespaces:
        existing = api.get("namespaces", ns)
        if existing is not None:
            refuse_existing(plan, existing)
            progress(f"waiting for namespace {ns} to finish terminating")
            wait_gone(api, [ns])
    others = [n for n in api.list("namespaces", label_selector=O.DRILL_SELECTOR)
              if O.is_drill_namespace(n) and n["metadata"]["name"] not in plan.namespaces]
    active = [n for n in others if not O.is_terminating(n)]
    if plan.cluster_wide and active:
        names = ", ".join(sorted(n["metadata"]["name"] for n in active))
        raise UsageError(f"scenario {plan.scenario} changes cluster-wide settings, and other drills "
                         f"are active ({names})", "drills reset --all")
    wide = [n["metadata"]["name"] for n in active if _cluster_wide(n)]
    if wide:
        raise UsageError(f"a drill that changes cluster-wide settings is active ({', '.join(wide)})",
                         "finish it first, or drills reset --all")
    # a cluster-wide drill merely terminating is no obstacle once its changes are undone
    for ns in others:
        if O.is_terminating(ns) and _cluster_wide(ns):
            wait_restored(api, ns, progress)


def _cluster_wide(ns: dict) -> bool:
    return (ns["metadata"].get("labels") or {}).get(O.CLUSTER_WIDE_LABEL) == "true"


def wait_restored(api: Any, ns: dict, progress: Callable[[str], None],
                  timeout: float | None = None, poll: float = 0.5) -> None:
    """Until what a (terminating) cluster-wide drill changed is back as it was."""
    timeout = GONE_WAIT_S if timeout is None else timeout
    name = ns["metadata"]["name"]
    record = cluster_setup.record_of(ns)
    if not record:
        return
    deadline = time.monotonic() + timeout
    while True:
        pending = cluster_setup.pending_restore(api, record)
        if not pending:
            return
        if api.get("namespaces", name) is None:
            raise UsageError(f"drill namespace {name} is gone, but {pending[0]} is not put back "
                             "as it was", "drills reset --all puts it back")
        if time.monotonic() >= deadline:
            raise UsageError(f"the cluster-wide drill in namespace {name} is still being put back "
                             f"({pending[0]}) after {timeout:g} s", "drills reset --all")
        progress(f"waiting until {pending[0]} is back as it was")
        time.sleep(poll)


def refuse_existing(plan: Any, existing: dict) -> None:
    """An existing namespace that is not terminating is never reused."""
    O.refuse_unless_drill_namespace(existing)
    if not O.is_terminating(existing):
        name = existing["metadata"]["name"]
        raise UsageError(f"drill {plan.scenario} (seed {plan.seed}) is already running in "
                         f"namespace {name}", f"drills reset {plan.scenario}")


def create_namespace(api: Any, plan: Any, ns: str, record: list[dict] | None = None,
                     progress: Callable[[str], None] = lambda phase: None,
                     timeout: float | None = None, annotations: dict[str, str] | None = None) -> None:
    deadline = time.monotonic() + (GONE_WAIT_S if timeout is None else timeout)
    body = cluster_setup.annotate(O.namespace_body(plan, ns), record or [])
    body["metadata"]["annotations"].update(annotations or {})
    while True:
        try:
            api.create("namespaces", body)
            return
        except ApiError as exc:
            if exc.status != 409:
                raise
        # created by someone else between our look and our create, or still terminating
        existing = api.get("namespaces", ns)
        if existing is None:
            continue
        refuse_existing(plan, existing)
        progress(f"waiting for namespace {ns} to finish terminating")
        wait_gone(api, [ns], max(0.0, deadline - time.monotonic()))


def apply_soon(api: Any, body: dict, ns: str, deadline: float) -> None:
    """Apply, retrying while a brand-new namespace has no default ServiceAccount
    yet (the API refuses pods until the controller has made it)."""
    while True:
        try:
            api.apply(body, ns)
            return
        except ApiError as exc:
            if exc.status == 403 and "being terminated" in exc.message:
                # deleted under us (a reset racing this start): say so, never a bare 403
                raise UsageError(f"namespace {ns} was deleted while drill {body['metadata']['name']!r} "
                                 "was being started", "start the drill again") from None
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


def wait_for_pods(api: Any, plan: Any, deadline: float, poll: float = POLL_S,
                  timings: Timings | None = None) -> None:
    """Until every probe pod runs and every workload has a pod; followed with a
    watch where the API offers one, else polled."""
    probe_done = False
    for pods in pod_states(api, plan, deadline, poll):
        missing, troubles = missing_pods(plan, pods)
        if troubles:
            raise FaultNotVerified(
                f"scenario {plan.scenario}: the image {plan.image} cannot be pulled: {troubles[0]}",
                f"run 'drills cluster up' to preload {plan.image} into the kind nodes, or "
                f"set DRILLS_IMAGE to an image the nodes have")
        if timings is not None and not probe_done and not any(m.startswith("probe pod")
                                                             for m in missing):
            probe_done = True
            timings.lap("probe pod")
        if not missing:
            if timings is not None:
                timings.lap("pods")
            return
        if time.monotonic() >= deadline:
            raise FaultNotVerified(
                f"scenario {plan.scenario} (seed {plan.seed}): the drill's pods did not come up "
                f"within {plan.broken_timeout:g} s: {'; '.join(missing)}"
                f"{_last_warning(api, plan.namespaces)}",
                "nothing was left behind; 'drills doctor' checks the cluster")


def pod_states(api: Any, plan: Any, deadline: float, poll: float) -> Iterable[list[dict]]:
    """The drill's pods, again after every change (watch) or every `poll` s."""
    watch = getattr(api, "watch_pods", None)
    if watch is None:
        while True:
            yield [p for ns in plan.namespaces for p in api.list("pods", ns)]
            time.sleep(poll)
    while True:
        began = time.monotonic()
        yield from watch(plan.namespaces, max(0.5, deadline - time.monotonic()))
        if time.monotonic() >= deadline:
            yield [p for ns in plan.namespaces for p in api.list("pods", ns)]
            return
        # a watch the API ends at once (410 Gone, refused) is listed and watched again,
        # but never in a tight loop of requests
        if time.monotonic() - began < WATCH_RETRY_S:
            time.sleep(WATCH_RETRY_S)


def _last_warning(api: Any, namespaces: Iterable[str]) -> str:
    try:
        events = [e for ns in namespaces for e in api.list("events", ns) if e.get("type") == "Warning"]
    except Exception:  # only decoration of an error message
        return ""
    if not events:
        return ""
    last = max(events, key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")
    return f"; last warning: {last.get('reason')}: {(last.get('message') or '').strip()[:300]}"


def verify_fault(session: Any, plan: Any, verify: FaultCheck, deadline: float,
                 poll: float = POLL_S) -> dict:
    """Cheap API-only rounds until the API checks show the fault, then one round
    with probes; again until both do or the time is up."""
    from drills.cluster.collect import collect_evidence

    while True:
        bundle = collect_evidence(session, plan, [], api_only=True)
        shown, reason = verify.shown(bundle, True)
        if shown and verify.probes:
            bundle = collect_evidence(session, plan, verify.probes, retry_budget=0)
            shown, reason = verify.shown(bundle, False)
        elif shown:
            shown, reason = verify.shown(bundle, False)
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


def wait_gone(api: Any, names: list[str], timeout: float | None = None,
              poll: float = 0.25) -> None:
    timeout = GONE_WAIT_S if timeout is None else timeout
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
