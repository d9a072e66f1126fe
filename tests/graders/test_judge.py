"""graders/judge.py on recorded bundles: order, diagnosis, score, ERROR for odd evidence."""
import dataclasses

import pytest

from drills.errors import BadScenarioPack
from drills.graders.judge import broken_state_shown, judge, required_probes, run_check, validate_plan
from drills.graders import judge as judge_module
from drills.graders.registry import ERROR, FAIL, PASS, REGISTRY, Check, check, passed
from drills.evidence import Evidence
from tests.graders.kit import plan_for, recorded


def test_a_fixed_drill_scores_full_marks_and_a_broken_one_names_its_first_broken_link():
    fixed = recorded("selector-mismatch", "reference")
    report = judge(plan_for(fixed), fixed)
    assert report.status == PASS and report.score == 100.0 and report.diagnosis is None
    assert report.to_dict()["diagnosis"] is None   # null in the JSON report, not ""
    broken = recorded("selector-mismatch", "broken")
    report = judge(plan_for(broken), broken)
    assert report.status == FAIL and report.diagnosis.name == "service.selector-matches-pods"
    passed_weight = sum(r.weight for r in report.results if r.status == PASS)
    assert report.score == round(100 * passed_weight / sum(r.weight for r in report.results), 1) < 100
    row = report.to_dict()
    assert row["status"] == FAIL and row["diagnosis"] == "service.selector-matches-pods"
    assert row["score"] == report.score
    assert all(r["message"] for r in row["results"])
    assert [r.name for r in report.results] == [c.name for c in plan_for(broken).checks]


def test_error_without_fail_is_error_and_any_fail_wins():
    b = recorded("selector-mismatch", "infra-error")
    report = judge(plan_for(b), b)
    assert report.status == ERROR and report.score < 100
    assert report.diagnosis.status == ERROR
    assert report.diagnosis.message.startswith(report.diagnosis.subject + ": expected ")


def test_a_message_of_a_pass_is_what_was_observed():
    b = recorded("selector-mismatch", "reference")
    first = judge(plan_for(b), b).results[0]
    assert first.message == f"{first.subject}: {first.observed}"


def test_only_runs_the_named_checks():
    b = recorded("selector-mismatch", "reference")
    report = judge(plan_for(b), b, only=["service.exists"])
    assert [r.name for r in report.results] == ["service.exists"]


def test_evidence_of_an_odd_shape_is_error_not_fail():
    b = recorded("selector-mismatch", "reference")
    b["objects"]["services"] = [{"metadata": "not a mapping"}]
    plan = plan_for(b)
    call = next(c for c in plan.checks if c.id == "service.exists")
    result = run_check(call, Evidence(b, planned=plan.manifests))
    assert result.status == ERROR and "the check could not read it (AttributeError" in result.observed
    assert result.subject == "service.exists" and result.expected == "evidence of the usual shape"


def test_unknown_checks_and_wrong_arguments_are_the_packs_fault():
    plan = plan_for(recorded("selector-mismatch", "reference"))
    bad = dataclasses.replace(plan, checks=[dataclasses.replace(plan.checks[0], id="no.such-check")])
    with pytest.raises(BadScenarioPack, match="unknown check 'no.such-check'"):
        validate_plan(bad)
    bad = dataclasses.replace(plan, checks=[dataclasses.replace(plan.checks[0], args={"colour": "red"})])
    with pytest.raises(BadScenarioPack, match="check service.exists"):
        validate_plan(bad)
    validate_plan(plan)


def test_required_probes_are_each_needed_once_in_check_order():
    plan = plan_for(recorded("selector-mismatch", "reference"))
    keys = [s.key for s in required_probes(plan)]
    assert keys == ["http:billing:3000/", "http-cluster-ip:billing:3000/"]
    twice = dataclasses.replace(plan, checks=plan.checks + plan.checks)
    assert [s.key for s in required_probes(twice)] == keys


def test_broken_state_shown_says_which_check_disagrees():
    broken = recorded("selector-mismatch", "broken")
    assert broken_state_shown(plan_for(broken), broken) == (True, "fault verified")
    fixed = recorded("selector-mismatch", "reference")
    shown, why = broken_state_shown(plan_for(fixed), fixed)
    assert not shown and why.startswith("service.selector-matches-pods should fail while broken, but is PASS")
    gone = recorded("selector-mismatch", "broken")
    gone["objects"]["services"] = []
    shown, why = broken_state_shown(plan_for(gone), gone)
    assert not shown and why.startswith("service.exists should pass before the fault shows")


def test_a_check_id_registers_once():
    @check("test.only-once", "t", stage=1)
    def first(ev):
        return passed("s", "e")
    try:
        with pytest.raises(ValueError, match="registered twice"):
            @check("test.only-once", "t", stage=1)
            def second(ev):
                return passed("s", "e")
        assert REGISTRY["test.only-once"].fn is first
    finally:
        REGISTRY.pop("test.only-once")


def test_the_check_modules_are_imported_on_first_use_only(monkeypatch):
    """judge works in a process that never called load_all (the loader is a test double here:
    the real one cannot register modules that are imported already)."""
    loaded = dict(REGISTRY)
    calls = []
    monkeypatch.setattr(judge_module, "REGISTRY", {})
    monkeypatch.setattr(judge_module, "load_all", lambda: calls.append(1) or judge_module.REGISTRY.update(loaded))
    call = plan_for(recorded("selector-mismatch", "reference")).checks[0]
    assert judge_module._check_for(call) is loaded[call.id] and calls == [1]
    assert judge_module._check_for(call) is loaded[call.id] and calls == [1]


def test_binding_checks_the_probes_arguments_too():
    def fn(ev, service, port=80):
        return passed("s", "e")
    Check("t", "t", 1, fn).bind({"service": "web"})
    with pytest.raises(TypeError):
        Check("t", "t", 1, fn, probes=lambda service: []).bind({"service": "web", "port": 8080})


def test_a_pass_without_an_observation_observed_what_was_expected():
    assert passed("s", "e").observed == "e"
    assert passed("s", "e", "").observed == ""
