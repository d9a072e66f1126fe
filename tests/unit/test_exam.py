"""Composing a mock exam: pure, seeded, shaped like the CKA (up to 20 weighted tasks)."""
from collections import Counter

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from drills import catalog
from drills.errors import UsageError
from drills.exam import (EXAM_MINUTES, EXAM_TASKS, MAX_TASKS, QUICK_MINUTES, QUICK_TASKS, compose,
                         default_minutes, exam_pool, task_weights, variant_of, weighted_score)
from drills.render import SEED_MAX, draw_params, render

SCENARIOS = catalog.discover()


def test_exam_is_reproducible_numbered_and_skips_cluster_wide():
    first = compose(SCENARIOS, 42, EXAM_TASKS)
    assert first == compose(SCENARIOS, 42, EXAM_TASKS)
    assert first != compose(SCENARIOS, 43, EXAM_TASKS)
    assert [t.number for t in first] == list(range(1, EXAM_TASKS + 1))
    assert not any(SCENARIOS[t.scenario].meta.get("cluster_wide") for t in first)


def test_cluster_wide_scenarios_never_join_an_exam():
    """kube-proxy-node changes every node: the exam's rule is to leave such scenarios out entirely."""
    wide = {s.id for s in SCENARIOS.values() if s.meta.get("cluster_wide")}
    assert "kube-proxy-node" in wide
    assert not wide & {s.id for s in exam_pool(SCENARIOS)}
    drawn = {t.scenario for seed in range(8) for t in compose(SCENARIOS, seed, MAX_TASKS)}
    assert not drawn & wide


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, SEED_MAX), count=st.integers(1, MAX_TASKS))
def test_any_exam_has_distinct_tasks_valid_weights_and_the_count_asked(seed, count):
    tasks = compose(SCENARIOS, seed, count)
    assert len(tasks) == count
    # never the same task twice: a scenario comes back only with another level or fault variant
    keys = [(t.scenario, t.variant) for t in tasks]
    assert len(set(keys)) == count
    # the variant is what the task's seed and level really render
    for t in tasks:
        assert t.variant == variant_of(draw_params(SCENARIOS[t.scenario], t.seed, t.level), t.level)
        assert t.variant[0] == (t.level or "")
    # weights are whole percentages of the exam, like the real one's
    assert sum(t.weight for t in tasks) == 100 and all(t.weight >= 1 for t in tasks)
    # a scenario repeats only once every scenario of the pool had its turn
    counts = Counter(t.scenario for t in tasks)
    if count <= len(exam_pool(SCENARIOS)):
        assert max(counts.values()) == 1


def test_a_full_exam_covers_every_scenario_and_repeats_only_with_another_fault():
    tasks = compose(SCENARIOS, 7, EXAM_TASKS)
    pool = {s.id for s in exam_pool(SCENARIOS)}
    assert {t.scenario for t in tasks} == pool
    for scenario, n in Counter(t.scenario for t in tasks).items():
        if n > 1:
            variants = [t.variant for t in tasks if t.scenario == scenario]
            assert len(set(variants)) == n, (scenario, variants)


def test_levels_are_drawn():
    levels = Counter(t.level for seed in range(12) for t in compose(SCENARIOS, seed, MAX_TASKS)
                     if t.scenario == "service-multi-fault")
    assert set(levels) == {None, "double", "triple"}, levels
    # and the plans a task names really are that level
    task = next(t for t in compose(SCENARIOS, 3, MAX_TASKS) if t.level)
    plan = render(SCENARIOS[task.scenario], task.seed, level=task.level)
    assert plan.level == task.level and plan.params["faults"].count("+") >= 1


def test_heavier_scenarios_come_first_more_often():
    weights = {s.id: s.meta["exam_weight"] for s in exam_pool(SCENARIOS)}
    heavy, light = max(weights, key=weights.get), min(weights, key=weights.get)
    assert weights[heavy] > weights[light]
    firsts = Counter(compose(SCENARIOS, seed, 1)[0].scenario for seed in range(600))
    assert firsts[heavy] > firsts[light]


def test_count_out_of_range():
    with pytest.raises(UsageError, match="1 to 20 tasks, not 21"):
        compose(SCENARIOS, 1, MAX_TASKS + 1)
    with pytest.raises(UsageError):
        compose(SCENARIOS, 1, 0)


def test_a_pool_too_small_for_the_count_says_how_many_it_can_make():
    only = {k: SCENARIOS[k] for k in ("selector-mismatch", "expose-deployment")}
    assert len(compose(only, 1, 3)) == 3    # selector-mismatch: a 'value' and a 'key' fault
    with pytest.raises(UsageError, match="only 3 distinct exam tasks, not 4"):
        compose(only, 1, 4)


def test_exam_shape_defaults():
    assert (EXAM_TASKS, EXAM_MINUTES, MAX_TASKS) == (17, 120, 20)
    assert default_minutes(EXAM_TASKS) == 120
    assert default_minutes(QUICK_TASKS, quick=True) == QUICK_MINUTES == 30
    assert default_minutes(20) == 142 and default_minutes(1) == 8


@given(st.lists(st.integers(1, 13), min_size=1, max_size=MAX_TASKS))
@example([1, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1, 2, 8, 13, 13, 13, 13, 13, 13])   # shares raised to 1% go last
def test_task_weights_are_percentages_in_proportion(raw):
    weights = task_weights(raw)
    assert sum(weights) == 100 and min(weights) >= 1
    for (a, wa), (b, wb) in zip(zip(raw, weights), zip(raw[1:], weights[1:])):
        if a > b:
            assert wa >= wb


def test_weighted_score():
    assert weighted_score([(4, 100.0), (4, 0.0)]) == 50.0
    assert weighted_score([(7, 100.0), (3, 50.0)]) == 85.0
    assert weighted_score([]) == 0.0
