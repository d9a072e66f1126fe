"""The `drills` command: a lazy group of one module per verb, and the one place
where exceptions become exit codes.

Verbs load on demand so that `drills list` and `drills render` never import
the Kubernetes client.
"""
from __future__ import annotations

import errno
import importlib
import sqlite3

import click

from drills import __version__
from drills.errors import DrillsError, ExitCode

# verb -> module in drills.commands; the order is the order of `drills --help`.
COMMANDS = {
    "list": "list_cmd",
    "show": "show",
    "render": "render_cmd",
    "new": "new",
    "start": "start",
    "status": "status",
    "next": "next",
    "check": "check",
    "watch": "watch",
    "hint": "hint",
    "solution": "solution",
    "reset": "reset",
    "grade": "grade",
    "assign": "assign",
    "exam": "exam",
    "shell": "shell",
    "history": "history",
    "stats": "stats",
    "cluster": "cluster_cmd",
    "doctor": "doctor",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        module = COMMANDS.get(name)
        if module is None:
            return None
        return importlib.import_module(f"drills.commands.{module}").command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Short help from each module's docstring line, without importing heavy modules twice.
        # as much of each line as the help's width leaves beside the names, not a fixed 60
        limit = max(40, formatter.width - formatter.current_indent - max(map(len, COMMANDS)) - 4)
        rows = [(name, (self.get_command(ctx, name).get_short_help_str(limit))) for name in COMMANDS]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="drills")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Timed, graded CKA Services & Networking drills on a local kind cluster.

    \b
    Typical session:
      drills list                      what there is to practise
      drills start selector-mismatch   deploy a broken setup, start the clock
      drills check                     grade your fix (API + in-cluster probes)
      drills reset --all               remove every drill namespace
    """
    from drills.deadline import close_expired_exams
    close_expired_exams(ctx.invoked_subcommand)   # a mock exam ends by itself at its deadline


def exit_status_for(exc: BaseException) -> tuple[int, str]:
    """Map any exception to (exit code, one line for the user)."""
    if isinstance(exc, DrillsError):
        return int(exc.exit_code), exc.one_line()
    if isinstance(exc, click.exceptions.NoSuchOption | click.exceptions.BadParameter
                  | click.exceptions.MissingParameter | click.UsageError):
        command = exc.ctx.command_path if getattr(exc, "ctx", None) else "drills"
        return int(ExitCode.USAGE), f"{exc.format_message()} (see '{command} --help')"
    if isinstance(exc, (KeyboardInterrupt, click.exceptions.Abort)):
        return int(ExitCode.INTERRUPTED), "interrupted; anything drills had started was cleaned up"
    if isinstance(exc, sqlite3.Error):
        return int(ExitCode.STORE_ERROR), (f"history database error ({exc}) "
                                           "(check that DRILLS_HOME is writable)")
    if isinstance(exc, click.ClickException):
        return int(ExitCode.USAGE), exc.format_message()
    mapped = _cluster_exception(exc)
    if mapped:
        return mapped
    raise exc


def _cluster_exception(exc: BaseException) -> tuple[int, str] | None:
    """API and network errors that escaped the runtime's own mapping."""
    name = type(exc).__name__
    module = type(exc).__module__ or ""
    if module.startswith(("urllib3", "kubernetes")) or name in {"MaxRetryError", "ConnectionError"}:
        status = getattr(exc, "status", None)
        if status in (401, 403):
            return int(ExitCode.CLUSTER_UNREACHABLE), (f"the Kubernetes API refused drills "
                                                       f"(HTTP {status}) (check the context's credentials and RBAC)")
        return int(ExitCode.CLUSTER_UNREACHABLE), (f"the Kubernetes API is unreachable ({name}) "
                                                   "(check the cluster with 'drills doctor')")
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return int(ExitCode.CLUSTER_UNREACHABLE), f"network error: {exc} (check the cluster with 'drills doctor')"
    return None


OUTPUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG}


def _stdout_failure(exc: BaseException) -> tuple[int, str | None] | None:
    """A write to stdout that failed: a closed pipe ends silently (`drills list | head -1`),
    a full disk in one line (`drills history > /dev/full`). Later writes go to /dev/null,
    so interpreter shutdown does not print a second complaint."""
    if not isinstance(exc, OSError) or exc.errno not in OUTPUT_ERRNOS | {errno.EPIPE}:
        return None
    import os
    import sys
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.__stdout__.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
    if exc.errno == errno.EPIPE:
        return int(ExitCode.OUTPUT_FAILED), None
    return int(ExitCode.OUTPUT_FAILED), (f"the output cannot be written ({exc.strerror}) "
                                         "(free some space, or send the output elsewhere)")


def _answered_broken_pipe() -> bool:
    """click and Rich answer EPIPE on stdout with SystemExit(1) of their own."""
    import sys

    from click.utils import PacifyFlushWrapper
    ui = sys.modules.get("drills.ui")
    return isinstance(sys.stdout, PacifyFlushWrapper) or bool(ui and getattr(ui.out, "quiet", False))


def main(argv: list[str] | None = None) -> int:
    import logging
    import sys
    # Libraries that log through the root logger (the kubernetes client does) would
    # otherwise make logging print 'ERROR:root:' lines of its own.
    root = logging.getLogger()
    if not any(isinstance(h, logging.NullHandler) for h in root.handlers):
        root.addHandler(logging.NullHandler())
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        argv = ["--help"]   # a bare `drills` is a request for help, not a usage error
    try:
        try:
            result = cli.main(args=argv, prog_name="drills", standalone_mode=False)
        finally:
            sys.stdout.flush()      # a full disk shows here when the output was buffered
    except click.exceptions.Exit as exc:   # --help, --version
        return int(exc.exit_code)
    except BaseException as exc:  # noqa: BLE001 - this is the one place errors become exit codes
        if isinstance(exc, SystemExit):
            if _answered_broken_pipe():
                return _stdout_failure(BrokenPipeError(errno.EPIPE, "Broken pipe"))[0]
            raise
        output = _stdout_failure(exc)
        if output is not None:
            code, line = output
        else:
            code, line = exit_status_for(exc)
        if line is not None:
            from drills.ui import inert   # the line may quote a cluster's or a pack's strings
            click.echo(f"drills: error: {inert(line)}", err=True)
        return code
    return int(result or 0)
