"""Benchmark: rendering the class report of 30 learners x 15 tasks in every format.

    python bench/bench_report.py [--learners 30] [--tasks 15]

Rows are judged from the recorded bundles in tests/fixtures/recorded (so each has
a real check table), spread over 15 task names. Target: the HTML report under 1 s.
Prints figures and exits 0; it asserts no time.
"""
from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drills import classroom  # noqa: E402
from drills.graders.judge import judge  # noqa: E402
from drills.render import replay  # noqa: E402
from drills.reports import render_report  # noqa: E402

TARGET_S = 1.0


def rows(learners: int, tasks: int) -> list[dict]:
    from bench.bench_class import RECORDINGS
    from tests.classroom.fake_cluster import recorded
    judged = []
    for name in RECORDINGS:
        bundle = recorded(name)
        judged.append((bundle, judge(replay(bundle["drill"]), bundle)))
    out = []
    for learner in range(learners):
        for task in range(tasks):
            bundle, report = judged[(learner + task) % len(judged)]
            row = classroom.report_row(f"learner-{learner:02d}", f"ctx-{learner:02d}", f"ctx-{learner:02d}",
                                       report, bundle["drill"], "2026-12-01T20:00:00Z")
            row = copy.deepcopy(row)
            row["task"] = f"task-{task:02d} {row['task']}"
            out.append(row)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument("--tasks", type=int, default=15)
    args = parser.parse_args()
    run = {"class_run": "bench", "started_at": "2026-12-01T20:00:00Z", "ended_at": None,
           "source": "bench", "interrupted": False, "targets": args.learners,
           "rows": rows(args.learners, args.tasks)}
    print(f"{args.learners} learners x {args.tasks} tasks = {len(run['rows'])} results")
    for suffix in (".html", ".json", ".csv", ".xml"):
        render_report(run, suffix)          # first call compiles the template
        times = []
        for _ in range(3):
            began = time.perf_counter()
            text = render_report(run, suffix)
            times.append(time.perf_counter() - began)
        best = min(times)
        verdict = f"; target < {TARGET_S:g} s: {'met' if best < TARGET_S else 'NOT met'}" if suffix == ".html" else ""
        print(f"{suffix:6} {best * 1000:7.1f} ms (best of 3), {len(text) / 1024:.0f} KiB{verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
