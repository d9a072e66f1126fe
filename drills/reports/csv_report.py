"""CSV: one row per learner x task, for spreadsheets."""
from __future__ import annotations

import csv
import io
from typing import Any

COLUMNS = ("learner", "context", "task", "scenario", "level", "seed", "code", "namespace", "status",
           "score", "elapsed_seconds", "solve_seconds", "checks_passed", "checks_total",
           "diagnosis_check", "diagnosis_message", "error")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert(value: Any) -> Any:
    """Learners name their own namespaces and objects: a cell a spreadsheet would
    run as a formula is prefixed with an apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def render(run: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in run["rows"]:
        diag = row.get("diagnosis") or {}
        checks = row.get("checks") or []
        values = {**row, "checks_passed": sum(c["status"] == "PASS" for c in checks),
                  "checks_total": len(checks), "diagnosis_check": diag.get("check"),
                  "diagnosis_message": diag.get("message")}
        writer.writerow([inert(values.get(col)) for col in COLUMNS])
    return buffer.getvalue()
