"""drills shell: an interactive shell set up like the exam's terminal, working on the drill."""
from __future__ import annotations

import click

from drills.commands._common import context_option, open_store, pick_drill

KUBECTL_INSTALL = ("install it: https://kubernetes.io/docs/tasks/tools/ "
                   "(Debian/Ubuntu: apt-get install kubectl; macOS: brew install kubectl)")


@click.command("shell")
@click.argument("drill", required=False)
@click.option("--exam", "exam_mode", is_flag=True,
              help="Work on the running mock exam: exam clock and task number in the prompt; "
                   "'drills exam task N' switches the namespace.")
@context_option
def command(drill: str | None, exam_mode: bool, context_flag: str | None) -> int:
    """A shell like the exam's terminal, in the drill's namespace.

    k is kubectl (with completion), $do is --dry-run=client -o yaml, $now is --force
    --grace-period 0, and the prompt shows the drill's clock. Your kubeconfig is never modified: the shell uses a private copy of the drill's context
    only, deleted when you leave. Leaving ('exit') keeps the drill and its clock running.
    """
    import os
    import shutil
    import sys
    import tempfile
    from pathlib import Path

    from drills import shell
    from drills.config import chosen_context, home
    from drills.errors import NoActiveDrill, NoCluster, UsageError
    from drills.ui import assemble, out

    if shell.state_dir() is not None:
        raise UsageError("this is already a drills shell", "type 'exit' first, then 'drills shell' again")
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise NoCluster("kubectl is not installed", KUBECTL_INSTALL)
    chosen = shell.choose_shell(os.environ.get("SHELL"), shutil.which)
    if chosen is None:
        raise NoCluster("bash is not installed", "install bash (Debian/Ubuntu: apt-get install bash)")
    kind, shell_path = chosen
    context, _ = chosen_context(context_flag)
    store = open_store()
    exam = None
    if exam_mode:
        if drill:
            raise UsageError("--exam works on the exam's tasks, not on a named drill",
                             "drop the DRILL argument; switch tasks with 'drills exam task N'")
        exam = store.open_exam(context)
        records = store.exam_drills(exam["id"]) if exam else []
        if not records:
            raise NoActiveDrill(f"no exam is running on context {context}",
                                "start one with 'drills exam start'")
        record = records[0]
    else:
        record = pick_drill(store, context, drill)

    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="drills-shell-") as tmp:   # mode 0700, removed on exit
        folder = Path(tmp)
        try:
            shell.write_private_kubeconfig(folder / shell.KUBECONFIG_FILE, kubectl, record.context,
                                           record.namespace, dict(os.environ))
        except shell.KubeconfigError as exc:
            raise NoCluster(f"kubectl cannot copy context {record.context} from your kubeconfig ({exc})",
                            "check KUBECONFIG, or name the context with --context") from exc
        (folder / shell.DRILL_FILE).write_text(f"{record.id}\n")
        if exam:
            (folder / shell.EXAM_FILE).write_text(f"{exam['id']}\n")
        shell.rc_path(kind, folder).write_text(shell.rc_text(kind, python))
        env = shell.shell_env(dict(os.environ), kind, folder, record.context, home(), python)
        what = (f"mock exam, task 1 of {len(records)}" if exam else record.scenario)
        out.print(assemble(f"drills shell ({what}): namespace {record.namespace} on context {record.context}."),
                  soft_wrap=True)
        out.print("k = kubectl (with completion), $do = --dry-run=client -o yaml, "
                  "$now = --force --grace-period 0. 'exit' leaves; the clock keeps running.", soft_wrap=True)
        _run(shell.shell_argv(kind, shell_path, folder), env)
    _say_goodbye(store, record.id, exam)
    return 0


def _run(argv: list[str], env: dict[str, str]) -> None:
    """Run the interactive shell in the foreground. Ctrl-C belongs to it: drills only waits.
    A Python handler (not SIG_IGN) is used because an ignored SIGINT would be inherited by the
    shell and by every kubectl it runs."""
    import signal
    import subprocess
    previous = signal.signal(signal.SIGINT, lambda *_: None)
    try:
        subprocess.call(argv, env=env)
    finally:
        signal.signal(signal.SIGINT, previous)


def _say_goodbye(store, drill_id: int, exam: dict | None) -> None:
    from drills.ui import assemble, clock_text, duration, out
    if exam:
        current = store.open_exam(exam["context"])
        from drills.commands.exam import remaining_seconds
        left = remaining_seconds(exam)
        if current is None or current["id"] != exam["id"]:
            out.print("Left the drills shell. The exam is over.", soft_wrap=True)
        elif left <= 0:
            from drills import keeper
            who = ("its deadline keeper is grading it as it stood at the deadline" if keeper.watching(current)
                   else "the next drills command grades and closes it")
            out.print(f"Left the drills shell. The exam's time is up: {who}.", soft_wrap=True)
        else:
            out.print(f"Left the drills shell. The exam keeps running: {duration(left)} left. "
                      "'drills shell --exam' re-enters.", soft_wrap=True)
        return
    record = store.drill(drill_id)
    clock = clock_text(record.elapsed_seconds(), record.target_minutes)
    if record.solved_at:
        out.print(assemble("Left the drills shell. ", (record.scenario, "bold"), " is solved (") + clock + ").",
                  soft_wrap=True)
    elif record.ended_at:
        out.print(assemble("Left the drills shell. ", (record.scenario, "bold"), " has ended."), soft_wrap=True)
    else:
        out.print(assemble("Left the drills shell. ", (record.scenario, "bold"), " is still running (") + clock
                  + "); 'drills shell' re-enters, 'drills check' grades.", soft_wrap=True)
