import pytest

from drills import catalog
from drills.errors import UsageError
from drills.exam import compose, default_minutes, weighted_score


@pytest.fixture(scope="module")
def scenarios():
    return catalog.discover()


def test_exam_is_reproducible_distinct_and_skips_cluster_wide(scenarios):
    count = min(3, len(scenarios))
    first = compose(scenarios, 42, count)
    assert first == compose(scenarios, 42, count)
    assert len({t.scenario for t in first}) == count
    assert not any(scenarios[t.scenario].meta.get("cluster_wide") for t in first)
    assert [t.number for t in first] == list(range(1, count + 1))
    assert default_minutes(first, scenarios) >= sum(scenarios[t.scenario].meta["target_minutes"] for t in first)


def test_heavier_scenarios_are_drawn_more_often(scenarios):
    weights = {s.id: s.meta["exam_weight"] for s in scenarios.values() if not s.meta.get("cluster_wide")}
    if len(set(weights.values())) < 2:
        pytest.skip("every scenario has the same exam weight; nothing to compare")
    heavy = max(weights, key=weights.get)
    light = min(weights, key=weights.get)
    firsts = [compose(scenarios, seed, 1)[0].scenario for seed in range(600)]
    assert firsts.count(heavy) > firsts.count(light)


def test_count_out_of_range(scenarios):
    with pytest.raises(UsageError, match="an exam can hold"):
        compose(scenarios, 1, len(scenarios) + 1)
    with pytest.raises(UsageError):
        compose(scenarios, 1, 0)


def test_weighted_score():
    assert weighted_score([(4, 100.0), (4, 0.0)]) == 50.0
    assert weighted_score([(7, 100.0), (3, 50.0)]) == 85.0
    assert weighted_score([]) == 0.0
