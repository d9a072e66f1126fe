"""Every foreseeable failure, its exit code and its one-line fix, in one place.

The CLI catches DrillsError (and a few foreign exceptions, mapped in
`drills.cli.exit_status_for`) and prints `error: <cause> (<fix>)`; nothing
else in drills decides exit codes.
"""
from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    CHECKS_FAILED = 1          # the learner's fix is not complete yet
    USAGE = 2                  # bad flags, arguments or settings (click uses 2 as well)
    UNKNOWN_SCENARIO = 3
    BAD_SCENARIO_PACK = 4      # a scenario folder fails validation or rendering
    NO_CLUSTER = 5             # no such context / kind cluster, or a missing tool
    CLUSTER_UNREACHABLE = 6    # API server down, timed out, or forbidden
    GRADING_ERROR = 7          # evidence could not decide (probe pod, API error)
    NO_ACTIVE_DRILL = 8
    FAULT_NOT_VERIFIED = 9     # the broken state never showed; nothing was left behind
    BAD_EVIDENCE = 10          # an evidence file that is not a drills bundle
    STORE_ERROR = 11           # the local history database cannot be used
    UNSAFE_TARGET = 12         # a namespace or context drills refuses to touch
    OUTPUT_FAILED = 13         # stdout cannot be written (disk full; a closed pipe ends silently)
    INTERRUPTED = 130          # Ctrl-C, after cleanup


class DrillsError(Exception):
    """A failure with a cause the user can act on."""

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class UsageError(DrillsError):
    exit_code = ExitCode.USAGE


class SettingsError(UsageError):
    """A bad environment variable or DRILLS_HOME/config.yaml value: the user's to fix (exit 2)."""
    exit_code = ExitCode.USAGE


class UnknownScenario(DrillsError):
    exit_code = ExitCode.UNKNOWN_SCENARIO


class BadScenarioPack(DrillsError):
    exit_code = ExitCode.BAD_SCENARIO_PACK


class NoCluster(DrillsError):
    exit_code = ExitCode.NO_CLUSTER


class ClusterUnreachable(DrillsError):
    exit_code = ExitCode.CLUSTER_UNREACHABLE


class GradingError(DrillsError):
    exit_code = ExitCode.GRADING_ERROR


class NoActiveDrill(DrillsError):
    exit_code = ExitCode.NO_ACTIVE_DRILL


class FaultNotVerified(DrillsError):
    exit_code = ExitCode.FAULT_NOT_VERIFIED


class BadEvidence(DrillsError):
    exit_code = ExitCode.BAD_EVIDENCE


class StoreError(DrillsError):
    exit_code = ExitCode.STORE_ERROR


class UnsafeTarget(DrillsError):
    exit_code = ExitCode.UNSAFE_TARGET


class Interrupted(DrillsError):
    """Ctrl-C where the default message ('cleaned up') would mislead."""
    exit_code = ExitCode.INTERRUPTED
