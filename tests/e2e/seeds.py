"""Which seeds the end-to-end suite runs, computed from the catalog (no cluster).

Per scenario, the fewest seeds (first fit, from seed 1 up) whose rendered plans
together run every level, every declared fix (a fix with `when:` exists only for
some variants) and every branch of every `choice:` parameter at least once where
the branch has an effect: a branch drawn at a level that ignores it (say the
`two_faults` choice of a single-fault drill) does not count. Pure: the same
catalog always gives the same seeds.
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


def fixes_of(meta: dict[str, Any]) -> set[tuple[str, str]]:
    return {("fix", name) for name in meta.get("fixes") or {}}


def features(meta: dict[str, Any], plan: Any, level: str | None) -> set[tuple[str, str]]:
    params = plan.params
    drawn = {(name, json.dumps(params.get(name), sort_keys=True))
             for name, spec in (meta.get("parameters") or {}).items() if "choice" in spec}
    return drawn | {("level", json.dumps(level))} | {("fix", name) for name in plan.fixes}


def content(plan: Any) -> str:
    """What a parameter can change in a drill: everything rendered, not the parameters themselves."""
    fixes = {name: [fix.outcome, fix.diagnosis, fix.steps] for name, fix in plan.fixes.items()}
    checks = [[c.id, c.name, c.args, c.weight] for c in plan.checks]
    return json.dumps([plan.manifests, fixes, checks, plan.task, plan.hints, plan.solution,
                       plan.cluster_setup, plan.broken_pass, plan.broken_fail], sort_keys=True, default=str)


def has_effect(scenario, render, plan, seed: int, level: str | None, name: str) -> bool:
    """Whether parameter `name` changes the drill at this seed and level: some other branch
    of its choice renders differently."""
    spec = scenario.meta["parameters"][name]
    mine = content(plan)
    for value in spec["choice"]:
        if value != plan.params.get(name) and \
                content(render(scenario, seed, level=level, overrides={name: value})) != mine:
            return True
    return False


def choose_seeds(scenario, render=None, max_seed: int = MAX_SEED) -> list[tuple[int, str | None]]:
    """(seed, level) pairs covering every level, fix and effective choice branch of `scenario`
    (a drills.catalog.Scenario). Raises ValueError naming what no seed draws."""
    if render is None:
        from drills.render import render
    meta = scenario.meta
    wanted = choice_branches(meta) | fixes_of(meta) | {("level", json.dumps(level)) for level in levels_of(meta)}
    covered: set[tuple[str, str]] = set()
    chosen: list[tuple[int, str | None]] = []
    for seed in range(1, max_seed + 1):
        for level in levels_of(meta):
            plan = render(scenario, seed, level=level)
            new = (features(meta, plan, level) - covered) & wanted
            new = {f for f in new if f[0] in ("level", "fix")
                   or has_effect(scenario, render, plan, seed, level, f[0])}
            if new:
                chosen.append((seed, level))
                covered |= new
            if wanted <= covered:
                return chosen
    missing = sorted(f"{k}={v}" for k, v in wanted - covered)
    raise ValueError(f"scenario {scenario.id}: no seed up to {max_seed} draws {', '.join(missing)} "
                     "where it changes the drill")
