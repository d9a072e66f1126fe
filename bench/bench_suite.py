"""Wall and CPU time of the default test suite, serial (-n 0) and on xdist workers (the
addopts' -n auto), alternating so both meet the same machine load; prints the load average
too, since on a shared machine it decides the wall time more than the suite does.

    python bench/bench_suite.py [rounds]
"""
from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODES = {"serial (-n 0)": ["-n", "0"], "xdist (-n auto)": []}


def run(extra: list[str]) -> tuple[float, float, int]:
    """(wall s, CPU s of pytest and everything it started, exit code)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra],
                          cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.returncode


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    results: dict[str, list[tuple[float, float]]] = {mode: [] for mode in MODES}
    print(f"{os.cpu_count()} cores; {rounds} round(s)")
    for n in range(rounds):
        for mode, extra in MODES.items():
            load = os.getloadavg()[0]
            wall, cpu, code = run(extra)
            results[mode].append((wall, cpu))
            print(f"round {n + 1} {mode:16} wall {wall:6.1f} s  cpu {cpu:6.1f} s  "
                  f"load before {load:4.1f}  exit {code}", flush=True)
    for mode, rows in results.items():
        print(f"median {mode:16} wall {statistics.median(r[0] for r in rows):6.1f} s  "
              f"cpu {statistics.median(r[1] for r in rows):6.1f} s")


if __name__ == "__main__":
    main()
