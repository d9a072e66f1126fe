"""Class totals every report shows: per task pass rate, median solve time, and the
checks the class failed, in troubleshooting-path order. Pure."""
from __future__ import annotations

import statistics
from typing import Any

PASS, FAIL, ERROR = "PASS", "FAIL", "ERROR"


def _ordered(values) -> list:
    seen: dict = {}
    for value in values:
        seen.setdefault(value, None)
    return list(seen)


def learners(rows: list[dict]) -> list[str]:
    return _ordered(r["learner"] for r in rows)


def tasks(rows: list[dict]) -> list[str]:
    return sorted(_ordered(r["task"] for r in rows if r["task"] != "-"))


def cells(rows: list[dict]) -> dict[tuple[str, str], list[dict]]:
    """(learner, task) -> that learner's rows of the task ("-": the learner's context failed)."""
    out: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        out.setdefault((row["learner"], row["task"]), []).append(row)
    return out


def summarise(rows: list[dict]) -> dict[str, Any]:
    per_task = []
    for task in tasks(rows):
        graded = [r for r in rows if r["task"] == task]
        passed = [r for r in graded if r["status"] == PASS]
        solve = [r["solve_seconds"] for r in passed if r.get("solve_seconds") is not None]
        path: dict[str, dict[str, Any]] = {}
        for row in graded:
            for position, check in enumerate(row.get("checks") or []):
                entry = path.setdefault(check["name"], {"name": check["name"], "check": check["check"],
                                                        "stage": check.get("stage"), "position": position,
                                                        "failed": 0, "error": 0, "diagnosed": 0})
                entry["failed"] += check["status"] == FAIL
                entry["error"] += check["status"] == ERROR
            diag = row.get("diagnosis") or {}
            if diag.get("name") in path:
                path[diag["name"]]["diagnosed"] += 1
        per_task.append({
            "task": task, "learners": len(_ordered(r["learner"] for r in graded)),
            "passed": len(passed), "failed": sum(r["status"] == FAIL for r in graded),
            "errors": sum(r["status"] == ERROR for r in graded),
            "pass_rate": round(100.0 * len(passed) / len(graded), 1) if graded else 0.0,
            "median_solve_seconds": round(statistics.median(solve), 1) if solve else None,
            "mean_score": round(statistics.fmean(r["score"] for r in graded), 1) if graded else 0.0,
            "path": sorted(path.values(), key=lambda e: e["position"]),
        })
    most_failed = sorted(
        ({"task": t["task"], **{k: c[k] for k in ("name", "check", "position", "failed", "diagnosed")}}
         for t in per_task for c in t["path"] if c["failed"]),
        key=lambda e: (-e["failed"], -e["diagnosed"], e["task"], e["position"]))[:10]
    by_learner = []
    for learner in learners(rows):
        own = [r for r in rows if r["learner"] == learner]
        by_learner.append({"learner": learner, "tasks": sum(r["task"] != "-" for r in own),
                           "passed": sum(r["status"] == PASS for r in own),
                           "errors": sum(r["status"] == ERROR for r in own),
                           "mean_score": round(statistics.fmean(r["score"] for r in own), 1) if own else 0.0})
    return {
        "learners": len(by_learner), "rows": len(rows),
        "passed": sum(r["status"] == PASS for r in rows), "failed": sum(r["status"] == FAIL for r in rows),
        "errors": sum(r["status"] == ERROR for r in rows),
        "mean_score": round(statistics.fmean(r["score"] for r in rows), 1) if rows else 0.0,
        "tasks": per_task, "most_failed": most_failed, "by_learner": by_learner,
    }


def clock(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"
