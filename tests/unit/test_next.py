"""drills.coach: properties over synthetic histories, and the explanation text word for word."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from drills import catalog, coach
from drills.coach import BAD, GOOD, Attempt, Practice

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc)
SCENARIOS = catalog.discover()
INFOS = coach.catalog_info(SCENARIOS)
BY_ID = {i.id: i for i in INFOS}
IDS = sorted(BY_ID)
STAGES = sorted({i.stage for i in INFOS})


def drill(scenario, days_ago, seconds=None, *, hints=0, solution=False, variant=None, level=None,
          ended=True, seed=None, attempts=()):
    info = BY_ID[scenario]
    return Practice(scenario=scenario, started_at=NOW - timedelta(days=days_ago),
                    target_seconds=info.target_minutes * 60, solved_seconds=seconds, ended=ended,
                    level=level, seed=seed if seed is not None else int(days_ago * 1000) % 999_999,
                    variant=variant, hints=hints, solution_viewed=solution, attempts=tuple(attempts))


def failing_at(stage, days_ago=0.0):
    return Attempt(NOW - timedelta(days=days_ago), "FAIL", f"some.{stage}-check",
                   ((stage, "FAIL", f"some.{stage}-check"),))


@st.composite
def practices(draw):
    scenario = draw(st.sampled_from(IDS))
    info = BY_ID[scenario]
    variants = info.variants.get(None, ())
    target = info.target_minutes * 60
    solved = draw(st.one_of(st.none(), st.floats(0.2, 3.0).map(lambda r: round(r * target, 1))))
    stages = draw(st.lists(st.sampled_from(STAGES), max_size=3))
    return Practice(
        scenario=scenario, started_at=NOW - timedelta(minutes=draw(st.integers(1, 60 * 24 * 60))),
        target_seconds=target, solved_seconds=solved, ended=draw(st.booleans()) or solved is not None,
        seed=draw(st.integers(0, 999_999)),
        variant=draw(st.sampled_from(variants)) if variants else None,
        hints=draw(st.sampled_from([0, 0, 0, 1, 2])), solution_viewed=draw(st.booleans()),
        attempts=tuple(failing_at(s) for s in stages))


histories = st.lists(practices(), max_size=25)


def order(history, now=NOW):
    return [(s.scenario, s.level) for s in coach.rank(INFOS, history, now)]


# --- properties -----------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(histories)
def test_a_never_solved_scenario_comes_before_a_solved_one(history):
    ranking = order(history)
    solved_well_last = set()
    never_solved = set(IDS)
    for scenario in IDS:
        finished = [p for p in sorted(history, key=coach.chronological)
                    if p.scenario == scenario and p.level is None and p.outcome is not None]
        if finished and finished[-1].outcome == GOOD:
            solved_well_last.add(scenario)
        if any(p.solved_seconds is not None for p in history if p.scenario == scenario):
            never_solved.discard(scenario)
    for unsolved in never_solved:
        for mastered in solved_well_last:
            assert ranking.index((unsolved, None)) < ranking.index((mastered, None))


@settings(max_examples=60, deadline=None)
@given(histories, st.sampled_from(IDS), st.sampled_from(STAGES))
def test_a_failed_check_stage_pulls_its_scenarios_forward(history, where, stage):
    """A drill still running (no outcome yet) of `where` fails a check at `stage`: every
    other scenario whose lesson sits at that stage moves forward or stays."""
    before = [key for key in order(history) if key[0] != where]
    running = drill(where, 0.01, ended=False, seed=123_456, attempts=[failing_at(stage)])
    after = [key for key in order([*history, running]) if key[0] != where]
    pulled = [key for key in before if BY_ID[key[0]].stage == stage]
    for key in pulled:
        assert after.index(key) <= before.index(key)
    others = [key for key in before if BY_ID[key[0]].stage != stage]
    assert [k for k in after if k in others] == others   # the rest keep their order


def test_a_failed_stage_moves_a_new_scenario_ahead_of_earlier_path_stages():
    plain = order([])
    assert plain.index(("wrong-targetport", None)) > plain.index(("selector-mismatch", None))
    pulled = order([drill("selector-mismatch", 1, ended=False,
                          attempts=[failing_at("targetPort"), failing_at("targetPort")])])
    assert pulled.index(("wrong-targetport", None)) < pulled.index(("selector-mismatch", None))
    assert pulled.index(("port-targetport-swap", None)) < pulled.index(("expose-deployment", None))


outcomes = st.lists(st.sampled_from([GOOD, BAD]), min_size=1, max_size=12)


@settings(max_examples=80, deadline=None)
@given(outcomes, st.floats(0.1, 1.0))
def test_intervals_grow_after_each_good_solve_and_reset_after_a_bad_one(sequence, speed):
    target = BY_ID["selector-mismatch"].target_minutes * 60
    history, previous = [], None
    for n, outcome in enumerate(sequence):
        seconds = speed * target if outcome == GOOD else 2.5 * target
        history.append(drill("selector-mismatch", 100 - n, seconds))
        interval = coach.schedule(history).interval_days
        if outcome == BAD:
            assert interval == 0
        elif previous:
            assert interval > previous
        else:
            assert interval == coach.FIRST_INTERVAL_DAYS
        previous = interval
        # the ranking shows the same schedule
        [mine] = [s for s in coach.rank(INFOS, history, NOW) if s.scenario == "selector-mismatch"]
        assert mine.interval_days == interval


@settings(max_examples=30, deadline=None)
@given(histories)
def test_the_choice_depends_on_history_and_date_only(history):
    shuffled = list(history)
    random.Random(1).shuffle(shuffled)
    first = [s.to_dict() for s in coach.rank(INFOS, history, NOW)]
    assert first == [s.to_dict() for s in coach.rank(INFOS, shuffled, NOW)]
    assert first == [s.to_dict() for s in coach.rank(INFOS, history, NOW + timedelta(minutes=1))]
    for s in first:
        assert 0 <= s["seed"] <= 999_999


def test_a_good_solve_comes_back_when_due_and_not_before():
    history = [drill("expose-deployment", 0.5, 100)]     # solved well 12 hours ago: due in a day
    assert coach.rank(INFOS, history, NOW)[-1].scenario == "expose-deployment"
    tomorrow = coach.rank(INFOS, history, NOW + timedelta(days=1))
    [again] = [s for s in tomorrow if s.scenario == "expose-deployment"]
    assert again.tier == coach.DUE
    assert "solved well, due for review (interval 1 day)" in again.reason


# --- troubleshooting path and levels ------------------------------------------------

def test_new_scenarios_follow_the_troubleshooting_path_of_check_stages():
    fresh = order([])
    positions = [BY_ID[s].position for s, _ in fresh]
    assert positions == sorted(positions)
    assert fresh[0] == ("expose-deployment", None)
    assert fresh.index(("selector-mismatch", None)) < fresh.index(("wrong-targetport", None)) \
        < fresh.index(("kube-proxy-node", None))
    assert ("service-multi-fault", "double") not in fresh   # locked at first


def test_multi_fault_levels_open_once_every_single_fault_is_solved_within_target():
    singles = BY_ID["service-multi-fault"].variants[None]
    solved = [drill("service-multi-fault", 10 - n, 300, variant=v) for n, v in enumerate(singles)]
    assert ("service-multi-fault", "double") not in order(solved[:-1])
    slow = [*solved[:-1], drill("service-multi-fault", 6, 900, variant=singles[-1])]
    assert ("service-multi-fault", "double") not in order(slow)
    ranking = coach.rank(INFOS, solved, NOW)
    [double] = [s for s in ranking if s.level == "double"]
    assert double.reason == ("service-multi-fault --level double: level double unlocked: "
                             "every single fault solved within target")
    assert double.command[-2:] == ["--level", "double"]
    assert ("service-multi-fault", "triple") not in order(solved)
    both = [*solved, drill("service-multi-fault", 1, 400, level="double", variant="selector+notready")]
    assert ("service-multi-fault", "triple") in order(both)


def test_the_seed_draws_the_variant_never_seen():
    variant_of = coach.variant_renderer(SCENARIOS)
    history = [drill("wrong-targetport", 3, 460, variant="numeric", seed=5)]
    best = coach.next_drill(INFOS, history, NOW, variant_of)
    assert best.scenario == "wrong-targetport" and best.variant == "named"
    from drills.render import render
    assert render(SCENARIOS["wrong-targetport"], best.seed).params["fault"] == "named"
    assert best.seed != 5


# --- the explanation, word for word ---------------------------------------------------

GOLDEN_HISTORY = [
    drill("wrong-targetport", 3, 7 * 60 + 40, variant="numeric", seed=11,
          attempts=[failing_at("targetPort", 3), failing_at("targetPort", 3)]),
    drill("notready-pods", 2, None, variant="path", seed=12, attempts=[failing_at("endpoints", 2)]),
    drill("selector-mismatch", 1, 200, hints=2, variant="value", seed=13),
    drill("expose-deployment", 9, 100, seed=14),
    drill("expose-deployment", 6, 90, seed=15),
    drill("missing-nodeport", 0.2, 120, seed=16),
]

GOLDEN = """\
notready-pods: last drill not solved, 2 days ago; endpoints stage failed in 1 of 1 checks; port variant never seen
selector-mismatch: last solved in 3:20 against 4:00, yesterday, with 2 hints; endpoints stage failed in 1 of 1 checks; key variant never seen
wrong-targetport: last solved in 7:40 against 5:00, 3 days ago; targetPort stage failed in 2 of 2 checks; named variant never seen
port-targetport-swap: never practised; targetPort stage of the troubleshooting path (Ports: port, targetPort, nodePort); targetPort stage failed in 2 of 2 checks
externalname-alias: never practised; service stage of the troubleshooting path (DNS: headless and ExternalName)"""


def test_golden_explanations():
    ranking = coach.rank(INFOS, GOLDEN_HISTORY, NOW)
    assert "\n".join(s.reason for s in ranking[:5]) == GOLDEN
    tail = {s.scenario: s.reason for s in ranking}
    assert tail["expose-deployment"] == ("expose-deployment: last solved in 1:30 against 3:00, "
                                         "6 days ago; 2 good solves in a row, due for review (interval 2.6 days)")
    assert tail["missing-nodeport"] == ("missing-nodeport: last solved in 2:00 against 4:00, today; "
                                        "solved well, not due before 2026-12-02")


def test_the_issue_example_word_for_word():
    history = [drill("wrong-targetport", 3, 7 * 60 + 40, variant="numeric")]
    best = coach.next_drill(INFOS, history, NOW)
    assert best.reason == ("wrong-targetport: last solved in 7:40 against 5:00, 3 days ago; "
                           "named variant never seen")
