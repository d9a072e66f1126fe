"""A kubeconfig whose exec credential plugin hangs or prints garbage, through the
installed CLI: one line naming the context, the plugin and the fix, exit 6
(cluster unreachable), no traceback, within the plugin's time bound."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from drills.errors import ExitCode
from tests.unit.cluster.apiserver import FakeApiServer, write_kubeconfig

DRILLS = Path(sys.executable).with_name("drills")


def kubeconfig_with_plugin(tmp_path: Path, script: str, server: str = "http://127.0.0.1:9") -> Path:
    plugin = tmp_path / "lab-credentials"
    plugin.write_text("#!/bin/sh\n" + script)
    plugin.chmod(0o755)
    path = write_kubeconfig(tmp_path / "kubeconfig", {"lab": server})
    data = yaml.safe_load(path.read_text())
    data["users"][0]["user"] = {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1",
                                         "command": str(plugin), "args": ["--profile", "lab"],
                                         "interactiveMode": "Never"}}
    path.write_text(yaml.safe_dump(data))
    return path


def drills(tmp_path: Path, kubeconfig: Path, *argv: str, timeout_s: str | None = "1"):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRILLS_")}
    env.update(KUBECONFIG=str(kubeconfig), DRILLS_HOME=str(tmp_path / "home"))
    if timeout_s is not None:
        env["DRILLS_EXEC_PLUGIN_TIMEOUT"] = timeout_s
    started = time.monotonic()
    done = subprocess.run([str(DRILLS), *argv], capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=60)
    return done, time.monotonic() - started


def one_line(done) -> str:
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith("drills: error: ")
    return lines[0]


HANGS = "sleep 30\n"   # a plugin waiting for a login nobody gives


def test_a_hanging_plugin_ends_grade_within_its_bound_and_is_stopped(tmp_path):
    marker = tmp_path / "still-running"
    config = kubeconfig_with_plugin(tmp_path, f"sleep 2 && touch {marker}\n{HANGS}")
    done, took = drills(tmp_path, config, "grade", "--context", "lab")
    assert done.returncode == ExitCode.CLUSTER_UNREACHABLE
    line = one_line(done)
    assert took < 10
    assert "context lab" in line and "did not finish within 1 s" in line
    assert f"{tmp_path}/lab-credentials --profile lab" in line
    assert "DRILLS_EXEC_PLUGIN_TIMEOUT" in line and "run it yourself" in line
    time.sleep(max(0.0, 2.8 - took))
    assert not marker.exists()           # the plugin and what it started were stopped


def test_doctor_reports_a_hanging_plugin_as_the_api_item(tmp_path):
    config = kubeconfig_with_plugin(tmp_path, HANGS)
    done, took = drills(tmp_path, config, "doctor", "--context", "lab", "--json")
    assert done.returncode == ExitCode.NO_CLUSTER and took < 10       # doctor: some item failed
    assert done.stderr == ""
    api = next(i for i in json.loads(done.stdout) if i["name"] == "api")
    assert api["ok"] is False and "did not finish within 1 s" in api["detail"]
    assert "lab-credentials --profile lab" in api["detail"]
    assert "DRILLS_EXEC_PLUGIN_TIMEOUT" in api["fix"]


def test_a_plugin_printing_garbage_is_one_line(tmp_path):
    config = kubeconfig_with_plugin(tmp_path, "echo 'Welcome! <html>not json</html>'\n")
    done, _ = drills(tmp_path, config, "grade", "--context", "lab")
    assert done.returncode == ExitCode.CLUSTER_UNREACHABLE
    line = one_line(done)
    assert "context lab" in line and "lab-credentials --profile lab" in line
    assert "failed (exec: failed to decode process output" in line
    assert "ExecCredential" in line and "kubectl config view --minify --context lab" in line


def test_a_plugin_that_answers_in_time_still_works(tmp_path):
    server = FakeApiServer()
    try:
        server.routes[("GET", "/version")] = (200, {"major": "1", "minor": "32", "gitVersion": "v1.32.13"})
        server.routes[("GET", "/api/v1/namespaces")] = (200, {"items": []})
        credential = ('{"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential",'
                      ' "status": {"token": "from-plugin"}}')
        config = kubeconfig_with_plugin(tmp_path, f"sleep 0.2; echo '{credential}'\n", server.url)
        done, _ = drills(tmp_path, config, "grade", "--context", "lab", timeout_s=None)
        assert "exec credential plugin" not in done.stderr, done.stderr
        version = next(r for r in server.requests if r["path"] == "/version")
        assert version["headers"]["authorization"] == "Bearer from-plugin"
    finally:
        server.close()


@pytest.mark.parametrize("value", ["soon", "99999"])
def test_a_bad_timeout_setting_is_a_settings_error(tmp_path, value):
    config = kubeconfig_with_plugin(tmp_path, HANGS)
    done, took = drills(tmp_path, config, "grade", "--context", "lab", timeout_s=value)
    assert done.returncode == ExitCode.USAGE and took < 10
    assert "DRILLS_EXEC_PLUGIN_TIMEOUT" in one_line(done)
