"""Terminal: learners x tasks with status, score and time, then the class totals."""
from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

from drills.reports import summary as S

STYLE = {"PASS": "bold green", "FAIL": "bold red", "ERROR": "bold yellow"}


def tables(run: dict[str, Any]) -> list[Table]:
    rows = run["rows"]
    learners, tasks, cells = S.learners(rows), S.tasks(rows), S.cells(rows)
    summary = S.summarise(rows)
    matrix = Table(title=f"class run {run['class_run']}")
    matrix.add_column("learner", no_wrap=True)
    for task in tasks:
        matrix.add_column(task, justify="center")
    matrix.add_column("mean", justify="right")
    for learner, totals in zip(learners, summary["by_learner"]):
        line = [Text(learner)]      # learner names come from clusters: never markup
        for task in tasks:
            found = cells.get((learner, task)) or []
            cell = Text()
            for n, row in enumerate(found):
                cell.append(("\n" if n else "") + row["status"], STYLE[row["status"]])
                cell.append(f" {row['score']:g}% {S.clock(row.get('elapsed_seconds'))}")
            line.append(cell if found else Text("-", "dim"))
        line.append(Text(f"{totals['mean_score']:g}%"))
        matrix.add_row(*line)
    problems = Table(title="not graded (infrastructure, not the learner's fault)")
    for col in ("learner", "task", "why"):
        problems.add_column(col)
    for row in rows:
        if row["status"] == "ERROR":
            problems.add_row(Text(row["learner"]), Text(row["task"]),
                             Text((row.get("diagnosis") or {}).get("message") or ""))
    per_task = Table(title="class totals")
    for col in ("task", "pass rate", "median solve", "FAIL", "ERROR", "failed most (first failure)"):
        per_task.add_column(col)
    for task in summary["tasks"]:
        top = max(task["path"], key=lambda c: (c["diagnosed"], -c["position"]), default=None)
        per_task.add_row(Text(task["task"]), f"{task['pass_rate']:g}%", S.clock(task["median_solve_seconds"]),
                         str(task["failed"]), str(task["errors"]),
                         Text(f"{top['name']} ({top['diagnosed']})" if top and top["diagnosed"] else "-"))
    out = [matrix, per_task]
    if problems.row_count:
        out.insert(1, problems)
    return out


def print_run(run: dict[str, Any]) -> None:
    from drills.ui import out
    for table in tables(run):
        out.print(table)
    summary = S.summarise(run["rows"])
    out.print(f"{summary['learners']} learners: {summary['passed']} PASS, {summary['failed']} FAIL, "
              f"{summary['errors']} ERROR; mean score {summary['mean_score']:g}%. "
              f"Class run {run['class_run']}.", markup=False)
