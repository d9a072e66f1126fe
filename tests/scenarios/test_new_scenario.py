"""`drills new`: a scaffold that renders at once, refuses what it must, and whose missing
recordings the fairness plugin names one by one with the command that records them."""
from __future__ import annotations

import pytest

from drills import catalog
from drills.cli import main
from drills.errors import ExitCode
from drills.graders.judge import required_probes, validate_plan
from drills.render import render
from tests.fixtures import recordings as R

pytest_plugins = ["pytester"]


def new(capsys, *argv):
    code = main(["new", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_scaffold_renders_at_once_and_meets_the_bar(tmp_path, capsys, monkeypatch):
    code, out, _ = new(capsys, "route-check", "--into", str(tmp_path))
    assert code == 0 and "drills render route-check --seed 1" in out
    folder = tmp_path / "route-check"
    assert (folder / "scenario.yaml").is_file() and list((folder / "templates").glob("*.yaml.j2"))
    assert 'import backend' in next((folder / "templates").glob("*.yaml.j2")).read_text()
    monkeypatch.setenv("DRILLS_SCENARIO_PATH", str(tmp_path))
    assert main(["render", "route-check", "--seed", "1"]) == 0
    assert "kind: Service" in capsys.readouterr().out
    scenario = catalog.get("route-check")
    meta = scenario.meta
    assert {"parameters", "task", "hints", "solution", "checks", "broken", "fixes"} <= set(meta)
    for seed in range(30):
        plan = render(scenario, seed)
        validate_plan(plan)
        required_probes(plan)
    fixes = plan.fixes
    assert "reference" in fixes
    assert sum(f.outcome == "pass" for f in fixes.values()) == 3
    wrong = [f for f in fixes.values() if f.outcome == "fail"]
    assert len(wrong) == 3 and all(f.diagnosis in {c.name for c in plan.checks} for f in wrong)


@pytest.mark.parametrize("bad", ["Route", "a", "9route", "route-", "route--check", "x" * 41, "route_check"])
def test_a_bad_id_is_a_usage_error(tmp_path, capsys, bad):
    code, _, err = new(capsys, bad, "--into", str(tmp_path))
    assert code == ExitCode.USAGE and "is not a scenario id" in err and len(err.strip().splitlines()) == 1
    assert not any(tmp_path.iterdir())


def test_an_existing_folder_or_scenario_is_refused(tmp_path, capsys):
    assert new(capsys, "route-check", "--into", str(tmp_path))[0] == 0
    code, _, err = new(capsys, "route-check", "--into", str(tmp_path))
    assert code == ExitCode.USAGE and "already exists" in err
    code, _, err = new(capsys, "selector-mismatch", "--into", str(tmp_path))
    assert code == ExitCode.USAGE and "scenario selector-mismatch already exists" in err


def test_the_fairness_plugin_names_every_missing_recording(pytester, monkeypatch, capsys):
    pack = pytester.path / "pack"
    assert new(capsys, "route-check", "--into", str(pack))[0] == 0
    pytester.makeconftest("from tests.recorded_fairness import pytest_addoption, pytest_collect_file  # noqa\n")
    (pytester.path / "scenarios.fairness").write_text("# collect\n")
    monkeypatch.setenv("DRILLS_SCENARIO_PATH", str(pack))
    fixes = list(render(catalog.load_folder(pack / "route-check"), 1).fixes)
    result = pytester.runpytest_inprocess("--fairness-no-builtins", "-p", "no:cacheprovider", "-q")
    cases = [R.BROKEN, *fixes, R.INFRA_ERROR]
    result.assert_outcomes(failed=len(cases))
    for case in cases:
        what = {R.BROKEN: "the broken state", R.INFRA_ERROR: "the infrastructure-error case"}.get(
            case, f"fix '{case}'")
        result.stdout.fnmatch_lines([
            f"route-check::seed1::{case}: no recording of {what} (*pack/recorded/route-check/seed1-{case}.json): "
            f"record it with DRILLS_E2E_SEEDS=1 pytest -m cluster --record pack/recorded "
            f"-k 'route-check and seed1 and {case}'"])
