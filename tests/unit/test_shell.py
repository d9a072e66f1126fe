"""drills shell offline: the rc file, the environment, the private kubeconfig and the prompt line."""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from drills import shell
from drills.cli import main
from drills.errors import ExitCode
from drills.store import DB_NAME, Store, iso, parse_iso, utcnow

RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "recorded" / "selector-mismatch"
IDENTITY = json.loads((RECORDED / "seed1-broken.json").read_text())["drill"]
KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed (apt-get install kubectl)")

# A kubeconfig of two contexts; the drill's one names its CA by a path relative to the file.
USER_KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters:
- cluster: {server: 'https://127.0.0.1:6443', certificate-authority: ca.crt}
  name: kind-drills
- cluster: {server: 'https://10.0.0.1:6443'}
  name: prod
contexts:
- context: {cluster: kind-drills, user: kind-drills}
  name: kind-drills
- context: {cluster: prod, user: prod, namespace: payments}
  name: prod
current-context: prod
users:
- name: kind-drills
  user: {token: learner}
- name: prod
  user: {token: do-not-copy}
"""


@pytest.fixture
def user_kubeconfig(tmp_path):
    folder = tmp_path / "kube"
    folder.mkdir()
    (folder / "ca.crt").write_text("not really a CA\n")
    path = folder / "config"
    path.write_text(USER_KUBECONFIG)
    return path


def test_bash_rc_is_the_exam_terminal_and_valid_bash(tmp_path):
    rc = shell.rc_text("bash", "/opt/py/bin/python3")
    for line in ("alias k=kubectl\n", "export do='--dry-run=client -o yaml'\n",
                 "export now='--force --grace-period 0'\n", "source <(kubectl completion bash)\n",
                 "complete -o default -F __start_kubectl k\n", "PROMPT_COMMAND=__drills_prompt\n"):
        assert line in rc
    assert "/opt/py/bin/python3 -m drills.shell prompt" in rc
    assert rc.index("alias k=kubectl") < rc.index("complete -o default")
    if shutil.which("bash"):
        path = tmp_path / "bashrc"
        path.write_text(rc)
        assert subprocess.run(["bash", "-n", str(path)], capture_output=True).returncode == 0


@pytest.mark.skipif(not (shutil.which("bash") and KUBECTL), reason="needs bash and kubectl")
def test_an_expired_exam_is_graded_at_the_first_prompt_only(tmp_path):
    """The prompt command exits 3 when the exam's time ran out: the shell then runs
    'drills exam status' (which grades and closes it) once, not at every prompt."""
    log = tmp_path / "calls"
    fake_python = tmp_path / "py"
    fake_python.write_text('#!/bin/sh\n'
                           'if [ "$2" = drills.shell ]; then echo "[exam time is up] drill-x-1"; exit 3; fi\n'
                           f'echo "$*" >> {log}\n')
    fake_python.chmod(0o755)
    rc = tmp_path / "bashrc"
    rc.write_text(shell.rc_text("bash", str(fake_python)))
    result = subprocess.run(["bash", "-c", f"source {rc}; __drills_prompt; __drills_prompt; "
                                           'echo "$__drills_ps1"; drills check'],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[exam time is up] drill-x-1"
    assert log.read_text().splitlines() == ["-m drills exam status", "-m drills check"]


def test_zsh_rc_wires_completion_to_k_and_escapes_percent():
    rc = shell.rc_text("zsh", "/usr/bin/python3")
    assert "source <(kubectl completion zsh)\n" in rc and "compdef _kubectl k\n" in rc
    assert "compinit -u" in rc and "add-zsh-hook precmd __drills_prompt" in rc
    assert "PROMPT='${__drills_ps1//\\%/%%} $ '" in rc   # an exam's "72%" is text, not an escape
    assert "export do='--dry-run=client -o yaml'" in rc
    with pytest.raises(ValueError):
        shell.rc_text("fish", "/usr/bin/python3")


def test_the_rc_quotes_an_interpreter_path_with_spaces():
    rc = shell.rc_text("bash", "/home/a b/py")
    assert "'/home/a b/py' -m drills.shell prompt" in rc and "drills() { '/home/a b/py' -m drills \"$@\"; }" in rc


def test_environment_points_kubectl_and_drills_at_the_drill(tmp_path):
    base = {"PATH": "/usr/bin", "KUBECONFIG": "/home/me/.kube/config", "DRILLS_CONTEXT": "other"}
    env = shell.shell_env(base, "bash", tmp_path, "kind-drills", Path("/data/drills"), "/py")
    assert env["KUBECONFIG"] == str(tmp_path / "kubeconfig") and env["DRILLS_CONTEXT"] == "kind-drills"
    assert env[shell.STATE_ENV] == str(tmp_path) and env["DRILLS_HOME"] == "/data/drills"
    assert env["PATH"] == "/usr/bin" and "ZDOTDIR" not in env
    assert base["KUBECONFIG"] == "/home/me/.kube/config"   # the caller's mapping is not changed
    assert shell.shell_env(base, "zsh", tmp_path, "c", Path("/h"), "/py")["ZDOTDIR"] == str(tmp_path)
    assert shell.shell_argv("bash", "/bin/bash", tmp_path) == [
        "/bin/bash", "--noprofile", "--rcfile", str(tmp_path / "bashrc"), "-i"]
    assert shell.rc_path("zsh", tmp_path) == tmp_path / ".zshrc"


def test_shell_choice_prefers_the_users_bash_or_zsh_else_bash(tmp_path):
    zsh = tmp_path / "zsh"
    zsh.write_text("#!/bin/sh\n")
    zsh.chmod(0o755)
    which = {"bash": "/usr/bin/bash"}.get
    assert shell.choose_shell(str(zsh), which) == ("zsh", str(zsh))
    assert shell.choose_shell("/usr/bin/fish", which) == ("bash", "/usr/bin/bash")
    assert shell.choose_shell(None, which) == ("bash", "/usr/bin/bash")
    assert shell.choose_shell(str(tmp_path / "bash"), which) == ("bash", "/usr/bin/bash")  # not executable
    assert shell.choose_shell("/usr/bin/fish", lambda name: None) is None


@needs_kubectl
def test_private_kubeconfig_holds_only_the_drills_context_and_namespace(tmp_path, user_kubeconfig):
    before = user_kubeconfig.read_bytes()
    private = tmp_path / "private"
    shell.write_private_kubeconfig(private, KUBECTL, "kind-drills", "drill-selector-mismatch-1",
                                   {**os.environ, "KUBECONFIG": str(user_kubeconfig)})
    assert user_kubeconfig.read_bytes() == before
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    config = yaml.safe_load(private.read_text())
    assert config["current-context"] == "kind-drills"
    assert [c["name"] for c in config["contexts"]] == ["kind-drills"]
    assert config["contexts"][0]["context"]["namespace"] == "drill-selector-mismatch-1"
    assert [u["name"] for u in config["users"]] == ["kind-drills"]   # other credentials are not copied
    assert "certificate-authority-data" in config["clusters"][0]["cluster"]   # works from any folder
    # switching task rewrites the namespace in place, still private
    shell.set_namespace(private, KUBECTL, "kind-drills", "drill-other-2")
    config = yaml.safe_load(private.read_text())
    assert config["contexts"][0]["context"]["namespace"] == "drill-other-2"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600 and user_kubeconfig.read_bytes() == before


@needs_kubectl
def test_a_context_missing_from_the_kubeconfig_is_kubectls_one_line(tmp_path, user_kubeconfig):
    with pytest.raises(shell.KubeconfigError, match="nope"):
        shell.write_private_kubeconfig(tmp_path / "private", KUBECTL, "nope", "ns",
                                       {**os.environ, "KUBECONFIG": str(user_kubeconfig)})


# --- the prompt ------------------------------------------------------------------------------------

def _state(tmp_path, drill_id, exam_id=None, name="state"):
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    (folder / shell.DRILL_FILE).write_text(f"{drill_id}\n")
    if exam_id is not None:
        (folder / shell.EXAM_FILE).write_text(f"{exam_id}\n")
    return folder


def _db(store):
    return store.path


def test_prompt_shows_scenario_clock_against_target_and_namespace(tmp_path):
    store = Store()
    started = utcnow() - timedelta(seconds=133)
    drill_id = store.add_drill(IDENTITY, "kind-drills", 4, iso(started))
    folder = _state(tmp_path, drill_id)
    line, over = shell.prompt_line(_db(store), folder, started + timedelta(seconds=133))
    assert line == "[selector-mismatch 2:13/4:00] drill-selector-mismatch-1" and not over
    line, _ = shell.prompt_line(_db(store), folder, started + timedelta(seconds=301))
    assert line == "[selector-mismatch 5:01/4:00 over] drill-selector-mismatch-1"
    store.mark_solved(drill_id, iso(started + timedelta(seconds=200)))   # e.g. by `drills watch`
    line, _ = shell.prompt_line(_db(store), folder, started + timedelta(seconds=900))
    assert line == "[selector-mismatch solved in 3:20/4:00] drill-selector-mismatch-1"


def test_prompt_of_a_drill_that_was_reset(tmp_path):
    store = Store()
    drill_id = store.add_drill(IDENTITY, "kind-drills", 4, iso(utcnow()))
    store.end(drill_id)
    assert shell.prompt_line(_db(store), _state(tmp_path, drill_id))[0].startswith("[selector-mismatch ended]")
    assert shell.prompt_line(_db(store), _state(tmp_path, 999))[0] == "[drills: no drill]"


def test_exam_prompt_shows_task_number_and_exam_clock_then_time_up_then_score(tmp_path):
    store = Store()
    started = utcnow() - timedelta(minutes=10)
    exam_id = store.add_exam(1, "kind-drills", 120, iso(started))
    first = store.add_drill(IDENTITY, "kind-drills", 4, iso(started), exam_id=exam_id)
    second = store.add_drill({**IDENTITY, "namespace": "drill-b-2"}, "kind-drills", 4, iso(started),
                             exam_id=exam_id)
    folder = _state(tmp_path, second, exam_id)
    at = started + timedelta(minutes=43, seconds=10)
    assert shell.prompt_line(_db(store), folder, at) == (
        "[task 2/2 selector-mismatch 43:10/2:00:00] drill-b-2", False)
    store.mark_solved(first, iso(at))
    assert shell.prompt_line(_db(store), _state(tmp_path, first, exam_id, "other"), at)[0].startswith(
        "[task 1/2 selector-mismatch solved 43:10/2:00:00]")
    assert shell.prompt_line(_db(store), folder, started + timedelta(minutes=120)) == (
        "[exam time is up] drill-b-2", True)
    store.end_exam(exam_id, 72.5, iso(utcnow()))
    assert shell.prompt_line(_db(store), folder)[0] == "[exam over: 72.5%] drill-b-2"


def test_prompt_command_signals_an_expired_exam_and_never_fails(tmp_path):
    store = Store()
    started = utcnow() - timedelta(minutes=31)
    exam_id = store.add_exam(1, "kind-drills", 30, iso(started))
    drill_id = store.add_drill(IDENTITY, "kind-drills", 4, iso(started), exam_id=exam_id)
    folder = _state(tmp_path, drill_id, exam_id)
    env = {**os.environ, shell.STATE_ENV: str(folder), "DRILLS_HOME": str(store.path.parent)}
    result = subprocess.run([sys.executable, "-m", "drills.shell", "prompt"], env=env,
                            capture_output=True, text=True)
    assert result.returncode == shell.PROMPT_EXAM_OVER and result.stdout.startswith("[exam time is up]")
    (store.path.parent / DB_NAME).unlink()
    env["DRILLS_HOME"] = str(tmp_path / "nowhere")
    result = subprocess.run([sys.executable, "-m", "drills.shell", "prompt"], env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "[drills: no drill]" and not result.stderr


# --- the verb --------------------------------------------------------------------------------------

def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_no_active_drill_is_one_line_exit_8(capsys, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    code, _, err = run(capsys, "shell")
    assert code == ExitCode.NO_ACTIVE_DRILL and err.count("\n") == 1 and "drills start" in err
    code, _, err = run(capsys, "shell", "--exam")
    assert code == ExitCode.NO_ACTIVE_DRILL and err.count("\n") == 1 and "drills exam start" in err


def test_missing_kubectl_says_how_to_install_it_exit_5(capsys, monkeypatch):
    Store().add_drill(IDENTITY, "kind-drills", 4, iso(utcnow()))
    monkeypatch.setattr(shutil, "which", lambda name: None if name == "kubectl" else f"/usr/bin/{name}")
    code, _, err = run(capsys, "shell")
    assert code == ExitCode.NO_CLUSTER and err.count("\n") == 1
    assert "kubectl is not installed" in err and "apt-get install kubectl" in err


def test_a_shell_inside_a_shell_is_refused(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv(shell.STATE_ENV, str(tmp_path))
    code, _, err = run(capsys, "shell")
    assert code == ExitCode.USAGE and "already a drills shell" in err


def test_inside_the_shell_hint_and_solution_act_on_the_shells_drill(capsys, monkeypatch, tmp_path):
    store = Store()
    other = store.add_drill({**IDENTITY, "seed": 3, "namespace": "drill-selector-mismatch-3"},
                            "kind-drills", 4, iso(utcnow()))
    mine = store.add_drill(IDENTITY, "kind-drills", 4, iso(utcnow()))
    code, _, err = run(capsys, "hint")
    assert code == ExitCode.USAGE and "2 drills are open" in err   # outside: ambiguous
    monkeypatch.setenv(shell.STATE_ENV, str(_state(tmp_path, mine)))
    code, out, _ = run(capsys, "hint")
    assert code == 0 and "drill-selector-mismatch-1" in out
    assert run(capsys, "solution")[0] == 0
    assert store.drill(mine).hints_shown == 1 and store.drill(mine).solution_viewed
    assert store.drill(other).hints_shown == 0 and not store.drill(other).solution_viewed


@needs_kubectl
def test_exam_task_switches_the_exam_shells_namespace_and_drill(capsys, monkeypatch, tmp_path,
                                                               user_kubeconfig):
    store = Store()
    exam_id = store.add_exam(1, "kind-drills", 120, iso(utcnow()))
    first = store.add_drill(IDENTITY, "kind-drills", 4, iso(utcnow()), exam_id=exam_id)
    second = store.add_drill({**IDENTITY, "seed": 3, "namespace": "drill-selector-mismatch-3",
                              "params": {**IDENTITY["params"], "fault": "key"}},
                             "kind-drills", 4, iso(utcnow()), exam_id=exam_id)
    folder = _state(tmp_path, first, exam_id)
    private = folder / shell.KUBECONFIG_FILE
    shell.write_private_kubeconfig(private, KUBECTL, "kind-drills", "drill-selector-mismatch-1",
                                   {**os.environ, "KUBECONFIG": str(user_kubeconfig)})
    monkeypatch.setenv(shell.STATE_ENV, str(folder))
    code, out, _ = run(capsys, "exam", "task", "2")
    assert code == 0 and "This shell now works in namespace drill-selector-mismatch-3" in out
    assert yaml.safe_load(private.read_text())["contexts"][0]["context"]["namespace"] == "drill-selector-mismatch-3"
    assert shell.shell_drill() == str(second)
    assert shell.prompt_line(store.path, folder)[0].startswith("[task 2/2 selector-mismatch ")
    # a shell of another exam (or of a plain drill) is not switched
    (folder / shell.EXAM_FILE).write_text("999\n")
    code, out, _ = run(capsys, "exam", "task", "1")
    assert code == 0 and "kubectl config set-context --current --namespace drill-selector-mismatch-1" in out
    assert shell.shell_drill() == str(second)


def test_started_at_round_trips():   # the prompt parses what the store writes
    moment = utcnow()
    assert abs((shell._parse(iso(moment)) - parse_iso(iso(moment))).total_seconds()) == 0


def test_prompt_clock_reads_like_drills_durations():
    from drills.ui import duration
    for seconds in (0, 59, 61, 3599, 3600, 7200, 7325, 90000):
        assert shell._clock(seconds) == duration(seconds)


@pytest.mark.parametrize("watching, said", [
    (True, "its deadline keeper is grading it as it stood at the deadline"),
    (False, "the next drills command grades and closes it"),
])
def test_leaving_the_shell_after_the_deadline_says_who_grades(tmp_path, capsys, monkeypatch, watching, said):
    from drills import keeper
    from drills.commands.shell import _say_goodbye
    store = Store(tmp_path / DB_NAME)
    exam_id = store.add_exam(1, "kind-drills", 1, iso(utcnow() - timedelta(minutes=5)))
    monkeypatch.setattr(keeper, "watching", lambda exam: watching)
    _say_goodbye(store, 0, store.exam(exam_id))
    assert f"The exam's time is up: {said}." in " ".join(capsys.readouterr().out.split())
