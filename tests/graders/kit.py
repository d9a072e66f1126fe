"""Helpers for the check tests: recorded bundles, their plans, one check run with the
arguments its scenario gives it, and small derivations for states no cluster produces on demand.

Inputs are named by outcome, checkov style: `<scenario>/<case>-PASSED|FAILED|ERROR`.
"""
from __future__ import annotations

import copy
import json
from functools import lru_cache
from typing import Any

from drills.evidence import Evidence
from drills.graders.judge import Report, judge
from drills.graders.registry import ERROR, FAIL, PASS, REGISTRY, Verdict, load_all
from drills.render import Plan, replay
from tests.fixtures import recordings as R

load_all()
STATUS_OF = {"PASSED": PASS, "FAILED": FAIL, "ERROR": ERROR}


def recorded(scenario: str, case: str, seed: int = 1) -> dict[str, Any]:
    """A fresh copy of a recorded bundle (free to change)."""
    return R.bundle(scenario, case, seed)


@lru_cache(maxsize=None)
def _plan(drill_json: str) -> Plan:
    return replay(json.loads(drill_json))


def plan_for(b: dict) -> Plan:
    return _plan(json.dumps(b["drill"], sort_keys=True))


def args_of(b: dict, name: str) -> dict[str, Any]:
    """The `with:` arguments the bundle's scenario gives check instance `name`."""
    (call,) = [c for c in plan_for(b).checks if c.name == name]
    return dict(call.args)


def check_id_of(b: dict, name: str) -> str:
    (call,) = [c for c in plan_for(b).checks if c.name == name]
    return call.id


def run(name: str, b: dict, **overrides) -> Verdict:
    """Run check instance `name` of the bundle's scenario on the bundle."""
    return REGISTRY[check_id_of(b, name)].fn(Evidence(b, planned=plan_for(b).manifests),
                                            **{**args_of(b, name), **overrides})


def judged(b: dict) -> Report:
    return judge(plan_for(b), b)


def split_case(label: str) -> tuple[str, str, str, int]:
    """'selector-mismatch/relabel-pods-FAILED' or '.../seed3-broken-FAILED' ->
    (scenario, case, expected status, seed)."""
    scenario, rest = label.split("/", 1)
    case, outcome = rest.rsplit("-", 1)
    seed = 1
    if case.startswith("seed") and "-" in case:
        head, case = case.split("-", 1)
        seed = int(head[4:])
    return scenario, case, STATUS_OF[outcome], seed


def assert_message(v: Verdict, *fragments: str) -> None:
    """A verdict names its subject, what was expected and what was observed."""
    assert v.subject and v.expected and v.observed, v
    text = f"{v.subject}: expected {v.expected}; observed {v.observed}"
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in {text!r}"
    if v.status == FAIL:
        assert v.observed != v.expected
        assert "kubectl" in v.hint, f"a FAIL names the command that shows it: {v.hint!r}"


# --- reading and changing recorded objects -------------------------------------------------

def objects(b: dict, kind: str, namespace: str | None = None) -> list[dict]:
    return [o for o in b["objects"].get(kind, [])
            if namespace is None or o["metadata"].get("namespace") == namespace]


def named(b: dict, kind: str, name: str) -> dict:
    (found,) = [o for o in b["objects"][kind] if o["metadata"]["name"] == name]
    return found


def pods_of(b: dict, app: str) -> list[dict]:
    """Live (not terminating) pods whose name shows they belong to workload `app`:
    <app>-<template hash>-<suffix> (Deployment) or <app>-<ordinal> (StatefulSet)."""
    def owner(name: str) -> str:
        head, _, last = name.rpartition("-")
        return head if last.isdigit() else name.rsplit("-", 2)[0]
    return sorted((p for p in b["objects"]["pods"] if owner(p["metadata"]["name"]) == app
                   and not p["metadata"].get("deletionTimestamp")), key=lambda p: p["metadata"]["name"])


def slices_of(b: dict, service: str) -> list[dict]:
    return [s for s in b["objects"]["endpointslices"]
            if s["metadata"].get("labels", {}).get("kubernetes.io/service-name") == service]


def without(b: dict, *kinds: str) -> dict:
    out = copy.deepcopy(b)
    for kind in kinds:
        out["objects"].pop(kind, None)
        out["errors"] = out.get("errors", []) + [{"source": kind, "message": "Forbidden"}]
    return out


def terminating(pod: dict) -> dict:
    """A pod the API is deleting (graceful termination: still Ready until its containers stop)."""
    pod["metadata"]["deletionTimestamp"] = "2026-12-01T20:00:00Z"
    pod["metadata"]["deletionGracePeriodSeconds"] = 30
    return pod


def container(obj: dict) -> dict:
    spec = obj["spec"]["template"]["spec"] if "template" in obj["spec"] else obj["spec"]
    return spec["containers"][0]


def expect(name: str, label: str, *fragments: str, **overrides) -> tuple[Verdict, dict]:
    """Run check instance `name` on the recorded input `label` (`<scenario>/<case>-<OUTCOME>`),
    assert the outcome in its label and that the message holds each fragment; fragments may name
    the drill's parameters and namespace as `{app}`, `{namespace}`..."""
    scenario, case, status, seed = split_case(label)
    b = recorded(scenario, case, seed)
    return expect_on(name, b, status, *fragments, **overrides), b


def expect_on(name: str, b: dict, status: str, *fragments: str, **overrides) -> Verdict:
    """The same for a bundle derived in the test (hand-made, from a recording)."""
    v = run(name, b, **overrides)
    assert v.status == status, f"{v.status}: {v.subject}: expected {v.expected}; observed {v.observed}"
    values = {**b["drill"]["params"], "namespace": b["drill"]["namespace"]}
    assert_message(v, *(f.format(**values) for f in fragments))
    return v
