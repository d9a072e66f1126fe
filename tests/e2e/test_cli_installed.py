"""The installed `drills` command against a live cluster (opt in: pytest -m cluster):
what a learner runs, as subprocesses, checked by exit codes, the store and the clock."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from drills import lifecycle
from drills.errors import ExitCode
from drills.store import Store
from tests.e2e.conftest import CONTEXT, wait_until_gone

pytestmark = pytest.mark.cluster

SEED = 6100


def installed_drills() -> str:
    beside = Path(sys.executable).with_name("drills")
    found = str(beside) if beside.exists() else shutil.which("drills")
    if not found:
        pytest.fail("the drills command is not installed in this environment: "
                    "pip install -e '.[test]' first", pytrace=False)
    return found


@pytest.fixture
def cli(tmp_path, session):
    """Runs the installed drills with its own DRILLS_HOME on the suite's context."""
    env = {**os.environ, "DRILLS_HOME": str(tmp_path / "home"), "DRILLS_CONTEXT": CONTEXT}
    if session.kubeconfig:
        env["KUBECONFIG"] = session.kubeconfig
    exe = installed_drills()

    def run(*args: str) -> tuple[int, dict | None, str]:
        done = subprocess.run([exe, *args], capture_output=True, text=True, env=env, timeout=600)
        assert "Traceback" not in done.stderr, done.stderr
        try:
            data = json.loads(done.stdout) if done.stdout.strip() else None
        except ValueError:
            data = None
        return done.returncode, data, done.stderr
    run.store = lambda: Store(tmp_path / "home" / "drills.db")
    return run


def test_start_check_fix_check_reset_as_a_learner(cli, session, drills_started):
    plan = lifecycle.prepare("selector-mismatch", SEED)
    drills_started.append(plan)
    code, started, err = cli("start", "selector-mismatch", "--seed", str(SEED), "--json", "--timings")
    assert code == 0, err
    assert started["namespace"] == plan.namespace and set(started["timings"]) >= {"namespace", "apply"}
    [drill] = cli.store().open_drills(CONTEXT)
    assert drill.state == "active" and drill.scenario_hash and drill.plan

    code, report, err = cli("check", "--json")
    assert code == ExitCode.CHECKS_FAILED, err
    assert report["status"] == "FAIL" and report["solved_at"] is None and report["elapsed_seconds"] > 0

    lifecycle.apply_fix(session, plan, plan.fixes["reference"])
    lifecycle.settle(session, plan)
    code, report, err = cli("check", "--json")
    assert code == ExitCode.OK, err
    assert report["status"] == "PASS" and report["solved_at"]
    solved_after = report["elapsed_seconds"]
    code, again, _ = cli("check", "--json")
    assert code == ExitCode.OK and again["elapsed_seconds"] == solved_after     # the clock stopped
    assert cli.store().drill(drill.id).state == "solved"

    code, reset, err = cli("reset", "--json")
    assert code == 0 and set(reset["deleted"]) == set(plan.namespaces), err
    assert wait_until_gone(session, plan.namespaces, timeout=1) == []          # reset waited
    code, _, err = cli("check", "--json")
    assert code == ExitCode.NO_ACTIVE_DRILL and err.count("\n") == 1


def test_reset_then_start_at_once_always_works(cli, session, drills_started):
    plan = lifecycle.prepare("selector-mismatch", SEED + 1)
    drills_started.append(plan)
    for _ in range(3):
        code, started, err = cli("start", "selector-mismatch", "--seed", str(SEED + 1), "--json")
        assert code == 0, err
        code, _, err = cli("reset", "--json")
        assert code == 0, err
    assert cli.store().open_drills(CONTEXT) == []
