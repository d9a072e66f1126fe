"""Timed mock exams: a seeded, weighted draw of scenarios under one clock.

Pure: composing an exam and scoring it need no cluster. Like the real exam,
each task carries a weight and the total is the weighted share of points.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass

from drills.catalog import Scenario
from drills.errors import UsageError
from drills.render import SEED_MAX

PASS_MARK = 66.0          # the CKA pass mark, in percent
TIME_FACTOR = 1.25        # exam minutes per summed target minute: some slack, not much


@dataclass(frozen=True)
class ExamTask:
    number: int
    scenario: str
    seed: int
    weight: int


def compose(scenarios: dict[str, Scenario], seed: int, count: int) -> list[ExamTask]:
    """Draw `count` distinct scenarios, likelier by exam weight, each with its own seed.

    Cluster-wide scenarios are left out: they cannot run beside others.
    """
    pool = sorted((s for s in scenarios.values() if not s.meta.get("cluster_wide")), key=lambda s: s.id)
    if count < 1 or count > len(pool):
        raise UsageError(f"an exam can hold 1 to {len(pool)} tasks, not {count}",
                         f"pass --count between 1 and {len(pool)}")
    rng = random.Random(seed)
    tasks: list[ExamTask] = []
    while len(tasks) < count:
        weights = [s.meta["exam_weight"] for s in pool]
        chosen = rng.choices(pool, weights=weights)[0]
        pool.remove(chosen)
        tasks.append(ExamTask(len(tasks) + 1, chosen.id, rng.randint(0, SEED_MAX),
                              chosen.meta["exam_weight"]))
    return tasks


def default_minutes(tasks: list[ExamTask], scenarios: dict[str, Scenario]) -> float:
    return float(math.ceil(sum(scenarios[t.scenario].meta["target_minutes"] for t in tasks) * TIME_FACTOR))


def weighted_score(parts: list[tuple[float, float]]) -> float:
    """parts: (weight, score in percent) per task -> total in percent."""
    total = sum(w for w, _ in parts)
    return round(sum(w * s for w, s in parts) / total, 1) if total else 0.0
