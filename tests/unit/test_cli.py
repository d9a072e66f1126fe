"""The CLI verbs that need no cluster, and every error path's exit code and one line."""
import json
import os
import subprocess
import sys

import pytest

from drills.cli import main
from drills.errors import ExitCode
from drills.store import Store, iso, utcnow


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_list_table_and_json(capsys):
    code, out, _ = run(capsys, "list")
    assert code == 0 and "selector-mismatch" in out
    code, out, _ = run(capsys, "list", "--json")
    rows = json.loads(out)
    row = next(r for r in rows if r["id"] == "selector-mismatch")
    assert row["difficulty"] == "easy" and row["variants"] > 1000 and "ClusterIP" in row["tags"]


def test_show_never_prints_the_solution(capsys):
    code, out, _ = run(capsys, "show", "selector-mismatch")
    assert code == 0 and "Hints: 4" in out
    assert "patch svc" not in out


def test_render_is_reproducible_and_random_without_seed(capsys):
    _, first, _ = run(capsys, "render", "selector-mismatch", "--seed", "12")
    _, second, _ = run(capsys, "render", "selector-mismatch", "--seed", "12")
    assert first == second and "kind: Service" in first
    _, unseeded, _ = run(capsys, "render", "selector-mismatch")
    seed = unseeded.split("--seed ")[1].split()[0]
    _, again, _ = run(capsys, "render", "selector-mismatch", "--seed", seed)
    assert again == unseeded


def test_render_same_bytes_across_processes(tmp_path):
    outputs = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "DRILLS_HOME": str(tmp_path)}
        outputs.add(subprocess.run([sys.executable, "-m", "drills", "render", "selector-mismatch",
                                    "--seed", "4242"], env=env, capture_output=True, check=True).stdout)
    assert len(outputs) == 1


@pytest.mark.parametrize("argv, code, words", [
    (["render", "selectr-mismatch"], ExitCode.UNKNOWN_SCENARIO, "did you mean selector-mismatch?"),
    (["show", "zzz"], ExitCode.UNKNOWN_SCENARIO, "drills list"),
    (["render", "selector-mismatch", "--seed", "-1"], ExitCode.USAGE, "--seed"),
    (["render", "selector-mismatch", "--level", "hard"], ExitCode.USAGE, "no level"),
    (["bogus-verb"], ExitCode.USAGE, "No such command"),
    (["check"], ExitCode.NO_ACTIVE_DRILL, "drills start"),
    (["hint"], ExitCode.NO_ACTIVE_DRILL, "no drill is running"),
    (["solution", "selector-mismatch"], ExitCode.NO_ACTIVE_DRILL, "drills status"),
    (["grade", "--evidence", "/nonexistent.json"], ExitCode.BAD_EVIDENCE, "does not exist"),
])
def test_errors_are_one_line_with_distinct_codes(capsys, argv, code, words):
    got, out, err = run(capsys, *argv)
    assert got == code
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("drills: error: ") and words in lines[0], err
    assert "Traceback" not in out + err


def test_bad_scenario_pack_exit_code(capsys, tmp_path, monkeypatch):
    bad = tmp_path / "pack" / "broken"
    bad.mkdir(parents=True)
    (bad / "scenario.yaml").write_text("id: broken\n")
    monkeypatch.setenv("DRILLS_SCENARIO_PATH", str(tmp_path / "pack"))
    code, out, err = run(capsys, "list")   # issue 9: the broken pack is skipped, with one warning
    assert code == 0 and "selector-mismatch" in out
    assert err.count("\n") == 1 and "warning" in err and "broken/scenario.yaml" in err
    code, _, err = run(capsys, "render", "broken")
    assert code == ExitCode.BAD_SCENARIO_PACK and "broken/scenario.yaml" in err


def test_evidence_that_is_not_a_bundle(capsys, tmp_path):
    path = tmp_path / "e.json"
    path.write_text('{"hello": 1}')
    code, _, err = run(capsys, "grade", "--evidence", str(path))
    assert code == ExitCode.BAD_EVIDENCE and "not a drills evidence bundle" in err
    path.write_text("{not json")
    code, _, err = run(capsys, "grade", "--evidence", str(path))
    assert code == ExitCode.BAD_EVIDENCE and "not readable JSON" in err


@pytest.fixture
def open_drill():
    from drills import catalog
    from drills.render import render
    plan = render(catalog.get("selector-mismatch"), 31)
    store = Store()
    drill_id = store.add_drill(plan.identity(), "kind-drills", plan.target_minutes, iso(utcnow()))
    return store, drill_id, plan


def test_hints_progress_and_are_recorded(capsys, open_drill):
    store, drill_id, plan = open_drill
    for number in range(1, len(plan.hints) + 1):
        code, out, _ = run(capsys, "hint")
        assert code == 0 and f"Hint {number} of {len(plan.hints)}" in out
    assert "last hint" in out
    code, out, _ = run(capsys, "hint")
    assert code == 0 and f"All {len(plan.hints)} hints are shown" in out and "Hint " not in out
    assert store.drill(drill_id).hints_shown == len(plan.hints)


def test_solution_is_recorded_as_viewed(capsys, open_drill):
    store, drill_id, plan = open_drill
    code, out, _ = run(capsys, "solution")
    assert code == 0 and "recorded as viewed" in out and plan.namespace in out
    assert store.drill(drill_id).solution_viewed


def test_status_history_stats(capsys, open_drill):
    store, drill_id, plan = open_drill
    code, out, _ = run(capsys, "status", "--json")
    [row] = json.loads(out)
    assert row["namespace"] == plan.namespace and row["context"] == "kind-drills"
    assert row["seed"] == 31 and row["scenario"] == "selector-mismatch" and row["started_at"]
    code, out, _ = run(capsys, "status")
    assert code == 0 and plan.namespace in out
    store.mark_solved(drill_id, iso(utcnow()))
    code, out, _ = run(capsys, "history", "--json")
    assert json.loads(out)[0]["state"] == "solved"
    code, out, _ = run(capsys, "stats", "--json")
    assert json.loads(out)[0]["solved"] == 1


def test_several_open_drills_must_be_named(capsys, open_drill):
    from drills import catalog
    from drills.render import render
    store, _, _ = open_drill
    other = render(catalog.get("selector-mismatch"), 32)
    store.add_drill(other.identity(), "kind-drills", 4, iso(utcnow()))
    code, _, err = run(capsys, "hint")
    assert code == ExitCode.USAGE and "2 drills are open" in err
    code, out, _ = run(capsys, "hint", other.namespace)
    assert code == 0 and "Hint 1" in out


def test_bare_drills_prints_help(capsys):
    code, out, err = run(capsys)
    assert code == 0 and "Commands:" in out and err == ""


def test_version_and_help(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and "drills" in out
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "start" in out and "check" in out
