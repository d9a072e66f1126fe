"""Benchmark: grading a class of 30 contexts with --jobs 8 against --jobs 1.

    python bench/bench_class.py [--contexts 30] [--latency-ms 20]

Offline part: 30 fake learner API servers on loopback (tests/classroom/fake_cluster.py:
recorded objects, exec replayed over a real websocket), each answering every request
after a fixed latency, one drill each. Target: 30 contexts in at most 30 s on 2 cores
with --jobs 8.

Live part, when DRILLS_CONTEXT names a reachable cluster: a temporary kubeconfig with
30 contexts that all point at that cluster, 30 drills started (one per context, each
context grading only its own), graded the same two ways, then reset.
Prints figures and exits 0; it asserts no time.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drills import classroom  # noqa: E402
from drills.errors import DrillsError  # noqa: E402

TARGET_S = 30.0
RECORDINGS = ["selector-mismatch/seed1-reference", "wrong-targetport/seed1-reference",
              "missing-nodeport/seed1-reference", "selector-mismatch/seed1-broken",
              "wrong-targetport/seed1-broken"]


def timed_run(contexts: list[str], jobs: int, only: dict[str, list[str]] | None = None) -> tuple[float, dict, list]:
    per_context: dict[str, float] = {}

    def grade_one(context: str) -> list[dict]:
        began = time.perf_counter()
        rows = classroom.grade_context(context, timeout=120, only=(only or {}).get(context))
        per_context[context] = time.perf_counter() - began
        return rows

    began = time.perf_counter()
    rows, _ = classroom.run_all(contexts, grade_one, jobs=jobs)
    return time.perf_counter() - began, per_context, rows


def report(label: str, contexts: list[str], only=None) -> None:
    figures = {}
    for jobs in (8, 1):
        total, per_context, rows = timed_run(contexts, jobs, only)
        statuses = {s: sum(r["status"] == s for r in rows) for s in ("PASS", "FAIL", "ERROR")}
        times = sorted(per_context.values())
        figures[jobs] = total
        print(f"{label} --jobs {jobs}: {len(contexts)} contexts in {total:.2f} s "
              f"(per context: median {statistics.median(times):.2f} s, min {times[0]:.2f} s, "
              f"max {times[-1]:.2f} s; rows {statuses})")
        for context in contexts[:3]:
            print(f"    {context}: {per_context[context]:.2f} s")
    print(f"{label}: speed-up of --jobs 8 over --jobs 1: {figures[1] / figures[8]:.1f}x; "
          f"target <= {TARGET_S:g} s with --jobs 8: {'met' if figures[8] <= TARGET_S else 'NOT met'}")


def offline(count: int, latency_ms: float) -> None:
    from tests.classroom.fake_cluster import FakeCluster, recorded
    from tests.unit.cluster.apiserver import write_kubeconfig
    servers = [FakeCluster([recorded(RECORDINGS[n % len(RECORDINGS)])], latency_s=latency_ms / 1000)
               for n in range(count)]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = write_kubeconfig(Path(tmp) / "class", {f"learner-{n:02d}": s.url
                                                          for n, s in enumerate(servers)})
            os.environ["KUBECONFIG"] = str(path)
            requests_before = sum(len(s.requests) for s in servers)
            report(f"fake servers ({latency_ms:g} ms per request)", [f"learner-{n:02d}" for n in range(count)])
            made = sum(len(s.requests) for s in servers) - requests_before
            print(f"    {made} API requests in both runs ({made / count / 2:.0f} per context and run)")
    finally:
        for server in servers:
            server.close()


def live(count: int) -> None:
    from drills import catalog, cluster
    from drills.render import render
    from tests.classroom.kubeconfigs import contexts_sharing
    name = os.environ["DRILLS_CONTEXT"]
    try:
        session = cluster.connect(name, True, timeout=5)
    except DrillsError as exc:
        print(f"live: context {name} is not reachable ({exc.one_line()}); nothing measured")
        return
    contexts = [f"bench-learner-{n:02d}" for n in range(count)]
    scenario = catalog.get("selector-mismatch")
    plans = [render(scenario, 900 + n) for n in range(count)]
    only = {c: [p.namespace] for c, p in zip(contexts, plans)}
    started = []
    try:
        began = time.perf_counter()
        for plan in plans:
            cluster.start_drill(session, plan)
            started.append(plan)
        print(f"live: {count} drills started in {time.perf_counter() - began:.1f} s")
        with tempfile.TemporaryDirectory() as tmp:
            path = contexts_sharing(Path(tmp) / "class", name, contexts)
            saved = os.environ.get("KUBECONFIG")
            os.environ["KUBECONFIG"] = str(path)
            try:
                report(f"live cluster {name}", contexts, only)
            finally:
                if saved is None:
                    os.environ.pop("KUBECONFIG", None)
                else:
                    os.environ["KUBECONFIG"] = saved
    finally:
        cluster.reset_drills(session, [ns for p in started for ns in p.namespaces], wait=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contexts", type=int, default=30)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args()
    offline(args.contexts, args.latency_ms)
    if os.environ.get("DRILLS_CONTEXT"):
        live(args.contexts)
    else:
        print("live: DRILLS_CONTEXT is not set; no live cluster measured")
    return 0


if __name__ == "__main__":
    sys.exit(main())
