"""drills.lifecycle: the one place that starts, grades and records drills.

The cluster runtime is the fake of test_cli_live (real rendering, judging, store
and CLI); bundles are the recorded ones in tests/fixtures/recorded.
"""
from __future__ import annotations

import dataclasses
import json
import shutil

import pytest

from drills import lifecycle
from drills.errors import ExitCode
from drills.fingerprint import scenario_digest
from drills.store import Store, iso, utcnow
from tests.unit.test_cli_live import BROKEN, FIXED, FakeRuntime, load, run


@pytest.fixture
def fake(monkeypatch):
    return FakeRuntime(monkeypatch)


def recorded_plan():
    """The plan the recorded selector-mismatch bundles belong to."""
    from drills.render import replay
    return replay(load(BROKEN)["drill"])


def test_start_stores_the_scenario_hash_and_the_rendered_plan(capsys, fake):
    from drills import catalog
    code, _, err = run(capsys, "start", "selector-mismatch", "--seed", "5", "--timings")
    assert code == 0
    [drill] = Store().open_drills("kind-drills")
    assert drill.scenario_hash == scenario_digest(catalog.get("selector-mismatch").folder)
    assert lifecycle.plan_from_dict(drill.plan) == lifecycle.prepare("selector-mismatch", 5)
    # the runtime got the fault check as a callback, and the namespace the hash
    assert fake.verify.probes is not None and callable(fake.verify.shown)
    assert fake.annotations == {"drills.dev/scenario-hash": drill.scenario_hash}
    assert "namespace" in err and "apply" in err and "total" in err        # --timings


def test_a_plan_survives_the_store_round_trip():
    plan = lifecycle.prepare("dns-cross-namespace", 3)
    again = lifecycle.plan_from_dict(json.loads(json.dumps(lifecycle.plan_to_dict(plan))))
    assert again == plan and again.namespaces == plan.namespaces


def test_the_fault_check_judges_api_checks_alone_before_probes():
    plan = recorded_plan()
    check = lifecycle.fault_check(plan)
    broken = load(BROKEN)
    assert check.shown(broken, True) == (True, "fault verified")
    assert check.shown(broken, False) == (True, "fault verified")
    assert {p.key for p in check.probes} <= set(broken["probes"])
    fixed = load(FIXED)
    shown, why = check.shown(fixed, False)
    assert not shown and "should fail while broken" in why
    without_probes = {**broken, "probes": {}}
    # with no probe results, only the API checks count; the full check cannot show the fault
    assert check.shown(without_probes, True)[0] is True


def _store_drill(plan, scenario_hash, stored_plan):
    store = Store()
    drill_id = store.add_drill(plan.identity(), "kind-drills", 4, iso(utcnow()),
                               scenario_hash=scenario_hash,
                               plan=lifecycle.plan_to_dict(stored_plan) if stored_plan else None)
    return store, drill_id


def test_check_after_the_scenario_changed_grades_with_the_plan_recorded_at_start(
        capsys, fake, monkeypatch):
    plan = recorded_plan()
    at_start = dataclasses.replace(plan, checks=plan.checks[:3])    # what the scenario was then
    store, drill_id = _store_drill(plan, "sha256:at-start", at_start)
    monkeypatch.setattr(lifecycle, "scenario_hash", lambda scenario_id: "sha256:edited-since")
    fake.bundles = [load(BROKEN)]
    code, out, err = run(capsys, "check", "--json")
    report = json.loads(out)
    assert code == ExitCode.CHECKS_FAILED
    assert [r["name"] for r in report["results"]] == [c.name for c in at_start.checks]
    [note] = err.strip().splitlines()
    assert "selector-mismatch changed since this drill started" in note
    assert "plan recorded at start" in note


def test_check_after_the_scenario_changed_without_a_recorded_plan_refuses(capsys, fake, monkeypatch):
    plan = recorded_plan()
    store, drill_id = _store_drill(plan, "sha256:at-start", None)
    monkeypatch.setattr(lifecycle, "scenario_hash", lambda scenario_id: "sha256:edited-since")
    fake.bundles = [load(BROKEN)]
    code, out, err = run(capsys, "check")
    assert code == ExitCode.USAGE and err.count("\n") == 1
    assert "changed since this drill started" in err and "drills reset" in err
    assert store.attempts(drill_id) == [] and not [c for c in fake.calls if c[0] == "collect"]


def test_an_unchanged_scenario_is_rendered_again_and_graded_without_a_note(capsys, fake):
    plan = recorded_plan()
    store, drill_id = _store_drill(plan, lifecycle.scenario_hash("selector-mismatch"), plan)
    fake.bundles = [load(FIXED)]
    code, out, err = run(capsys, "check", "--json")
    assert code == 0 and err == ""


def test_a_real_edit_of_a_pack_changes_the_hash_a_drill_is_compared_with(tmp_path, monkeypatch):
    from drills import catalog
    pack = tmp_path / "pack"
    shutil.copytree(catalog.get("selector-mismatch").folder, pack / "lab-selector")
    meta = pack / "lab-selector" / "scenario.yaml"
    meta.write_text(meta.read_text().replace("id: selector-mismatch", "id: lab-selector"))
    monkeypatch.setenv("DRILLS_SCENARIO_PATH", str(pack))
    before = lifecycle.scenario_hash("lab-selector")
    meta.write_text(meta.read_text().replace("target_minutes: 4", "target_minutes: 5"))
    assert lifecycle.scenario_hash("lab-selector") != before
    plan = lifecycle.prepare("lab-selector", 2)
    record = Store().drill(Store().add_drill(plan.identity(), "kind-drills", 4, iso(utcnow()),
                                             scenario_hash=before, plan=lifecycle.plan_to_dict(plan)))
    graded = lifecycle.plan_of(record)
    assert graded.changed and graded.plan == plan


def test_grade_live_refuses_a_drill_whose_scenario_changed_since_start(capsys, fake):
    fake.bundles = [load(BROKEN)]
    namespace = fake.bundles[0]["drill"]["namespace"]
    original = fake.list_drills
    fake.list_drills = lambda session: [{**d, "scenario_hash": "sha256:old"} for d in original(session)]
    import drills.cluster as cluster
    cluster.list_drills = fake.list_drills
    code, _, err = run(capsys, "grade", "--context", "learner-1", "--namespace", namespace)
    assert code == ExitCode.USAGE and "changed since drill" in err


def test_exam_start_opens_every_task_with_its_plan(capsys, fake):
    fake.bundles = [load(BROKEN)]
    code, _, _ = run(capsys, "exam", "start", "--count", "2", "--seed", "9")
    assert code == 0
    drills = Store().open_drills("kind-drills")
    assert len(drills) == 2 and all(d.plan and d.scenario_hash for d in drills)
    assert len({d.started_at for d in drills}) == 1          # one clock


def test_start_and_reset_speak_json_for_scripts_and_the_e2e_suite(capsys, fake):
    code, out, _ = run(capsys, "start", "selector-mismatch", "--seed", "5", "--json")
    started = json.loads(out)
    assert code == 0 and started["namespace"] == "drill-selector-mismatch-5"
    assert started["timings"] and started["started_at"] and started["id"]
    code, out, _ = run(capsys, "reset", "--json")
    assert code == 0 and json.loads(out) == {"deleted": ["drill-selector-mismatch-5"],
                                             "ended": [started["id"]]}
    code, _, err = run(capsys, "start", "selector-mismatch", "--json", "--watch")
    assert code == ExitCode.USAGE and "do not go together" in err


def test_drills_debug_logs_each_start_phase(capsys, monkeypatch):
    """The real runtime against the fake API: DRILLS_DEBUG=1 logs every phase's time."""
    import logging
    from tests.unit.cluster.fakes import FakeKube, FixtureWorld, Session, kubelet
    from tests.unit.cluster.test_start import SELECTOR_FAULT
    from drills.cluster import start as S
    from drills.commands.start import debug_log
    monkeypatch.setenv("DRILLS_DEBUG", "1")
    debug_log()
    try:
        api = FakeKube()
        api.controllers += [kubelet, FixtureWorld("selector-mismatch-broken", delay=2)]
        from tests.unit.cluster.fakes import make_plan
        S.start_drill(Session(api), make_plan(), verify=SELECTOR_FAULT)
        err = capsys.readouterr().err
        for phase in S.PHASES:
            assert f"drills: debug: drills.start: start phase {phase} took" in err
    finally:
        logger = logging.getLogger("drills")
        logger.handlers = [h for h in logger.handlers if not getattr(h, "drills_debug", False)]
        logger.setLevel(logging.NOTSET)
