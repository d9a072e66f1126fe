"""Wall time of `drills list` and `drills render` (cold processes), median of N runs.

    python bench/bench_list.py [runs]
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import time


def wall(argv: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "drills", *argv], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    baseline = wall(["--version"], runs)
    print(f"{'command':34} {'median':>8} {'min':>8} {'max':>8}")
    for argv in (["--version"], ["list"], ["render", "selector-mismatch", "--seed", "1"]):
        t = baseline if argv == ["--version"] else wall(argv, runs)
        print(f"drills {' '.join(argv):27} {statistics.median(t) * 1000:7.0f}ms "
              f"{min(t) * 1000:7.0f}ms {max(t) * 1000:7.0f}ms")


if __name__ == "__main__":
    main()
