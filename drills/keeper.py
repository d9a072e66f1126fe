"""The deadline keeper: a detached process that grades a mock exam as it stands at its deadline.

`drills exam start` starts one per exam (`python -m drills.keeper EXAM_ID TOKEN`, in a session of
its own, output to a 0600 log in DRILLS_HOME/keepers/). It sleeps in short steps against the wall
clock, so a laptop that slept through the deadline grades promptly on waking, and leaves at once
when the exam was ended, abandoned (every task reset) or handed to another keeper. At the deadline
it grades and closes the exam through the same code as `drills exam end` and the next-command
hook (drills.commands.exam.grade_once); the store decides which of them grades. It reads only the
exam's own drill namespaces, on the context and kubeconfig the exam was started with.

`drills exam end` and `drills reset --all` stop it by the pid recorded in the store, after checking
that the process's command line is this keeper's (module and token), never a process that merely
reused the pid.
"""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

MODULE = "drills.keeper"
POLL_S = 1.0             # wall-clock look interval: a suspended machine ends at most this late on waking
STOP_WAIT_S = 3.0        # how long a stop waits for the keeper to leave
LOG_FOLDER = "keepers"


def log_path(exam_id: int) -> Path:
    from drills.config import home
    return home() / LOG_FOLDER / f"exam-{exam_id}.log"


def _open_log(exam_id: int) -> int:
    from drills.private import private_folder, tighten
    path = log_path(exam_id)
    private_folder(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    tighten(fd)
    return fd


def _absolute_paths(value: str) -> str:
    return os.pathsep.join(str(Path(p).expanduser().absolute()) for p in value.split(os.pathsep) if p)


def keeper_env(kubeconfig: str | None) -> dict[str, str]:
    """The start command's environment, with the kubeconfig it connected through pinned and every
    path absolute (the keeper runs from DRILLS_HOME, not the learner's folder)."""
    env = dict(os.environ)
    if kubeconfig:
        env["KUBECONFIG"] = kubeconfig
    for name in ("KUBECONFIG", "DRILLS_HOME", "DRILLS_SCENARIO_PATH"):
        if env.get(name):
            env[name] = _absolute_paths(env[name])
    env.pop("DRILLS_SHELL", None)   # the keeper is nobody's exam terminal
    return env


def spawn(store, exam_id: int, kubeconfig: str | None) -> int:
    """Start the keeper of `exam_id`, detached; returns its pid. The token is stored before the
    process exists, so the keeper always finds itself in the store."""
    from drills.config import home
    token = secrets.token_hex(16)
    store.set_keeper(exam_id, token)
    log = _open_log(exam_id)
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", MODULE, str(exam_id), token], stdin=subprocess.DEVNULL, stdout=log,
            stderr=log, cwd=str(home()), env=keeper_env(kubeconfig), start_new_session=True,
            close_fds=True)
    finally:
        os.close(log)
    store.set_keeper(exam_id, token, process.pid)
    return process.pid


# --- is that pid our keeper? --------------------------------------------------------------------

def command_line(pid: int) -> list[str] | None:
    """The process's argv, or None when there is no such (live) process."""
    proc = Path(f"/proc/{pid}/cmdline")
    if Path("/proc/self/cmdline").exists():
        try:
            raw = proc.read_bytes()
        except OSError:
            return None
        return raw.decode(errors="replace").split("\0")[:-1] or None   # a zombie has none
    try:   # no /proc (macOS): ask ps
        shown = subprocess.run(["ps", "-o", "command=", "-p", str(pid)], capture_output=True,
                               text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return shown.stdout.split() or None


def is_keeper(pid: int | None, token: str | None) -> bool:
    """Whether `pid` is, right now, the keeper that carries `token` on its command line."""
    if not pid or not token:
        return False
    argv = command_line(pid)
    return bool(argv) and MODULE in argv and token in argv


def watching(exam: dict) -> bool:
    return is_keeper(exam.get("keeper_pid"), exam.get("keeper_token"))


def process_alive(pid: int) -> bool:
    """Any live process with this pid (for grading claims: the claimant may be any drills command)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    argv = command_line(pid)
    return argv is not None or not Path("/proc/self/cmdline").exists()


def stop(store, exam: dict, why: str) -> bool:
    """Stop the exam's keeper if it is running (verified by its command line); True if one was."""
    pid, token = exam.get("keeper_pid"), exam.get("keeper_token")
    if not is_keeper(pid, token):
        if token:
            store.keeper_left(exam["id"], token)
        return False
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    waited = time.monotonic() + STOP_WAIT_S
    while is_keeper(pid, token) and time.monotonic() < waited:
        try:    # our own child (a test, or exam start and end in one process): reap it
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.05)
    store.keeper_left(exam["id"], token, why)
    return True


def stop_all(store, context: str, why: str) -> int:
    """Stop the keepers of every open exam on `context` (drills reset --all)."""
    rows = store.db.execute("SELECT * FROM exams WHERE ended_at IS NULL AND context = ?", (context,))
    return sum(stop(store, dict(row), why) for row in rows.fetchall())


# --- the keeper process -------------------------------------------------------------------------

def _say(text: str) -> None:
    """One log line; cluster strings in it are escaped, as on a terminal (the log may be cat'ed)."""
    from drills.store import iso, utcnow
    from drills.ui import inert
    sys.stdout.write(f"{iso(utcnow())} {inert(text)}\n")
    sys.stdout.flush()


def deadline_of(exam: dict):
    from datetime import timedelta

    from drills.store import parse_iso
    return parse_iso(exam["started_at"]) + timedelta(minutes=exam["minutes"])


def _reason_to_leave(store, exam: dict | None, exam_id: int, token: str) -> str | None:
    if exam is None:
        return f"exam {exam_id} is not in the history database"
    if exam["ended_at"]:
        return "the exam was ended"
    if exam["keeper_token"] != token:
        return "another keeper watches this exam"
    open_tasks = store.db.execute("SELECT COUNT(*) FROM drills WHERE exam_id = ? AND ended_at IS NULL",
                                  (exam_id,)).fetchone()[0]
    if not open_tasks:
        return "the exam was abandoned (its tasks were reset)"
    return None


def _context_known(context: str) -> str | None:
    """None when `context` is in the kubeconfig; else why not (nothing could ever be graded)."""
    from drills.cluster.session import kubeconfig_contexts, kubeconfig_paths
    try:
        paths = kubeconfig_paths()
        if context in kubeconfig_contexts(paths):
            return None
    except Exception as exc:  # noqa: BLE001 - an unreadable kubeconfig is the same answer
        return f"the kubeconfig cannot be read ({type(exc).__name__})"
    return f"context {context} is not in kubeconfig {os.pathsep.join(map(str, paths))}"


def run(exam_id: int, token: str) -> int:
    from drills.store import Store, utcnow

    def stopped(signum, frame):
        raise SystemExit(0)   # unwinds: a claim being held is released

    signal.signal(signal.SIGTERM, stopped)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    store = Store()
    exam = store.exam(exam_id)
    _say(f"keeper of exam {exam_id} started (pid {os.getpid()})")
    if exam is not None and not exam["ended_at"]:
        unknown = _context_known(exam["context"])
        if unknown:
            _say(f"leaving: {unknown}")
            store.keeper_left(exam_id, token, f"no deadline keeper could watch the clock: {unknown}")
            return 0
        _say(f"watching context {exam['context']} until {deadline_of(exam).isoformat()}")
    warmed = False
    while True:
        if not store.path.exists():
            _say("leaving: the history database was removed")
            return 0
        exam = store.exam(exam_id)
        reason = _reason_to_leave(store, exam, exam_id, token)
        if reason:
            _say(f"leaving: {reason}")
            store.keeper_left(exam_id, token)
            return 0
        remaining = (deadline_of(exam) - utcnow()).total_seconds()   # the wall clock, re-read each step
        if remaining <= 0:
            break
        if remaining < 30 and not warmed:   # load the grading code now, so grading starts on the dot
            import kubernetes.client  # noqa: F401
            import drills.commands.exam  # noqa: F401
            import drills.graders.judge  # noqa: F401
            warmed = True
        time.sleep(min(POLL_S, remaining))
    _say("deadline reached: grading")
    from drills.commands.exam import grade_once
    note = None
    try:
        after, graded = grade_once(store, exam, exam["context"], by="keeper")
    except Exception as exc:  # noqa: BLE001 - logged; the next drills command grades instead
        line = _one_line(exc)
        note = f"the deadline keeper could not grade at the deadline: {line}"
        _say(f"could not grade: {line}")
    else:
        if not graded:
            _say("another drills command graded the exam")
        elif after["ended_at"]:
            _say(f"graded and closed: score {after['score']:g}%")
        else:
            import json
            trouble = (json.loads(after["result"] or "{}")).get("trouble")
            note = ("the deadline keeper could not reach the cluster at the deadline: " + trouble if trouble
                    else "the deadline keeper could not decide every task (ERROR)")
            _say(f"some tasks could not be decided (ERROR): {trouble or 'see the exam'}; "
                 "the next drills command grades them")
    store.keeper_left(exam_id, token, note)
    return 0


def _one_line(exc: BaseException) -> str:
    from drills.errors import DrillsError
    if isinstance(exc, DrillsError):
        return exc.one_line()
    from drills.cli import _cluster_exception
    mapped = _cluster_exception(exc)
    return mapped[1] if mapped else f"{type(exc).__name__}: {exc}"


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not argv[0].isdigit():
        sys.stderr.write("usage: python -m drills.keeper EXAM_ID TOKEN (started by 'drills exam start')\n")
        return 2
    return run(int(argv[0]), argv[1])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
