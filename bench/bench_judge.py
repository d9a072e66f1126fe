"""Time to judge evidence bundles (pure: no cluster, no I/O in the loop).

    python bench/bench_judge.py [bundles]

Judges the bundles recorded on a real cluster (tests/fixtures/recorded/): one bundle
(median of many single runs) and a batch of 1,000 (or N) bundles cycling
through all of them. Judging must stay well under 10 ms per bundle.
"""
from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUNDLES = ROOT / "tests" / "fixtures" / "recorded"
BUDGET_MS = 10.0


def load() -> list[tuple[object, dict]]:
    from drills import catalog
    from drills.graders.registry import load_all
    from drills.render import render

    load_all()
    pairs = []
    for path in sorted(BUNDLES.glob("*/*.json")):
        bundle = json.loads(path.read_text())
        d = bundle["drill"]
        plan = render(catalog.get(d["scenario"]), d["seed"], overrides=d["params"],
                      namespace=d["namespace"])
        pairs.append((plan, bundle))
    return pairs


def main() -> int:
    from drills.graders.judge import judge

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    pairs = load()
    if not pairs:
        print(f"no bundles under {BUNDLES}: record some with pytest -m cluster --record {BUNDLES}")
        return 1
    plan, bundle = next((p, b) for p, b in pairs if b["drill"]["scenario"] == "selector-mismatch")
    judge(plan, bundle)  # warm-up: imports, registry
    singles = []
    for _ in range(200):
        start = time.perf_counter()
        judge(plan, bundle)
        singles.append(time.perf_counter() - start)
    start = time.perf_counter()
    for i in range(count):
        p, b = pairs[i % len(pairs)]
        judge(p, b)
    batch = time.perf_counter() - start
    one_ms = statistics.median(singles) * 1000
    per_ms = batch * 1000 / count
    print(f"judge one bundle (median of 200):  {one_ms:7.3f} ms")
    print(f"judge {count:,} bundles ({len(pairs)} distinct): {batch * 1000:9.1f} ms "
          f"({per_ms:.3f} ms per bundle)")
    verdict = "OK" if per_ms < BUDGET_MS and one_ms < BUDGET_MS else "TOO SLOW"
    print(f"budget {BUDGET_MS:.0f} ms per bundle: {verdict}")
    return 0 if verdict == "OK" else 1


if __name__ == "__main__":
    sys.exit(main())
