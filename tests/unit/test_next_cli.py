"""`drills next` on a real history database: the printed choice, --json, and --start."""
from __future__ import annotations

import json
from datetime import timedelta
from types import SimpleNamespace

import pytest

import drills.cluster as cluster
from drills import catalog
from drills.cli import main
from drills.errors import ExitCode
from drills.render import render
from drills.store import Store, iso, utcnow


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def slow_numeric_wrong_targetport(store: Store) -> int:
    """wrong-targetport, numeric variant, solved in 7:40 against 5:00, three days ago."""
    scenario = catalog.get("wrong-targetport")
    seed = next(s for s in range(100) if render(scenario, s).params["fault"] == "numeric")
    plan = render(scenario, seed)
    started = utcnow() - timedelta(days=3)
    drill_id = store.add_drill(plan.identity(), "kind-drills", plan.target_minutes, iso(started))
    report = {"status": "FAIL", "score": 40.0, "diagnosis": "service.target-port-resolves",
              "results": [{"name": "service.exists", "stage": "service", "status": "PASS"},
                          {"name": "service.target-port-resolves", "stage": "targetPort",
                           "status": "FAIL"}]}
    store.add_attempt(drill_id, iso(started + timedelta(minutes=3)), report)
    store.mark_solved(drill_id, iso(started + timedelta(minutes=7, seconds=40)))
    store.end(drill_id, iso(started + timedelta(minutes=9)))
    return seed


def test_next_prints_why_and_the_command_on_its_own_line(capsys):
    store = Store()
    old_seed = slow_numeric_wrong_targetport(store)
    code, out, _ = run(capsys, "next")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Next: wrong-targetport"
    why = " ".join(line.strip() for line in lines[1:lines.index("Start it with:")] if not
                   line.startswith("Then:"))
    assert why.startswith("Why: wrong-targetport: last solved in 7:40 against 5:00, 3 days ago;")
    assert "named variant never seen" in why
    command = lines[-1].split()
    assert command[:3] == ["drills", "start", "wrong-targetport"] and command[3] == "--seed"
    new_seed = int(command[4])
    assert new_seed != old_seed
    assert render(catalog.get("wrong-targetport"), new_seed).params["fault"] == "named"


def test_next_json_is_for_scripts(capsys):
    slow_numeric_wrong_targetport(Store())
    code, out, _ = run(capsys, "next", "--json")
    data = json.loads(out)
    assert code == 0 and data["scenario"] == "wrong-targetport" and data["tier"] == "weak"
    assert data["variant"] == "named" and data["command"].startswith("drills start wrong-targetport --seed ")
    assert len(data["then"]) == 3 and all(t["reason"] for t in data["then"])
    _, again, _ = run(capsys, "next", "--json")
    assert json.loads(again) == data   # deterministic for the same history and day


def test_next_on_an_empty_history_starts_at_the_top_of_the_path(capsys):
    code, out, _ = run(capsys, "next", "--json")
    assert code == 0 and json.loads(out)["scenario"] == "expose-deployment"


def test_next_start_goes_through_drills_start(capsys, monkeypatch):
    slow_numeric_wrong_targetport(Store())
    _, out, _ = run(capsys, "next", "--json")
    chosen = json.loads(out)
    started = []
    monkeypatch.setattr(cluster, "cluster_status", lambda: {"exists": True}, raising=False)
    monkeypatch.setattr(cluster, "connect", lambda context, explicit, timeout=10.0:
                        SimpleNamespace(context=context), raising=False)

    def start_drill(session, plan, progress=lambda p: None, **options):
        started.append(plan)
        return {"namespace": plan.namespace, "verified_at": iso(utcnow()), "bundle": {}, "timings": {}}
    monkeypatch.setattr(cluster, "start_drill", start_drill, raising=False)
    code, out, _ = run(capsys, "next", "--start")
    assert code == 0
    [plan] = started
    assert (plan.scenario, plan.seed, plan.params["fault"]) == ("wrong-targetport", chosen["seed"], "named")
    assert plan.namespace in out and "The clock is running" in out
    [open_drill] = Store().open_drills("kind-drills")
    assert open_drill.seed == chosen["seed"]
    code, out, _ = run(capsys, "next")
    assert code == 0 and f"Still running: {open_drill.namespace}" in out
    _, out, _ = run(capsys, "next", "--json")
    assert json.loads(out)["running"] == [open_drill.namespace]


def test_next_flag_mistakes_are_one_line_usage_errors(capsys):
    for argv in (["next", "--json", "--start"], ["next", "--watch"]):
        code, _, err = run(capsys, *argv)
        assert code == ExitCode.USAGE and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("width", [80, 200])
def test_next_at_80_and_200_columns_never_breaks_the_command(capsys, monkeypatch, width):
    from drills import ui
    monkeypatch.setattr(ui, "out", ui.make_console(width=width))
    slow_numeric_wrong_targetport(Store())
    code, out, _ = run(capsys, "next")
    lines = out.splitlines()
    assert code == 0 and all(len(line) <= width for line in lines), out
    assert lines[-2] == "Start it with:" and lines[-1].startswith("  drills start wrong-targetport --seed ")
    why = " ".join(line.strip() for line in lines
                   if not line.startswith(("Next:", "Then:", "Start", "  drills")))
    assert why == ("Why: wrong-targetport: last solved in 7:40 against 5:00, 3 days ago; targetPort "
                   "stage failed in 1 of 1 checks; named variant never seen")
    if width == 200:
        assert len(lines) == 5
