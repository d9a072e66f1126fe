"""Every bad input of the trust work, and the README exit-code table's bad inputs that
need no cluster, through the INSTALLED CLI as a subprocess: the documented exit code,
exactly one line on stderr, no traceback, and nothing created or changed."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest
import yaml

from drills.cluster import objects as O
from drills.errors import ExitCode
from drills.store import Store
from tests.unit.cluster.apiserver import FakeApiServer, write_kubeconfig
from tests.unit.trust.hostile import variant_bytes

DRILLS = Path(sys.executable).with_name("drills")
README = Path(__file__).resolve().parents[3] / "README.md"


@dataclass
class Case:
    argv: list[str]
    code: ExitCode
    words: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    setup: Callable[[Path], dict[str, str] | None] | None = None   # may add env entries
    stdout: str | None = None                                      # a file to send stdout to


def bundle(name: str) -> Callable[[Path], None]:
    def make(work: Path) -> None:
        (work / "bundle.json").write_bytes(variant_bytes(name))
    return make


def huge_bundle(work: Path) -> None:
    with open(work / "bundle.json", "wb") as handle:
        handle.truncate(64 * 1024 * 1024 + 1)      # sparse: cheap to make, refused unread


def kubeconfig(content: bytes) -> Callable[[Path], dict[str, str]]:
    def make(work: Path) -> dict[str, str]:
        (work / "kubeconfig").write_bytes(content)
        return {"KUBECONFIG": str(work / "kubeconfig")}
    return make


def exec_plugin(work: Path) -> dict[str, str]:
    path = write_kubeconfig(work / "kubeconfig", {"lab": "https://127.0.0.1:9"})
    data = yaml.safe_load(path.read_text())
    data["users"][0]["user"] = {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1",
                                         "command": "/bin/false", "interactiveMode": "Never"}}
    path.write_text(yaml.safe_dump(data))
    return {"KUBECONFIG": str(path)}


def refused_port(work: Path) -> dict[str, str]:
    import socket
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    write_kubeconfig(work / "kubeconfig", {"lab": f"http://127.0.0.1:{port}"})
    return {"KUBECONFIG": str(work / "kubeconfig")}


def broken_pack(work: Path) -> dict[str, str]:
    folder = work / "pack" / "broken-pack"
    folder.mkdir(parents=True)
    (folder / "scenario.yaml").write_text("title: no other field\n")
    return {"DRILLS_SCENARIO_PATH": str(work / "pack")}


CASES: dict[str, Case] = {
    # usage (2)
    "unknown-verb": Case(["bogus-verb"], ExitCode.USAGE, ["bogus-verb"]),
    "negative-seed": Case(["render", "selector-mismatch", "--seed", "-1"], ExitCode.USAGE, ["--seed"]),
    "unknown-level": Case(["render", "selector-mismatch", "--level", "nightmare"], ExitCode.USAGE),
    "evidence-and-namespace": Case(["grade", "--evidence", "x.json", "--namespace", "y"],
                                   ExitCode.USAGE),
    # unknown scenario (3)
    "unknown-scenario": Case(["show", "zzz"], ExitCode.UNKNOWN_SCENARIO, ["zzz"]),
    # bad scenario pack (4)
    "broken-pack": Case(["render", "broken-pack"], ExitCode.BAD_SCENARIO_PACK, ["broken-pack"],
                        setup=broken_pack),
    # no cluster (5)
    "kubeconfig-missing": Case(["grade", "--context", "lab"], ExitCode.NO_CLUSTER,
                               ["does not exist"], env={"KUBECONFIG": "/nonexistent/kubeconfig"}),
    "kubeconfig-not-utf8": Case(["grade", "--context", "lab"], ExitCode.NO_CLUSTER, ["UTF-8"],
                                setup=kubeconfig(b"kind: \xff\xfe\n")),
    "kubeconfig-not-yaml": Case(["grade", "--context", "lab"], ExitCode.NO_CLUSTER, ["YAML"],
                                setup=kubeconfig(b"a: [unclosed\n  b: {")),
    "context-missing": Case(["grade", "--context", "nope"], ExitCode.NO_CLUSTER, ["nope"],
                            setup=refused_port),
    "no-docker": Case(["start", "selector-mismatch"], ExitCode.NO_CLUSTER, ["Docker"],
                      env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"}),
    # cluster unreachable (6)
    "exec-plugin-fails": Case(["grade", "--context", "lab"], ExitCode.CLUSTER_UNREACHABLE,
                              ["exec"], setup=exec_plugin),
    "api-refused": Case(["grade", "--context", "lab"], ExitCode.CLUSTER_UNREACHABLE, ["lab"],
                        setup=refused_port),
    # no active drill (8)
    "check-without-drill": Case(["check"], ExitCode.NO_ACTIVE_DRILL, ["drills start"]),
    "hint-without-drill": Case(["hint"], ExitCode.NO_ACTIVE_DRILL),
    "solution-without-drill": Case(["solution"], ExitCode.NO_ACTIVE_DRILL),
    # bad evidence (10)
    "evidence-missing": Case(["grade", "--evidence", "nope.json"], ExitCode.BAD_EVIDENCE,
                             ["does not exist"]),
    "evidence-huge": Case(["grade", "--evidence", "bundle.json"], ExitCode.BAD_EVIDENCE,
                          ["larger than 64 MiB"], setup=huge_bundle),
    **{f"evidence-{name}": Case(["grade", "--evidence", "bundle.json"], ExitCode.BAD_EVIDENCE,
                                [field_name], setup=bundle(name))
       for name, field_name in [("seed-not-a-number", "drill.seed"), ("params-a-list", "drill.params"),
                                ("scenario-a-list", "drill.scenario"),
                                ("unknown-parameter", "no_such_param"), ("no-drill", "drill"),
                                ("metadata-a-string", "metadata"), ("exit-code-a-string", "exit_code"),
                                ("nested-100k", "deeper"), ("label-5mb", "labels.big"),
                                ("invalid-utf8", "JSON")]},
    "home-of-no-user": Case(["history"], ExitCode.USAGE, ["DRILLS_HOME"],
                            env={"DRILLS_HOME": "~no-such-user-here/drills"}),
    # history database (11)
    "home-unusable": Case(["history"], ExitCode.STORE_ERROR, ["DRILLS_HOME"],
                          env={"DRILLS_HOME": "/dev/null/drills"}),
    # output (13)
    "stdout-full": Case(["history"], ExitCode.OUTPUT_FAILED, ["No space left"], stdout="/dev/full"),
}


def snapshot(*roots: Path) -> dict[str, str]:
    """Every file under the roots with a hash of its content (SQLite's -wal/-shm come and go)."""
    state = {}
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.name.endswith(("-wal", "-shm")):
                with open(path, "rb") as handle:
                    state[str(path)] = hashlib.sha256(handle.read(1 << 20)).hexdigest() + \
                        f":{path.stat().st_size}"
            elif path.is_dir():
                state[str(path)] = "dir"
    return state


def run_cli(argv, env, cwd, stdout=None):
    full = {k: v for k, v in os.environ.items()
            if k not in ("DRILLS_CONTEXT", "DRILLS_IMAGE", "DRILLS_SCENARIO_PATH", "KUBECONFIG")}
    full.update(env)
    out = open(stdout, "w") if stdout else subprocess.PIPE
    try:
        done = subprocess.run([str(DRILLS), *argv], env=full, cwd=cwd, stdout=out,
                              stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        if stdout:
            out.close()
    return done.returncode, done.stderr


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_one_line_with_its_documented_code(name, tmp_path):
    case = CASES[name]
    work, home = tmp_path / "work", tmp_path / "home"
    work.mkdir()
    env = {"DRILLS_HOME": str(home), "KUBECONFIG": str(work / "no-kubeconfig"), **case.env}
    if case.setup:
        env.update(case.setup(work) or {})
    if env["DRILLS_HOME"] == str(home):
        Store(home / "drills.db").close()           # an existing, empty history database
    before = snapshot(work, home)
    code, err = run_cli(case.argv, env, work, case.stdout)
    lines = err.splitlines()
    assert code == case.code, err
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("drills: error: ")
    for word in case.words:
        assert word in lines[0], lines[0]
    assert snapshot(work, home) == before


def test_every_code_used_here_is_in_the_readme_table():
    table = README.read_text()
    for case in CASES.values():
        assert f"| {int(case.code)} |" in table


def test_every_exit_code_is_documented_in_the_readme():
    table = README.read_text()
    for code in ExitCode:
        assert f"| {int(code)} |" in table, code


# --- an instructor grading a hostile cluster, over HTTP --------------------------------

def hostile_namespace(name: str, **identity_changes) -> dict:
    from drills import catalog
    from drills.render import render
    plan = render(catalog.get("selector-mismatch"), 1)
    body = O.namespace_body(plan, plan.namespace)
    body["metadata"]["name"] = name
    identity = {**plan.identity(), **identity_changes}
    body["metadata"]["annotations"][O.DRILL_ANNOTATION] = json.dumps(identity)
    return {"apiVersion": "v1", "kind": "Namespace", **body}


@pytest.mark.parametrize("changes", [{"namespace": "kube-system"}, {"image": "evil.example/x:1"},
                                     {"seed": "abc"}])
def test_grading_a_hostile_cluster_sends_nothing_but_reads(tmp_path, changes):
    server = FakeApiServer()
    try:
        ns = hostile_namespace("drill-selector-mismatch-1", **changes)
        server.routes[("GET", "/version")] = (200, {"major": "1", "minor": "32",
                                                    "gitVersion": "v1.32.13"})
        server.routes[("GET", "/api/v1/namespaces")] = (200, {"kind": "NamespaceList",
                                                              "items": [ns]})
        server.routes[("GET", f"/api/v1/namespaces/{ns['metadata']['name']}")] = (200, ns)
        write_kubeconfig(tmp_path / "kubeconfig", {"lab": server.url})
        env = {"DRILLS_HOME": str(tmp_path / "home"), "KUBECONFIG": str(tmp_path / "kubeconfig")}
        code, err = run_cli(["grade", "--context", "lab"], env, tmp_path)
        assert code == ExitCode.UNSAFE_TARGET, err
        assert len(err.splitlines()) == 1 and ns["metadata"]["name"] in err
        assert {r["method"] for r in server.requests} == {"GET"}
        assert not [r for r in server.requests if "kube-system" in r["path"]]
    finally:
        server.close()
