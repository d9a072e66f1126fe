"""Failures of the machine around drills (kubeconfig, Docker, stdout) end in one
line with a documented exit code, through the installed CLI."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from drills.errors import ExitCode
from tests.unit.cluster.apiserver import write_kubeconfig

DRILLS = Path(sys.executable).with_name("drills")


def drills(*argv, env=None, stdout=subprocess.PIPE, home=None):
    full = {**os.environ, **(env or {})}
    for name in ("DRILLS_CONTEXT", "DRILLS_IMAGE", "DRILLS_SCENARIO_PATH"):
        full.pop(name, None)
    if home is not None:
        full["DRILLS_HOME"] = str(home)
    done = subprocess.run([str(DRILLS), *argv], env=full, stdout=stdout, stderr=subprocess.PIPE,
                          text=True, timeout=60)
    return done.returncode, done.stderr


def one_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def test_a_missing_kubeconfig_file_says_it_is_missing(tmp_path):
    code, err = drills("grade", "--context", "lab", env={"KUBECONFIG": str(tmp_path / "nope")},
                       home=tmp_path)
    line = one_line(err)
    assert code == ExitCode.NO_CLUSTER and "does not exist" in line and str(tmp_path / "nope") in line


@pytest.mark.parametrize("content", [b"apiVersion: v1\nkind: \xff\xfe\n", b"a: [unclosed\n  b: {",
                                     b"- just\n- a list\n", b"contexts: 5\n"])
def test_an_unreadable_kubeconfig_is_one_line(tmp_path, content):
    path = tmp_path / "config"
    path.write_bytes(content)
    code, err = drills("grade", "--context", "lab", env={"KUBECONFIG": str(path)}, home=tmp_path)
    line = one_line(err)
    assert code == ExitCode.NO_CLUSTER and str(path) in line


def test_a_broken_exec_plugin_logs_nothing_of_its_own(tmp_path):
    path = write_kubeconfig(tmp_path / "config", {"lab": "https://127.0.0.1:9"})
    data = yaml.safe_load(path.read_text())
    data["users"][0]["user"] = {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1",
                                         "command": "/bin/false", "interactiveMode": "Never"}}
    path.write_text(yaml.safe_dump(data))
    code, err = drills("grade", "--context", "lab", env={"KUBECONFIG": str(path)}, home=tmp_path)
    line = one_line(err)
    assert "ERROR:root" not in err and code == ExitCode.CLUSTER_UNREACHABLE
    assert "lab" in line and "exec" in line


def test_start_without_docker_prints_no_python_repr(tmp_path):
    code, err = drills("start", "selector-mismatch",
                       env={"DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock"}, home=tmp_path)
    line = one_line(err)
    assert code == ExitCode.NO_CLUSTER and "Docker" in line
    for repr_mark in ("Error(", "('", "Errno", "FileNotFoundError"):
        assert repr_mark not in line


def test_stdout_on_a_full_disk_is_one_line(tmp_path):
    with open("/dev/full", "w") as full:
        code, err = drills("history", stdout=full, home=tmp_path)
    line = one_line(err)
    assert code == ExitCode.OUTPUT_FAILED and "No space left" in line


@pytest.mark.parametrize("argv", [["list"], ["history"], ["render", "selector-mismatch", "--seed", "1"]])
def test_a_closed_pipe_ends_silently(tmp_path, argv):
    read_end, write_end = os.pipe()
    os.close(read_end)                         # like `drills list | head -0`
    try:
        code, err = drills(*argv, stdout=write_end, home=tmp_path)
    finally:
        os.close(write_end)
    assert err == "" and code == ExitCode.OUTPUT_FAILED
