"""Cluster runtime: the only code that talks to a Kubernetes API.

This module is the thin public surface. Importing it is cheap: the
Kubernetes client is imported only when a function here is called, so
`drills list` and `drills render` never load it. API errors nobody handled
leave as DrillsError subclasses (see drills.errors), never as tracebacks.
"""
from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, Callable, Iterator

from drills.cluster.kind import cluster_down, cluster_status, cluster_up, ensure_kind

if TYPE_CHECKING:
    from drills.cluster.session import Session
    from drills.cluster.start import FaultCheck, Timings
    from drills.probes import ProbeSpec
    from drills.render import Fix, Plan

__all__ = ["connect", "start_drill", "collect_evidence", "list_drills", "drill_present", "verified_plan",
           "reset_drills",
           "apply_fix", "cluster_up", "cluster_down", "cluster_status", "ensure_kind"]


@contextlib.contextmanager
def _api_errors(context: str) -> Iterator[None]:
    from drills.cluster.api import ApiError, as_drills_error

    try:
        yield
    except ApiError as exc:
        raise as_drills_error(exc, context) from None


def connect(context: str, explicit: bool, *, timeout: float = 10.0) -> "Session":
    from drills.cluster.session import connect as _connect
    return _connect(context, explicit, timeout=timeout)


def start_drill(session: "Session", plan: "Plan",
                progress: Callable[[str], None] = lambda phase: None, *,
                verify: "FaultCheck", timings: "Timings | None" = None,
                annotations: dict[str, str] | None = None) -> dict[str, Any]:
    """Deploy and verify the fault with `verify` (drills.lifecycle.fault_check gives it)."""
    from drills.cluster.start import start_drill as _start
    with _api_errors(session.context):
        return _start(session, plan, progress, verify=verify, timings=timings,
                      annotations=annotations)


def collect_evidence(session: "Session", plan: "Plan", probes: "list[ProbeSpec]", *,
                     api_only: bool = False, **options: Any) -> dict[str, Any]:
    from drills.cluster.collect import collect_evidence as _collect
    with _api_errors(session.context):
        return _collect(session, plan, probes, api_only=api_only, **options)


def list_drills(session: "Session") -> list[dict[str, Any]]:
    from drills.cluster.manage import list_drills as _list
    with _api_errors(session.context):
        return _list(session)


def drill_present(session: "Session", namespace: str) -> bool:
    """Whether the drill's namespace still stands (a learner may delete it by hand);
    one that stands without drills' label is refused (UnsafeTarget)."""
    from drills.cluster.trust import require_labelled
    with _api_errors(session.context):
        return require_labelled(session.api, namespace) is not None


def verified_plan(session: "Session", namespace: str) -> "Plan":
    """The plan of a drill found on a cluster, from its annotation verified against
    the namespace that carries it (see drills.cluster.trust)."""
    from drills.cluster.trust import verified_plan as _verified
    from drills.config import default_image
    with _api_errors(session.context):
        return _verified(session.api, namespace, default_image())


def reset_drills(session: "Session", namespaces: list[str] | None = None, *, wait: bool = True,
                 progress: Callable[[str], None] = lambda phase: None) -> list[str]:
    from drills.cluster.manage import reset_drills as _reset
    with _api_errors(session.context):
        return _reset(session, namespaces, wait=wait, progress=progress)


def apply_fix(session: "Session", plan: "Plan", fix: "Fix") -> None:
    from drills.cluster.manage import apply_fix as _apply
    with _api_errors(session.context):
        _apply(session, plan, fix)
