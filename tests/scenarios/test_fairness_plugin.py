"""The fairness plugin (tests/recorded_fairness.py) itself, run by pytester over copied scenarios and
recordings in a pack: it must fail when a fix changes without new evidence, when evidence is
invented or missing, and say which command records it."""
from __future__ import annotations

import json
import shutil

import pytest
import yaml

from drills import catalog
from drills.render import render
from tests.fixtures import recordings as R

pytest_plugins = ["pytester"]

PLANS = [render(catalog.get("selector-mismatch"), seed) for seed in (1, 3)]
ITEMS = sum(1 + len(plan.fixes) for plan in PLANS) + 1   # seeds 1 and 3: broken + every fix; one infra-error
OWED = R.read_json(R.RECORDED / "OWED.json")
OWED_ITEMS = sum(f"selector-mismatch/{fix}" in OWED for plan in PLANS for fix in plan.fixes)
CONFTEST = "from tests.recorded_fairness import pytest_addoption, pytest_collect_file  # noqa: F401\n"


def make_pack(pytester, scenario_id: str, new_id: str | None = None, rows=None, owed: bool = True):
    """A pack holding a copy of a built-in scenario (as `new_id`), the chosen recordings and
    (with `owed`) the scenario's entries of OWED.json."""
    pack = pytester.path / "pack"
    folder = pack / (new_id or scenario_id)
    shutil.copytree(catalog.builtin_root() / scenario_id, folder)
    if new_id:
        meta = yaml.safe_load((folder / "scenario.yaml").read_text())
        meta["id"] = new_id
        (folder / "scenario.yaml").write_text(yaml.safe_dump(meta, sort_keys=False))
    recorded = pack / "recorded"
    recorded.mkdir()
    index = {}
    for key, row in (rows if rows is not None else R.repository().rows(scenario_id)).items():
        index[key] = row
        source = R.repository().path(key)
        if source.is_file():
            (recorded / key).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, recorded / f"{key}.json")
    (recorded / R.INDEX_NAME).write_text(json.dumps(index, indent=1))
    if owed:
        entries = {key.replace(scenario_id, new_id or scenario_id, 1): why for key, why in OWED.items()
                   if key.split("/")[0] == scenario_id}
        (recorded / "OWED.json").write_text(json.dumps(entries, indent=1))
    pytester.makeconftest(CONFTEST)
    (pytester.path / "scenarios.fairness").write_text("# collect every scenario's fairness\n")
    return folder, recorded


def run(pytester, monkeypatch, pack, *extra):
    monkeypatch.setenv("DRILLS_SCENARIO_PATH", str(pack))
    return pytester.runpytest_inprocess("--fairness-no-builtins", "-p", "no:cacheprovider", "-q", *extra)


def test_the_copied_scenario_passes_as_it_is(pytester, monkeypatch):
    folder, _ = make_pack(pytester, "selector-mismatch")
    result = run(pytester, monkeypatch, folder.parent)
    result.assert_outcomes(passed=ITEMS - OWED_ITEMS, xfailed=OWED_ITEMS)


def test_a_valid_fix_given_a_wrong_fixs_steps_fails_as_stale(pytester, monkeypatch):
    folder, _ = make_pack(pytester, "selector-mismatch")
    meta = yaml.safe_load((folder / "scenario.yaml").read_text())
    meta["fixes"]["set-selector"]["steps"] = meta["fixes"]["legacy-pods"]["steps"]   # outcome left pass
    (folder / "scenario.yaml").write_text(yaml.safe_dump(meta, sort_keys=False))
    result = run(pytester, monkeypatch, folder.parent)
    result.assert_outcomes(failed=2, passed=ITEMS - OWED_ITEMS - 2, xfailed=OWED_ITEMS)
    for seed in (1, 3):
        result.stdout.fnmatch_lines([
            f"*selector-mismatch::seed{seed}::set-selector: stale, re-record: DRILLS_E2E_SEEDS={seed} "
            f"pytest -m cluster --record pack/recorded -k 'selector-mismatch and seed{seed} and "
            f"set-selector' (fix 'set-selector': its steps hash to sha256:*, its recording to sha256:*"])


def test_a_new_scenario_with_only_an_invented_broken_bundle_does_not_pass(pytester, monkeypatch):
    broken = R.key("selector-mismatch", 1, None, R.BROKEN)
    folder, recorded = make_pack(pytester, "selector-mismatch", "my-drill", rows={}, owed=False)
    invented = R.bundle("selector-mismatch", R.BROKEN)
    invented["drill"].update(scenario="my-drill", namespace="drill-my-drill-1")
    (recorded / "my-drill").mkdir()
    (recorded / "my-drill" / "seed1-broken.json").write_text(json.dumps(invented))
    row = dict(R.repository().index[broken], scenario="my-drill")
    (recorded / R.INDEX_NAME).write_text(json.dumps({"my-drill/seed1-broken": row}))
    result = run(pytester, monkeypatch, folder.parent)
    assert result.ret != 0
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) >= 1 + len(yaml.safe_load((folder / "scenario.yaml").read_text())["fixes"])
    result.stdout.fnmatch_lines(["*my-drill::seed1::reference: no recording of fix 'reference'*"])


def test_a_missing_recording_names_the_command_that_records_it(pytester, monkeypatch):
    rows = dict(R.repository().rows("selector-mismatch"))
    del rows["selector-mismatch/seed1-relabel-pods"]
    folder, _ = make_pack(pytester, "selector-mismatch", rows=rows)
    result = run(pytester, monkeypatch, folder.parent)
    result.assert_outcomes(failed=1, passed=ITEMS - OWED_ITEMS - 1, xfailed=OWED_ITEMS)
    result.stdout.fnmatch_lines([
        "*selector-mismatch::seed1::relabel-pods: no recording of fix 'relabel-pods' "
        "(*pack/recorded/selector-mismatch/seed1-relabel-pods.json): record it with DRILLS_E2E_SEEDS=1 "
        "pytest -m cluster --record pack/recorded -k 'selector-mismatch and seed1 and relabel-pods'"])


def test_a_recording_of_an_undeclared_fix_is_reported(pytester, monkeypatch):
    folder, _ = make_pack(pytester, "selector-mismatch")
    meta = yaml.safe_load((folder / "scenario.yaml").read_text())
    del meta["fixes"]["re-expose"]
    (folder / "scenario.yaml").write_text(yaml.safe_dump(meta, sort_keys=False))
    result = run(pytester, monkeypatch, folder.parent)
    result.stdout.fnmatch_lines(["*a recording of 're-expose', which selector-mismatch no longer declares*"])
    assert result.ret != 0


def test_a_failed_recording_of_a_fix_is_a_strict_xfail(pytester, monkeypatch):
    folder, _ = make_pack(pytester, "dns-cross-namespace")
    result = run(pytester, monkeypatch, folder.parent)
    outcomes = result.parseoutcomes()
    assert outcomes.get("xfailed") == 3 and "failed" not in outcomes


def test_an_owed_fix_is_a_strict_xfail_until_recorded_and_only_that_fix(pytester, monkeypatch):
    """OWED.json may owe single fixes (`<scenario>/<fix>`): their missing recordings xfail, strictly,
    while every other case of the scenario is still judged."""
    assert OWED_ITEMS, "selector-mismatch owes recordings of its new apply/replace fixes"
    folder, _ = make_pack(pytester, "selector-mismatch", owed=False)
    result = run(pytester, monkeypatch, folder.parent)
    result.assert_outcomes(failed=OWED_ITEMS, passed=ITEMS - OWED_ITEMS)      # nothing owed: they fail
    result.stdout.fnmatch_lines(["*selector-mismatch::seed3::apply-keeps-mistyped-key: no recording*"])


def test_a_fix_that_exists_only_for_some_variants_is_judged_only_there(pytester, monkeypatch):
    """`when: fault == 'key'`: seed 3 (a mistyped key) has the fix, seed 1 (a mistyped value) does not."""
    assert [("apply-keeps-mistyped-key" in plan.fixes, plan.params["fault"]) for plan in PLANS] == [
        (False, "value"), (True, "key")]
    folder, _ = make_pack(pytester, "selector-mismatch")
    result = run(pytester, monkeypatch, folder.parent, "--collect-only")
    ids = {line.strip().split("::", 2)[2] for line in result.stdout.lines if line.count("::") == 3}
    assert "seed3::apply-keeps-mistyped-key" in ids and "seed1::apply-file" in ids
    assert "seed1::apply-keeps-mistyped-key" not in ids and "seed3::apply-file" not in ids
