"""Terminal output: Rich consoles, report tables, durations. Imported by verbs only."""
from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console
from rich.table import Table

out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False)

STATUS_STYLE = {"PASS": "bold green", "FAIL": "bold red", "ERROR": "bold yellow"}


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def clock_line(elapsed: float, target_minutes: float) -> str:
    target = target_minutes * 60
    style = "green" if elapsed <= target else "red"
    return f"[{style}]{duration(elapsed)}[/] of {duration(target)} target"


def report_table(report) -> Table:
    table = Table(show_lines=False, title=f"{report.scenario} (seed {report.seed}) in {report.namespace}")
    table.add_column("", no_wrap=True)
    table.add_column("check", no_wrap=True)
    table.add_column("result")
    for r in report.results:
        table.add_row(f"[{STATUS_STYLE[r.status]}]{r.status}[/]", r.name, r.message)
    return table


def print_report(report, elapsed: float | None = None, target_minutes: float | None = None) -> None:
    out.print(report_table(report))
    diag = report.diagnosis
    if diag is None:
        out.print(f"[bold green]All {len(report.results)} checks pass.[/] Score {report.score:g}%.")
    else:
        label = "Diagnosis" if diag.status == "FAIL" else "Could not decide"
        out.print(f"[bold]{label}:[/] {diag.message}")
        if diag.hint:
            out.print(f"[bold]Look with:[/] {diag.hint}")
        out.print(f"Score {report.score:g}%.")
    if elapsed is not None and target_minutes is not None:
        out.print(f"Time: {clock_line(elapsed, target_minutes)}")


def print_rows(rows: list[dict], *, as_json: bool, title: str, columns: tuple[str, ...],
               cells, empty: str) -> None:
    """The one way list-like verbs print: JSON for scripts, else a table (or `empty`).
    `cells(row)` gives the table cells of one row, in column order."""
    if as_json:
        print_json(rows)
        return
    if not rows:
        out.print(empty)
        return
    table = Table(title=title)
    for col in columns:
        table.add_column(col, no_wrap=col in ("namespace", "scenario"))
    for row in rows:
        table.add_row(*cells(row))
    out.print(table)
