"""A learner's Service answering with megabytes, end to end: graded live over a
real exec websocket (the batch script runs for real in /bin/sh, wget answering
with 5 MiB), saved with --save-evidence, and graded again offline by the
installed CLI from the saved file, with the same verdict.

Hand-made here: the 5 MiB answers (no recording has them); the objects are the
recording of selector-mismatch seed 1 after its reference fix."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from drills import probes as P
from drills.cli import main
from drills.evidence import MAX_STRING, load_bundle
from tests.classroom.fake_cluster import FakeCluster, recorded
from tests.unit.cluster.apiserver import write_kubeconfig
from tests.unit.cluster.fakes import ShimExec

DRILLS = Path(sys.executable).with_name("drills")
HUGE = 5 * 1024 * 1024


class ScriptCluster(FakeCluster):
    """exec runs drills' batch script for real, wget and nslookup answering from `shim`."""

    def __init__(self, bundles, shim: ShimExec):
        super().__init__(bundles)
        self.shim = shim

    def exec_output(self, argv):
        rc, out, err = self.shim("ns", "drills-probe", argv, 60)
        return (out + err).encode()


def answers(bundle: dict, newline: bool) -> dict[str, list[tuple[int, str, str]]]:
    """Every URL the recording probed, answered by its pods with a 5 MiB body
    that starts with the pod's name."""
    out: dict[str, list[tuple[int, str, str]]] = {}
    for probe in bundle["probes"].values():
        for attempt in probe["attempts"]:
            url = attempt["command"].rsplit(" ", 1)[-1].strip("'")
            pods = sorted({a["answered_by"] for a in probe["attempts"] if a.get("answered_by")})
            out[url] = [(0, pod + ("\n" if newline else "") + "x" * HUGE, "") for pod in pods]
    return out


def grade_live(capsys, tmp_path, newline: bool) -> tuple[int, dict, Path]:
    bundle = recorded("selector-mismatch/seed1-reference")
    shim = ShimExec(tmp_path, answers(bundle, newline), cycle=True)
    server = ScriptCluster([bundle], shim)
    try:
        config = write_kubeconfig(tmp_path / "class.kubeconfig", {"learner-1": server.url})
        saved = tmp_path / "evidence"
        code = main(["grade", "--kubeconfig", str(config), "--save-evidence", str(saved), "--json"])
        rows = json.loads(capsys.readouterr().out)["rows"]
    finally:
        server.close()
    [row] = rows
    [path] = sorted(saved.glob("*.json"))
    return code, row, path


def grade_offline(path: Path, tmp_path: Path) -> tuple[int, list, str]:
    env = {**os.environ, "DRILLS_HOME": str(tmp_path / "offline-home")}
    done = subprocess.run([str(DRILLS), "grade", "--evidence", str(path), "--json"],
                          capture_output=True, text=True, env=env, timeout=120)
    return done.returncode, json.loads(done.stdout) if done.stdout.strip() else [], done.stderr


def probes_of(path: Path) -> list[dict]:
    return list(json.loads(path.read_text())["probes"].values())


@pytest.mark.parametrize("newline", [True, False], ids=["name-line-then-5MiB", "one-5MiB-line"])
def test_a_saved_bundle_of_huge_answers_grades_again_with_the_same_verdict(capsys, tmp_path, newline):
    live_code, row, path = grade_live(capsys, tmp_path, newline)
    load_bundle(path)                                   # drills accepts its own bundle
    assert path.stat().st_size < 4 * 1024 * 1024
    for probe in probes_of(path):
        assert probe["error"] is None and probe["truncated"] is True
        for attempt in probe["attempts"]:
            assert attempt["truncated"] is True
            assert len(attempt["stdout"]) <= P.OUTPUT_LIMIT < MAX_STRING
            assert "output truncated" in attempt["detail"]

    code, reports, err = grade_offline(path, tmp_path)
    assert err == "" and code == live_code, err
    [offline] = reports
    assert {r["check"]: r["status"] for r in offline["results"]} == \
        {r["check"]: r["status"] for r in row["checks"]}
    if newline:
        # each answer's first line is a Ready pod's name: as the checks read answers, they passed
        assert row["status"] == "PASS" and live_code == 0, row
    else:
        # a 5 MiB first line is no pod's name, however it starts: never a PASS
        assert row["status"] == "FAIL" and live_code == 1, row
        reach = [r for r in row["checks"] if r["check"].startswith("reach.")]
        assert reach and all(r["status"] == "FAIL" and "cut" in r["observed"] for r in reach), reach
