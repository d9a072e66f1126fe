"""Helpers for grader tests: committed bundles, their plans, and running one check."""
from __future__ import annotations

import copy
import json
from functools import lru_cache

from drills.evidence import Evidence
from drills.graders.judge import Report, judge
from drills.graders.registry import ERROR, FAIL, PASS, REGISTRY, Verdict, load_all
from drills.render import Plan, replay
from tests.fixtures import bundles as B

load_all()


def bundle(scenario: str, case: str) -> dict:
    """A fresh copy of a committed bundle, found by case name whatever its outcome."""
    (path,) = [p for p in (B.BUNDLES / scenario).glob("*.json") if B.case_of(p) == case]
    return B.load(path)


@lru_cache(maxsize=None)
def _plan(drill_json: str) -> Plan:
    return replay(json.loads(drill_json))


def plan_for(b: dict) -> Plan:
    return _plan(json.dumps(b["drill"], sort_keys=True))


def evidence(b: dict) -> Evidence:
    return Evidence(b, planned=plan_for(b).manifests)


def run(check_id: str, b: dict, **args) -> Verdict:
    return REGISTRY[check_id].fn(evidence(b), **args)


def judged(b: dict) -> Report:
    return judge(plan_for(b), b)


STATUS_OF = {"PASSED": PASS, "FAILED": FAIL, "ERROR": ERROR}


def cases(scenario: str) -> dict[str, tuple[str, dict]]:
    """Committed bundles of a scenario: case name -> (outcome in the file name, bundle)."""
    return {B.case_of(p): (B.outcome_of(p), B.load(p)) for p in (B.BUNDLES / scenario).glob("*.json")}


def assert_outcome_as_named(path) -> None:
    """The bundle judges as its file name says; a FAIL names its first broken link
    with subject, expected, observed and a kubectl hint; an ERROR holds no FAIL."""
    b = B.load(path)
    report = judged(b)
    assert report.status == STATUS_OF[B.outcome_of(path)], [r.message for r in report.results]
    if report.status == FAIL:
        expected = b["fixture"].get("diagnosis")
        assert expected, "a FAILED bundle names the check expected to fail first"
        first = report.diagnosis
        assert first.name == expected, first.message
        assert first.status == FAIL, "the first broken link is the learner's, not the evidence's"
        assert first.subject and first.expected and first.observed
        assert first.observed != first.expected
        assert "kubectl" in first.hint, "a hint names the command that reveals the problem"
    if report.status == ERROR:
        assert FAIL not in {r.status for r in report.results}, "infrastructure trouble is never FAIL"
    if report.status == PASS:
        assert report.score == 100.0


def service(b: dict, name: str = "web") -> dict:
    return B.only(b["objects"]["services"], name)


def deployment(b: dict, name: str = "web") -> dict:
    return B.only(b["objects"]["deployments"], name)


def container(obj: dict) -> dict:
    spec = obj["spec"]["template"]["spec"] if "template" in obj["spec"] else obj["spec"]
    return spec["containers"][0]


def without(b: dict, *kinds: str) -> dict:
    out = copy.deepcopy(b)
    for kind in kinds:
        out["objects"].pop(kind, None)
    return out
