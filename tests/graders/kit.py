"""Helpers for grader tests: committed bundles, their plans, and running one check."""
from __future__ import annotations

import copy
import json
from functools import lru_cache

from drills import catalog
from drills.evidence import Evidence
from drills.graders.judge import Report, judge
from drills.graders.registry import REGISTRY, Verdict, load_all
from drills.render import Plan, render
from tests.fixtures import bundles as B

load_all()


def bundle(scenario: str, case: str) -> dict:
    """A fresh copy of a committed bundle, found by case name whatever its outcome."""
    (path,) = [p for p in (B.BUNDLES / scenario).glob("*.json") if B.case_of(p) == case]
    return B.load(path)


@lru_cache(maxsize=None)
def _plan(drill_json: str) -> Plan:
    d = json.loads(drill_json)
    return render(catalog.get(d["scenario"]), d["seed"], overrides=d["params"],
                  namespace=d["namespace"])


def plan_for(b: dict) -> Plan:
    return _plan(json.dumps(b["drill"], sort_keys=True))


def evidence(b: dict) -> Evidence:
    return Evidence(b, planned=plan_for(b).manifests)


def run(check_id: str, b: dict, **args) -> Verdict:
    return REGISTRY[check_id].fn(evidence(b), **args)


def judged(b: dict) -> Report:
    return judge(plan_for(b), b)


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
