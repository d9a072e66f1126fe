"""The exam terminal: what `drills shell` sets up, and the prompt it shows.

Pure parts (rc text, environment, prompt line) are plain functions so they can be tested
offline; `python -m drills.shell prompt` prints the prompt line and is run by the shell before
every prompt, so it imports only the standard library and reads the history database read-only.

A shell's state lives in its private folder (DRILLS_SHELL): `kubeconfig` (a 0600 copy of the
chosen context only, its namespace the drill's), `drill` (the id of the drill it works on) and,
for `--exam`, `exam` (the exam's id). `drills exam task N` rewrites `drill` and the namespace.
"""
from __future__ import annotations

import os
import shlex
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path

STATE_ENV = "DRILLS_SHELL"
KUBECONFIG_FILE, DRILL_FILE, EXAM_FILE = "kubeconfig", "drill", "exam"
PROMPT_EXAM_OVER = 3    # exit status of the prompt command when an exam's time ran out unnoticed
SHELLS = ("bash", "zsh")

DO = "--dry-run=client -o yaml"
NOW = "--force --grace-period 0"


def choose_shell(user_shell: str | None, which) -> tuple[str, str] | None:
    """(kind, path): the user's $SHELL when it is bash or zsh, else bash; None if there is no bash."""
    if user_shell and Path(user_shell).name in SHELLS and os.access(user_shell, os.X_OK):
        return Path(user_shell).name, user_shell
    bash = which("bash")
    return ("bash", bash) if bash else None


# --- the rc file -------------------------------------------------------------------------------

def _prompt_hook(python: str) -> str:
    """Shell code (bash and zsh alike) that sets __drills_ps1; when an exam's time ran out, the
    first prompt after its deadline grades and closes it, as the exam's terminal would close."""
    prompt = f"{shlex.quote(python)} -m drills.shell prompt 2>/dev/null"
    return (f"__drills_prompt() {{\n"
            f"  local line\n"
            f"  line=$({prompt})\n"
            f"  if [ $? -eq {PROMPT_EXAM_OVER} ] && [ -z \"$__drills_exam_graded\" ]; then\n"
            f"    __drills_exam_graded=1   # once: a cluster that is down must not cost every prompt\n"
            f"    {shlex.quote(python)} -m drills exam status\n"
            f"    line=$({prompt})\n"
            f"  fi\n"
            f"  __drills_ps1=\"${{line:-[drills]}}\"\n"
            f"}}\n")


def rc_text(kind: str, python: str) -> str:
    """The rc file of the exam terminal for `kind` (bash or zsh)."""
    common = (
        "# drills shell: set up like the exam's terminal (generated; deleted when this shell exits)\n"
        "alias k=kubectl\n"
        f"export do={shlex.quote(DO)}\n"
        f"export now={shlex.quote(NOW)}\n"
        # the drills that opened the shell, even when started by path (e.g. ~/.drills/bin/drills)
        f"drills() {{ {shlex.quote(python)} -m drills \"$@\"; }}\n"
    )
    if kind == "bash":
        return (common
                + "source <(kubectl completion bash)\n"
                + "complete -o default -F __start_kubectl k\n"
                + _prompt_hook(python)
                + "PROMPT_COMMAND=__drills_prompt\n"
                # the value is expanded, never decoded again, so the prompt line stays inert text
                + "PS1='${__drills_ps1} $ '\n")
    if kind == "zsh":
        return (common
                + 'autoload -Uz compinit && compinit -u -d "$DRILLS_SHELL/zcompdump"\n'
                + "source <(kubectl completion zsh)\n"
                + "compdef _kubectl k\n"
                + _prompt_hook(python)
                + "autoload -Uz add-zsh-hook && add-zsh-hook precmd __drills_prompt\n"
                + "setopt PROMPT_SUBST\n"
                # % in the line (an exam's score) must not be read as a prompt escape
                + "PROMPT='${__drills_ps1//\\%/%%} $ '\n")
    raise ValueError(f"no rc file for shell {kind!r}")


def shell_argv(kind: str, path: str, state_dir: Path) -> list[str]:
    if kind == "bash":
        return [path, "--noprofile", "--rcfile", str(state_dir / "bashrc"), "-i"]
    return [path, "-i"]   # zsh reads $ZDOTDIR/.zshrc


def rc_path(kind: str, state_dir: Path) -> Path:
    return state_dir / ("bashrc" if kind == "bash" else ".zshrc")


def shell_env(base: dict[str, str], kind: str, state_dir: Path, context: str, home: Path,
              python: str) -> dict[str, str]:
    """The shell's environment: the user's, with kubectl and drills pointed at the drill."""
    env = dict(base)
    env.update({
        "KUBECONFIG": str(state_dir / KUBECONFIG_FILE),
        "DRILLS_CONTEXT": context,
        "DRILLS_HOME": str(home),
        STATE_ENV: str(state_dir),
        "DRILLS_PYTHON": python,
    })
    if kind == "zsh":
        env["ZDOTDIR"] = str(state_dir)
    return env


# --- the private kubeconfig --------------------------------------------------------------------

class KubeconfigError(Exception):
    """kubectl could not read or write a kubeconfig; the message is kubectl's own last line."""


def _kubectl(kubectl: str, args: list[str], env: dict[str, str]) -> str:
    try:
        result = subprocess.run([kubectl, *args], env=env, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise KubeconfigError(str(exc)) from exc
    if result.returncode:
        lines = (result.stderr or result.stdout).strip().splitlines()
        raise KubeconfigError(lines[-1] if lines else f"kubectl exited with {result.returncode}")
    return result.stdout


def write_private_kubeconfig(path: Path, kubectl: str, context: str, namespace: str,
                             user_env: dict[str, str]) -> None:
    """A 0600 copy holding only `context` (kubectl --minify --flatten embeds its certificates, so it
    works from anywhere), current-context set to it, its namespace the drill's. The user's
    kubeconfig is only read."""
    text = _kubectl(kubectl, ["config", "view", "--minify", "--flatten", "--raw", "--context", context],
                    user_env)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    set_namespace(path, kubectl, context, namespace)


def set_namespace(path: Path, kubectl: str, context: str, namespace: str) -> None:
    """The namespace of `context` in the private copy (its only context, and the current one)."""
    env = {**os.environ, "KUBECONFIG": str(path)}
    _kubectl(kubectl, ["config", "set-context", context, "--namespace", namespace], env)


# --- which drill the shell works on ------------------------------------------------------------

def state_dir() -> Path | None:
    value = os.environ.get(STATE_ENV)
    return Path(value) if value and Path(value).is_dir() else None


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def shell_drill() -> str | None:
    """The drill id this shell works on, as a selector for drills check/hint/solution."""
    folder = state_dir()
    drill_id = _read_int(folder / DRILL_FILE) if folder else None
    return str(drill_id) if drill_id is not None else None


def switch_exam_task(exam_id: int, record) -> bool:
    """Inside this exam's shell: work on `record` from now on (namespace and drill). False elsewhere."""
    import shutil
    folder = state_dir()
    if folder is None or _read_int(folder / EXAM_FILE) != exam_id:
        return False
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return False
    try:
        set_namespace(folder / KUBECONFIG_FILE, kubectl, record.context, record.namespace)
    except KubeconfigError:
        return False
    (folder / DRILL_FILE).write_text(f"{record.id}\n")
    return True


# --- the prompt ----------------------------------------------------------------------------------

def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds))   # as drills.ui.duration, which this must not import (Rich)
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return f"{seconds // 60}:{seconds % 60:02d}"


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def prompt_line(db_path: Path, folder: Path, now: datetime | None = None) -> tuple[str, bool]:
    """(prompt text, exam time ran out without being closed)."""
    now = now or datetime.now(timezone.utc)
    drill_id, exam_id = _read_int(folder / DRILL_FILE), _read_int(folder / EXAM_FILE)
    if drill_id is None or not db_path.is_file():
        return "[drills: no drill]", False
    with closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=2)) as db:
        db.row_factory = sqlite3.Row
        drill = db.execute("SELECT * FROM drills WHERE id = ?", (drill_id,)).fetchone()
        exam = db.execute("SELECT * FROM exams WHERE id = ?", (exam_id,)).fetchone() if exam_id else None
        tasks = [r[0] for r in db.execute("SELECT id FROM drills WHERE exam_id = ? ORDER BY id", (exam_id,))] \
            if exam else []
    if drill is None:
        return "[drills: no drill]", False
    where = drill["namespace"]
    started = _parse(drill["started_at"])
    if exam is not None:
        if exam["ended_at"]:
            return f"[exam over: {exam['score']:g}%] {where}", False
        total = exam["minutes"] * 60
        elapsed = (now - _parse(exam["started_at"])).total_seconds()
        if elapsed >= total:
            return f"[exam time is up] {where}", True
        number = tasks.index(drill_id) + 1 if drill_id in tasks else "?"
        done = " solved" if drill["solved_at"] else ""
        return (f"[task {number}/{len(tasks)} {drill['scenario']}{done} "
                f"{_clock(elapsed)}/{_clock(total)}] {where}"), False
    target = drill["target_minutes"] * 60
    if drill["solved_at"]:
        took = (_parse(drill["solved_at"]) - started).total_seconds()
        return f"[{drill['scenario']} solved in {_clock(took)}/{_clock(target)}] {where}", False
    if drill["ended_at"]:
        return f"[{drill['scenario']} ended] {where}", False
    elapsed = (now - started).total_seconds()
    over = " over" if elapsed > target else ""
    return f"[{drill['scenario']} {_clock(elapsed)}/{_clock(target)}{over}] {where}", False


def main(argv: list[str]) -> int:
    if argv[:1] != ["prompt"]:
        print("usage: python -m drills.shell prompt", file=sys.stderr)
        return 2
    folder = state_dir()
    home = os.environ.get("DRILLS_HOME")
    if folder is None or not home:
        print("[drills]")
        return 0
    from drills.store import DB_NAME
    try:
        line, exam_over = prompt_line(Path(home) / DB_NAME, folder)
    except (sqlite3.Error, OSError, ValueError, KeyError, TypeError):
        line, exam_over = "[drills]", False    # a prompt never fails the shell
    print(line)
    return PROMPT_EXAM_OVER if exam_over else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
