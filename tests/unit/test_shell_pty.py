"""drills shell for real: an interactive bash under a pseudo-terminal, typed into like a learner would.

No cluster is needed for the shell itself: the drill comes from the store, and only
`kubectl version --client` and kubeconfig reads run.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

import pytest

from drills.store import Store, iso, utcnow

pexpect = pytest.importorskip("pexpect", reason="pexpect is in the 'test' extra")
KUBECTL, BASH = shutil.which("kubectl"), shutil.which("bash")
pytestmark = pytest.mark.skipif(not (KUBECTL and BASH), reason="needs kubectl and bash")

RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "recorded" / "selector-mismatch"
IDENTITY = json.loads((RECORDED / "seed1-broken.json").read_text())["drill"]
DRILLS = [sys.executable, "-m", "drills"]
PROMPT = re.compile(r"\] (drill-[a-z0-9-]+) \$ ")
USER_KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters:
- {cluster: {server: 'https://127.0.0.1:6443', certificate-authority: ca.crt}, name: kind-drills}
contexts:
- {context: {cluster: kind-drills, user: kind-drills}, name: kind-drills}
- {context: {cluster: kind-drills, user: kind-drills, namespace: mine}, name: elsewhere}
current-context: elsewhere
users:
- {name: kind-drills, user: {token: learner}}
"""


@pytest.fixture
def learner(tmp_path, isolated_home):
    kube = tmp_path / "kube"
    kube.mkdir()
    (kube / "ca.crt").write_text("not a CA\n")
    config = kube / "config"
    config.write_text(USER_KUBECONFIG)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "TERM": "dumb",
           "SHELL": "/bin/sh",   # not bash or zsh: drills falls back to bash
           "KUBECONFIG": str(config), "DRILLS_HOME": str(isolated_home), "LANG": "C.UTF-8"}
    return config, env


def spawn(env, *args):
    child = pexpect.spawn(DRILLS[0], [*DRILLS[1:], "shell", *args], env=env, encoding="utf-8",
                          timeout=15, dimensions=(40, 200))
    child.expect(PROMPT)
    return child


def typed(child, line):
    """Type a line; return what it printed before the next prompt (without the echo and the prompt)."""
    child.sendline(line)
    child.expect(PROMPT)
    return "\n".join(child.before.replace("\r", "").split("\n")[1:-1])


def prompt_start(child) -> str:
    """The prompt's text before its namespace, e.g. '[selector-mismatch 0:02/4:00'."""
    return child.before.replace("\r", "").split("\n")[-1]


def test_the_exam_terminal_for_a_drill(learner):
    config, env = learner
    before = config.read_bytes()
    Store().add_drill(IDENTITY, "kind-drills", 4, iso(utcnow()))
    child = spawn(env)
    assert re.fullmatch(r"\[selector-mismatch 0:\d\d/4:00", prompt_start(child)), prompt_start(child)
    assert child.match.group(1) == "drill-selector-mismatch-1"
    assert "Client Version" in typed(child, "k version --client")
    assert typed(child, "echo $do").strip() == "--dry-run=client -o yaml"
    assert typed(child, "echo $now").strip() == "--force --grace-period 0"
    assert "-F __start_kubectl k" in typed(child, "complete -p k")
    assert typed(child, "k config view --minify -o jsonpath='{..namespace}'; echo").strip() == \
        "drill-selector-mismatch-1"
    assert typed(child, "k config current-context").strip() == "kind-drills"
    private = typed(child, "echo $KUBECONFIG").strip()
    assert private != str(config) and typed(child, "stat -c %a $KUBECONFIG").strip() == "600"
    assert "Hint 1 of" in typed(child, "drills hint")   # drills inside acts on the shell's drill
    # Ctrl-C stops what runs in the shell (it is not ignored there), and leaves drills and the shell alone
    child.sendline("sleep 30")
    child.expect("sleep 30\r\n")   # bash has read the line
    time.sleep(0.5)
    child.sendintr()
    child.expect(PROMPT, timeout=5)
    assert typed(child, "echo alive").strip() == "alive"
    child.sendline("exit")
    child.expect(pexpect.EOF)
    assert "selector-mismatch is still running" in child.before and "'drills shell' re-enters" in child.before
    child.close()
    assert child.exitstatus == 0
    assert config.read_bytes() == before                   # the learner's kubeconfig is untouched
    assert not Path(private).exists() and not Path(private).parent.exists()
    [drill] = Store().open_drills()
    assert drill.state == "active" and drill.hints_shown == 1


def test_the_exam_terminal_for_a_mock_exam_switches_tasks(learner):
    config, env = learner
    before = config.read_bytes()
    store = Store()
    exam_id = store.add_exam(1, "kind-drills", 120, iso(utcnow()))
    store.add_drill(IDENTITY, "kind-drills", 4, iso(utcnow()), exam_id=exam_id)
    store.add_drill({**IDENTITY, "seed": 3, "namespace": "drill-selector-mismatch-3",
                     "params": {**IDENTITY["params"], "fault": "key"}}, "kind-drills", 4, iso(utcnow()),
                    exam_id=exam_id)
    child = spawn(env, "--exam")
    assert re.fullmatch(r"\[task 1/2 selector-mismatch 0:\d\d/2:00:00", prompt_start(child))
    output = typed(child, "drills exam task 2")
    assert "This shell now works in namespace drill-selector-mismatch-3" in output
    assert child.match.group(1) == "drill-selector-mismatch-3"
    assert prompt_start(child).startswith("[task 2/2 selector-mismatch 0:")
    assert typed(child, "k config view --minify -o jsonpath='{..namespace}'; echo").strip() == \
        "drill-selector-mismatch-3"
    child.sendline("exit")
    child.expect(pexpect.EOF)
    assert "The exam keeps running" in child.before
    assert config.read_bytes() == before


@pytest.mark.zsh
@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed (apt-get install zsh)")
def test_the_exam_terminal_in_zsh(learner):
    """A learner whose $SHELL is zsh gets zsh, set up the same way."""
    config, env = learner
    before = config.read_bytes()
    Store().add_drill(IDENTITY, "kind-drills", 4, iso(utcnow()))
    child = spawn({**env, "SHELL": shutil.which("zsh")})
    assert "[selector-mismatch 0:" in child.before
    assert "Client Version" in typed(child, "k version --client")
    assert "--dry-run=client -o yaml" in typed(child, "echo $do")
    assert "_kubectl" in typed(child, "echo $_comps[k]")   # kubectl's completion serves k
    assert "drill-selector-mismatch-1" in typed(child, "k config view --minify -o jsonpath='{..namespace}'; echo")
    child.sendline("exit")
    child.expect(pexpect.EOF)
    assert "selector-mismatch is still running" in child.before
    assert config.read_bytes() == before
