"""The check registry: small functions that judge one concern of an evidence bundle.

A check is a function `fn(ev: Evidence, **args) -> Verdict`, registered with a
stable id and a readable title:

    @check("service.exists", "Service exists with the demanded type and ports",
           stage=STAGE_SERVICE)
    def service_exists(ev, service, type="ClusterIP", port=None): ...

A scenario names checks and their `with:` arguments in its scenario.yaml. A
check that needs in-cluster probes also registers `probes=` (args -> list of
ProbeSpec); the collector runs them and the check reads `ev.probe(spec.key)`.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable

PASS, FAIL, ERROR = "PASS", "FAIL", "ERROR"

# Stages of the troubleshooting path, for display and for ordering sanity.
STAGE_SERVICE = 1      # does the Service exist with the right type and ports?
STAGE_ENDPOINTS = 2    # are Pod IPs filled in (selector, readiness)?
STAGE_TARGETPORT = 3   # does targetPort reach a port the pods listen on?
STAGE_REACH = 4        # does traffic really flow (kube-proxy, NodePort, DNS)?
STAGE_CONSTRAINT = 5   # did the fix keep what the task said to keep?
STAGE_NAMES = {STAGE_SERVICE: "service", STAGE_ENDPOINTS: "endpoints",
               STAGE_TARGETPORT: "targetPort", STAGE_REACH: "traffic",
               STAGE_CONSTRAINT: "constraints"}


@dataclass(frozen=True)
class Verdict:
    """What a check function returns; the judge adds id, title and weight."""
    status: str
    subject: str
    expected: str
    observed: str
    hint: str = ""


def passed(subject: str, expected: str, observed: str | None = None) -> Verdict:
    return Verdict(PASS, subject, expected, observed if observed is not None else expected)


def failed(subject: str, expected: str, observed: str, hint: str) -> Verdict:
    return Verdict(FAIL, subject, expected, observed, hint)


def undecided(subject: str, expected: str, observed: str, hint: str = "") -> Verdict:
    """The evidence cannot decide (missing object kind, probe could not run)."""
    return Verdict(ERROR, subject, expected, observed, hint)


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    stage: int
    fn: Callable[..., Verdict]
    probes: Callable[..., list] | None = None

    def bind(self, args: dict[str, Any]) -> None:
        """Raise TypeError when a scenario passes arguments the check does not take."""
        inspect.signature(self.fn).bind(None, **args)
        if self.probes is not None:
            inspect.signature(self.probes).bind(**args)


REGISTRY: dict[str, Check] = {}


def check(check_id: str, title: str, *, stage: int, probes: Callable[..., list] | None = None):
    def register(fn: Callable[..., Verdict]) -> Callable[..., Verdict]:
        if check_id in REGISTRY and REGISTRY[check_id].fn is not fn:
            raise ValueError(f"check id {check_id!r} registered twice")
        REGISTRY[check_id] = Check(check_id, title, stage, fn, probes)
        return fn
    return register


def load_all() -> dict[str, Check]:
    """Import every module of graders.checks so each registers itself."""
    import importlib
    import pkgutil

    from drills.graders import checks as package
    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{info.name}")
    return REGISTRY
