"""Which seeds the end-to-end suite runs, computed from the catalog (no cluster).

Per scenario, the fewest seeds (first fit, from seed 1 up) whose rendered plans
together draw every branch of every `choice:` parameter and run every level at
least once. Pure: the same catalog always gives the same seeds.
"""
from __future__ import annotations

import json
from typing import Any

MAX_SEED = 2000     # a choice no seed up to here draws is a scenario bug, reported as such


def choice_branches(meta: dict[str, Any]) -> set[tuple[str, str]]:
    return {(name, json.dumps(value, sort_keys=True))
            for name, spec in (meta.get("parameters") or {}).items() if "choice" in spec
            for value in spec["choice"]}


def levels_of(meta: dict[str, Any]) -> list[str | None]:
    return [None, *(meta.get("levels") or {})]


def features(meta: dict[str, Any], params: dict[str, Any], level: str | None) -> set[tuple[str, str]]:
    drawn = {(name, json.dumps(params.get(name), sort_keys=True))
             for name, spec in (meta.get("parameters") or {}).items() if "choice" in spec}
    return drawn | {("level", json.dumps(level))}


def choose_seeds(scenario, render=None, max_seed: int = MAX_SEED) -> list[tuple[int, str | None]]:
    """(seed, level) pairs covering every choice branch and every level of `scenario`
    (a drills.catalog.Scenario). Raises ValueError naming what no seed draws."""
    if render is None:
        from drills.render import render
    meta = scenario.meta
    wanted = choice_branches(meta) | {("level", json.dumps(level)) for level in levels_of(meta)}
    covered: set[tuple[str, str]] = set()
    chosen: list[tuple[int, str | None]] = []
    for seed in range(1, max_seed + 1):
        for level in levels_of(meta):
            plan = render(scenario, seed, level=level)
            new = features(meta, plan.params, level) - covered
            if new & wanted:
                chosen.append((seed, level))
                covered |= new
            if wanted <= covered:
                return chosen
    missing = sorted(f"{k}={v}" for k, v in wanted - covered)
    raise ValueError(f"scenario {scenario.id}: no seed up to {max_seed} draws {', '.join(missing)}")
