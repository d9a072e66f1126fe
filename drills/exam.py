"""Timed mock exams: a seeded, weighted draw of tasks under one clock.

Pure: composing an exam and scoring it need no cluster. Like the real exam,
each task carries a weight (the weights add up to 100 %) and the total is the
weighted share of points. The CKA has 15 to 20 tasks in 120 minutes; a full
mock exam has 17, and more than there are scenarios is possible because a
scenario may come back with another fault variant or level.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from drills.catalog import Scenario
from drills.errors import UsageError
from drills.render import SEED_MAX, draw_params

PASS_MARK = 66.0          # the CKA pass mark, in percent
MAX_TASKS = 20            # the most the real exam has
EXAM_TASKS, EXAM_MINUTES = 17, 120    # the shape of the real exam
QUICK_TASKS, QUICK_MINUTES = 5, 30    # `drills exam start --quick`
# Parameters that choose a scenario's fault: two tasks of one scenario must differ in one of them or in level.
VARIANT_PARAMS = ("fault", "faults")
SEED_TRIES = 64           # seeds tried per level before that level counts as having no new variant


@dataclass(frozen=True)
class ExamTask:
    number: int
    scenario: str
    seed: int
    weight: int                     # percent of the exam; the tasks' weights add up to 100
    level: str | None = None
    variant: tuple[str, ...] = ()   # (level, fault choice...): never twice the same in one exam


def variant_of(params: dict[str, Any], level: str | None) -> tuple[str, ...]:
    """What makes two drills of one scenario different tasks: the level and the fault drawn."""
    return (level or "", *(str(params[name]) for name in VARIANT_PARAMS if name in params))


def exam_pool(scenarios: dict[str, Scenario]) -> list[Scenario]:
    """Scenarios an exam draws from. Cluster-wide ones are left out: they cannot share a cluster."""
    return sorted((s for s in scenarios.values() if not s.meta.get("cluster_wide")), key=lambda s: s.id)


def compose(scenarios: dict[str, Scenario], seed: int, count: int) -> list[ExamTask]:
    """Draw `count` distinct tasks, in rounds: each round takes every scenario that still has an
    unused variant once, in an order likelier by exam weight, so a scenario comes back only after
    all others had their turn, and then with another fault or level."""
    pool = exam_pool(scenarios)
    if not 1 <= count <= MAX_TASKS:
        raise UsageError(f"an exam holds 1 to {MAX_TASKS} tasks, not {count}",
                         f"pass --count between 1 and {MAX_TASKS}")
    rng = random.Random(seed)
    used: dict[str, set[tuple[str, ...]]] = {s.id: set() for s in pool}
    exhausted: set[tuple[str, str | None]] = set()
    drawn: list[tuple[Scenario, int, str | None, tuple[str, ...]]] = []
    while len(drawn) < count:
        round_pool = [s for s in pool if any((s.id, lv) not in exhausted for lv in _levels(s))]
        if not round_pool:
            raise UsageError(f"the scenarios available make only {len(drawn)} distinct exam tasks, "
                             f"not {count}", f"pass --count {len(drawn)} or fewer")
        while round_pool and len(drawn) < count:
            chosen = rng.choices(round_pool, weights=[s.meta["exam_weight"] for s in round_pool])[0]
            round_pool.remove(chosen)
            found = _new_variant(chosen, rng, used[chosen.id], exhausted)
            if found:
                used[chosen.id].add(found[2])
                drawn.append((chosen, *found))
    weights = task_weights([s.meta["exam_weight"] for s, *_ in drawn])
    return [ExamTask(number, s.id, task_seed, weight, level, variant)
            for number, ((s, task_seed, level, variant), weight) in enumerate(zip(drawn, weights), start=1)]


def _levels(scenario: Scenario) -> list[str | None]:
    return [None, *(scenario.meta.get("levels") or {})]


def _new_variant(scenario: Scenario, rng: random.Random, used: set[tuple[str, ...]],
                 exhausted: set[tuple[str, str | None]]):
    """(seed, level, variant) of a variant not in `used`, or None when every level is exhausted."""
    levels = [lv for lv in _levels(scenario) if (scenario.id, lv) not in exhausted]
    rng.shuffle(levels)
    for level in levels:
        for _ in range(SEED_TRIES):
            task_seed = rng.randint(0, SEED_MAX)
            variant = variant_of(draw_params(scenario, task_seed, level), level)
            if variant not in used:
                return task_seed, level, variant
        exhausted.add((scenario.id, level))
    return None


def task_weights(raw: list[float]) -> list[int]:
    """Scenario exam weights -> whole percentages adding up to 100 (largest remainder), each at least 1."""
    if not raw:
        return []
    total = sum(raw)
    shares = [Fraction(w).limit_denominator() * 100 / Fraction(total).limit_denominator() for w in raw]
    weights = [max(1, math.floor(s)) for s in shares]
    # what each task still lacks of its share; a share raised to 1 lacks nothing and comes last
    by_remainder = sorted(range(len(raw)), key=lambda i: (-(shares[i] - weights[i]), i))
    for i in by_remainder[:max(0, 100 - sum(weights))]:
        weights[i] += 1
    while sum(weights) > 100:   # only when many tiny shares were raised to 1
        i = max(range(len(weights)), key=lambda j: (weights[j], -j))
        weights[i] -= 1
    return weights


def default_minutes(count: int, quick: bool = False) -> float:
    """The exam's pace (120 minutes for 17 tasks), or the quick preset's (30 for 5), for `count` tasks."""
    pace = Fraction(QUICK_MINUTES, QUICK_TASKS) if quick else Fraction(EXAM_MINUTES, EXAM_TASKS)
    return float(math.ceil(count * pace))


def weighted_score(parts: list[tuple[float, float]]) -> float:
    """parts: (weight, score in percent) per task -> total in percent."""
    total = sum(w for w, _ in parts)
    return round(sum(w * s for w, s in parts) / total, 1) if total else 0.0
