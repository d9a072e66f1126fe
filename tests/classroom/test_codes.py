"""Drill codes: round trip for every scenario, level and seed; every single typo caught."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import drills.cluster as cluster
from drills import catalog, codes
from drills.cli import main
from drills.errors import BadScenarioPack, UsageError
from drills.render import SEED_MAX, render
from drills.store import iso, utcnow

SCENARIOS = catalog.discover()
DRILLS = [(sid, level) for sid, s in sorted(SCENARIOS.items())
          for level in [None, *(s.meta.get("levels") or {})]]
seeds = st.integers(0, SEED_MAX)


@settings(max_examples=300, deadline=None)
@given(drill=st.sampled_from(DRILLS), seed=seeds)
def test_every_drill_code_round_trips(drill, seed):
    scenario_id, level = drill
    code = codes.drill_code(SCENARIOS[scenario_id], seed, level)
    assert len(code) == codes.LENGTH and codes.is_valid(code)
    for typed in (code, codes.display(code), codes.display(code).lower()):
        assert codes.decode(typed, SCENARIOS) == codes.DrillCode(seed=seed, scenario=scenario_id,
                                                                 level=level)


@pytest.mark.parametrize("drill", DRILLS, ids=lambda d: f"{d[0]}-{d[1]}")
def test_the_ends_of_the_seed_range_round_trip(drill):
    for seed in (0, 1, SEED_MAX - 1, SEED_MAX):
        code = codes.drill_code(SCENARIOS[drill[0]], seed, drill[1])
        assert codes.decode(code, SCENARIOS) == codes.DrillCode(seed=seed, scenario=drill[0], level=drill[1])
    with pytest.raises(UsageError):
        codes.drill_code(SCENARIOS[drill[0]], SEED_MAX + 1, drill[1])


@settings(max_examples=200, deadline=None)
@given(count=st.integers(1, codes.MAX_EXAM_TASKS), seed=seeds)
def test_every_exam_code_round_trips(count, seed):
    decoded = codes.decode(codes.display(codes.exam_code(count, seed)), SCENARIOS)
    assert decoded == codes.DrillCode(seed=seed, exam_count=count) and decoded.is_exam


def _typos(code: str):
    for i, was in enumerate(code):
        for c in codes.ALPHABET:
            if c != was:
                yield code[:i] + c + code[i + 1:]
    for i in range(len(code) - 1):
        if code[i] != code[i + 1]:
            yield code[:i] + code[i + 1] + code[i] + code[i + 2:]


@settings(max_examples=200, deadline=None)
@given(drill=st.sampled_from(DRILLS), seed=seeds)
def test_every_single_substitution_and_adjacent_swap_is_refused(drill, seed):
    code = codes.drill_code(SCENARIOS[drill[0]], seed, drill[1])
    typos = list(_typos(code))
    assert len(typos) >= codes.LENGTH * (len(codes.ALPHABET) - 1)
    assert [t for t in typos if codes.is_valid(t)] == []


@settings(max_examples=20, deadline=None)
@given(drill=st.sampled_from(DRILLS), seed=seeds, pick=st.integers(0, 10_000))
def test_a_typo_is_refused_with_the_code_meant_among_the_suggestions(drill, seed, pick):
    code = codes.drill_code(SCENARIOS[drill[0]], seed, drill[1])
    typos = list(_typos(code))
    for typo in typos[pick % 31::31]:
        with pytest.raises(UsageError) as caught:
            codes.decode(typo, SCENARIOS)
        assert "mistyped" in caught.value.message
        # the code meant is among the suggestions: it is one symbol off
        assert codes.display(code) in caught.value.hint, (typo, caught.value.hint)


def test_letters_people_mistake_are_read_as_digits():
    code = codes.display(codes.exam_code(10, 101))     # 000A-0035x: has zeros and a one
    assert codes.decode(code.replace("0", "o").replace("1", "l"), SCENARIOS).exam_count == 10


@pytest.mark.parametrize("typed, why", [("ABC", "has 3 symbols"), ("QE41-0U0C0", "symbols 'U'")])
def test_malformed_codes_are_one_line_usage_errors(typed, why):
    with pytest.raises(UsageError) as caught:
        codes.decode(typed, SCENARIOS)
    assert why in caught.value.message


def test_a_valid_code_of_an_unknown_scenario_says_so():
    body = "ZZZ0" + "0001"
    with pytest.raises(UsageError, match="names no scenario"):
        codes.decode(body + codes.check_symbol(body), SCENARIOS)


def test_short_codes_are_unique_and_stable():
    short = codes.short_codes(SCENARIOS)
    assert sorted(short.values()) == sorted(SCENARIOS)
    # derived from the id alone: these never change, whatever else is installed
    assert {short_code: sid for short_code, sid in short.items()
            if sid in ("selector-mismatch", "wrong-targetport")} == {"6SQ": "selector-mismatch",
                                                                     "V6P": "wrong-targetport"}
    assert codes.display(codes.drill_code(SCENARIOS["selector-mismatch"], 4711)) == "6SQ0-04K76"


def test_two_ids_with_one_short_code_are_refused(monkeypatch):
    monkeypatch.setattr(codes, "scenario_slot", lambda sid: 7)
    with pytest.raises(BadScenarioPack, match="share the drill code prefix"):
        codes.short_codes(SCENARIOS)


def test_pack_scenarios_get_codes_too(tmp_path, monkeypatch):
    pack = tmp_path / "pack"
    import shutil
    shutil.copytree(SCENARIOS["selector-mismatch"].folder, pack / "selector-mismatch-copy")
    meta = pack / "selector-mismatch-copy" / "scenario.yaml"
    meta.write_text(meta.read_text().replace("id: selector-mismatch", "id: selector-mismatch-copy"))
    monkeypatch.setenv("DRILLS_SCENARIO_PATH", str(pack))
    everything = catalog.discover()
    code = codes.drill_code(everything["selector-mismatch-copy"], 5)
    assert codes.decode(code, everything).scenario == "selector-mismatch-copy"
    assert len(codes.short_codes(everything)) == len(everything)


# --- the verbs ---------------------------------------------------------------------------

def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_assign_prints_a_code_and_the_learner_line(capsys):
    rc, out, _ = run(capsys, "assign", "service-multi-fault", "--seed", "12", "--level", "double")
    expected = codes.display(codes.drill_code(SCENARIOS["service-multi-fault"], 12, "double"))
    assert rc == 0 and expected in out and f"drills start --code {expected}" in out
    rc, out, _ = run(capsys, "assign", "--exam", "--count", "3", "--seed", "9", "--json")
    data = json.loads(out)
    assert rc == 0 and data["learner_runs"] == f"drills exam start --code {data['code']}"
    assert codes.decode(data["code"]).exam_count == 3 and len(data["tasks"]) == 3


def test_assign_prints_each_command_unwrapped_on_a_line_of_its_own(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    rc, out, _ = run(capsys, "assign", "wrong-targetport", "--seed", "4711")
    lines = [line.strip() for line in out.splitlines()]
    code = codes.display(codes.drill_code(SCENARIOS["wrong-targetport"], 4711, None))
    assert rc == 0
    assert f"drills start --code {code}" in lines
    assert "drills grade --contexts 'learner-*' --report class.html" in lines


def test_assign_exam_defaults_to_the_exam_shape_and_its_limit(capsys):
    from drills.exam import EXAM_TASKS, MAX_TASKS
    rc, out, _ = run(capsys, "assign", "--exam", "--seed", "3", "--json")
    assert rc == 0 and json.loads(out)["count"] == EXAM_TASKS
    rc, _, err = run(capsys, "assign", "--exam", "--count", str(MAX_TASKS + 1))
    assert rc == 2 and err.count("\n") == 1


@pytest.mark.parametrize("argv", [["assign"], ["assign", "selector-mismatch", "--exam"],
                                  ["assign", "service-multi-fault", "--level", "nope"],
                                  ["assign", "--exam", "--level", "double"]])
def test_assign_refuses_what_it_cannot_code(capsys, argv):
    rc, _, err = run(capsys, *argv)
    assert rc == 2 and err.count("\n") == 1 and err.startswith("drills: error:")


def test_render_by_code_is_byte_identical_to_render_by_seed(capsys):
    code = codes.display(codes.drill_code(SCENARIOS["service-multi-fault"], 12, "double"))
    assert run(capsys, "render", "--code", code)[1] == \
        run(capsys, "render", "service-multi-fault", "--seed", "12", "--level", "double")[1]


class StartRecorder:
    """Stands in for drills.cluster only: what start_drill was asked to deploy."""

    def __init__(self, monkeypatch):
        self.plans = []
        from types import SimpleNamespace
        monkeypatch.setattr(cluster, "cluster_status", lambda: {"exists": True})
        monkeypatch.setattr(cluster, "connect", lambda c, e, timeout=10.0: SimpleNamespace(context=c))
        monkeypatch.setattr(cluster, "start_drill", self.start)
        monkeypatch.setattr(cluster, "reset_drills", lambda *a, **k: [])

    def start(self, session, plan, progress=lambda p: None, **options):
        self.plans.append(plan)
        return {"namespace": plan.namespace, "verified_at": iso(utcnow()), "bundle": {}, "timings": {}}


def test_start_by_code_deploys_exactly_the_rendered_drill(capsys, monkeypatch):
    fake = StartRecorder(monkeypatch)
    code = codes.display(codes.drill_code(SCENARIOS["service-multi-fault"], 12, "double"))
    rc, out, _ = run(capsys, "start", "--code", code)
    expected = render(SCENARIOS["service-multi-fault"], 12, level="double")
    assert rc == 0 and fake.plans == [expected]
    assert fake.plans[0].manifests_yaml() == expected.manifests_yaml()
    assert f"Code: {code}" in out
    rc, out, _ = run(capsys, "status", "--json")
    assert json.loads(out)[0]["code"] == code


def test_exam_start_by_code_deploys_the_assigned_exam(capsys, monkeypatch):
    fake = StartRecorder(monkeypatch)
    rc, out, _ = run(capsys, "assign", "--exam", "--count", "3", "--seed", "9", "--json")
    assigned = json.loads(out)
    rc, out, _ = run(capsys, "exam", "start", "--code", assigned["code"].lower())
    assert rc == 0 and [p.scenario for p in fake.plans] == assigned["tasks"]
    assert assigned["code"] in out


@pytest.mark.parametrize("argv", [["start", "--code", "QE41-000C0"],
                                  ["start", "--code", "0003-0009X"],
                                  ["start", "selector-mismatch", "--code", "6SQ0-04K76"],
                                  ["exam", "start", "--code", "6SQ0-04K76"],
                                  ["exam", "start", "--code", "0003-0009X", "--count", "3"]])
def test_start_refuses_a_bad_code_before_touching_a_cluster(capsys, monkeypatch, argv):
    fake = StartRecorder(monkeypatch)
    rc, _, err = run(capsys, *argv)
    assert rc == 2 and fake.plans == [] and err.count("\n") == 1


def test_a_mistyped_code_suggests_the_one_meant(capsys, monkeypatch):
    StartRecorder(monkeypatch)
    rc, _, err = run(capsys, "start", "--code", "6SQ0-04K77")
    assert rc == 2 and "did you mean" in err and "6SQ0-04K76" in err


def test_check_prints_the_code_a_learner_tells_the_instructor(capsys, monkeypatch):
    from tests.classroom.fake_cluster import recorded
    StartRecorder(monkeypatch)
    bundle = recorded("selector-mismatch/seed1-reference")
    monkeypatch.setattr(cluster, "drill_present", lambda session, ns: True)
    monkeypatch.setattr(cluster, "collect_evidence", lambda session, plan, probes, **kw: bundle)
    assert run(capsys, "start", "selector-mismatch", "--seed", "1")[0] == 0
    code = codes.display(codes.drill_code(SCENARIOS["selector-mismatch"], 1))
    rc, out, _ = run(capsys, "check")
    assert rc == 0 and f"Drill code: {code}" in out
    rc, out, _ = run(capsys, "check", "--json")
    assert json.loads(out)["code"] == code
