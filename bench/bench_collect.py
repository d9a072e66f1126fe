"""Benchmark: evidence collection with probes, wrong-fix classification, and how
soon a watch-style loop notices a correct fix — beside one naive `kubectl run --rm`
busybox wget, measured in the same run on the same cluster.

    python bench/bench_collect.py [--runs 7] [--scenario selector-mismatch]

Targets: collection with probes of a fixed drill <= 1 s median (and below half of
the naive single probe); a wrong fix classified FAIL within 5 s; a correct fix
noticed within 2 s of landing. Against DRILLS_CONTEXT (default kind-drills);
without a reachable cluster it says so and exits 0.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_start import connect_or_explain, figure, kubectl, plan_for  # noqa: E402

COLLECT_TARGET_S = 1.0
WRONG_FIX_TARGET_S = 5.0
WATCH_TARGET_S = 2.0
WATCH_INTERVAL_S = 0.5


def verdict(session: Any, plan: Any, api_only: bool = False) -> tuple[Any, float]:
    from drills.lifecycle import collect, judge
    started = time.perf_counter()
    bundle = collect(session, plan, api_only=api_only)
    return judge(plan, bundle), time.perf_counter() - started


def first_fix(plan: Any, outcome: str) -> Any:
    return next((f for f in plan.fixes.values() if f.outcome == outcome), None)


def naive_probe(session: Any, plan: Any, url: str, n: int) -> float:
    name = f"bench-probe-{n}"
    overrides = {"apiVersion": "v1", "spec": {
        "securityContext": {"runAsNonRoot": True, "runAsUser": 65534,
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{"name": name, "image": plan.image,
                        "args": ["wget", "-q", "-O", "-", "-T", "1", url],
                        "securityContext": {"allowPrivilegeEscalation": False,
                                            "capabilities": {"drop": ["ALL"]}}}]}}
    started = time.perf_counter()
    kubectl(session, "run", name, "-n", plan.namespace, "--rm", "-i", "--restart=Never",
            f"--image={plan.image}", f"--overrides={json.dumps(overrides)}", "--quiet")
    return time.perf_counter() - started


def wait_for(session: Any, plan: Any, status: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        report, _ = verdict(session, plan)
        if report.status == status or time.monotonic() > deadline:
            return report
        time.sleep(0.5)


def watch_latency(session: Any, plan: Any, fix: Any) -> float:
    """Apply a correct fix, then poll as `drills watch` would: cheap API-only checks
    every WATCH_INTERVAL_S, a full collection once those pass. Seconds until PASS."""
    from drills.lifecycle import apply_fix
    apply_fix(session, plan, fix)
    landed = time.perf_counter()
    while time.perf_counter() - landed < 30:
        cheap, _ = verdict(session, plan, api_only=True)
        # without probes, traffic checks are ERROR (no evidence), never FAIL
        if cheap.status != "FAIL":
            full, _ = verdict(session, plan)
            if full.status == "PASS":
                return time.perf_counter() - landed
        time.sleep(WATCH_INTERVAL_S)
    return float("inf")


def main(argv: list[str] | None = None) -> int:
    from drills.graders.judge import required_probes
    from drills.lifecycle import apply_fix, deploy
    from drills.lifecycle import reset as reset_drills

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--scenario", default="selector-mismatch")
    parser.add_argument("--seed", type=int, default=600_000)
    args = parser.parse_args(argv)
    session = connect_or_explain("bench_collect")
    if session is None:
        return 0
    plan = plan_for(args.scenario, args.seed)
    right, wrong = first_fix(plan, "pass"), first_fix(plan, "fail")
    if right is None:
        print(f"bench_collect: scenario {args.scenario} has no fix with outcome pass; "
              "nothing measured")
        return 0
    print(f"context {session.context}, scenario {args.scenario}, probes: "
          f"{', '.join(p.key for p in required_probes(plan))}")
    try:
        deploy(session, plan)
        apply_fix(session, plan, right)
        wait_for(session, plan, "PASS")
        collect_s = [verdict(session, plan)[1] for _ in range(args.runs)]
        probe = next((p for p in required_probes(plan) if p.kind in ("http", "http-cluster-ip")),
                     None)
        naive_s = ([naive_probe(session, plan, f"http://{probe.target}", n)
                    for n in range(args.runs)] if probe else [])
    finally:
        reset_drills(session, plan.namespaces)
    median = statistics.median(collect_s)
    print(figure("drills: collect evidence + all probes (fixed drill)", collect_s))
    if naive_s:
        naive = statistics.median(naive_s)
        print(figure("naive: one kubectl run --rm busybox wget", naive_s))
        ok = median <= min(COLLECT_TARGET_S, naive / 2)
        print(f"collection {median:.2f} s (target <= {COLLECT_TARGET_S} s and <= half the naive "
              f"{naive:.2f} s): {'OK' if ok else 'OVER TARGET'}")
    else:
        print(f"collection {median:.2f} s (target <= {COLLECT_TARGET_S} s); the scenario has no "
              "HTTP probe to compare with a naive one")

    if wrong is not None:
        wrong_plan = plan_for(args.scenario, args.seed + 1)
        try:
            deploy(session, wrong_plan)
            apply_fix(session, wrong_plan, wrong)
            report, seconds = verdict(session, wrong_plan)
        finally:
            reset_drills(session, wrong_plan.namespaces)
        print(f"wrong fix '{wrong.name}' judged {report.status} in {seconds:.2f} s "
              f"(target <= {WRONG_FIX_TARGET_S} s): "
              f"{'OK' if report.status == 'FAIL' and seconds <= WRONG_FIX_TARGET_S else 'OVER TARGET'}")
    else:
        print(f"scenario {args.scenario} has no fix with outcome fail; wrong-fix time not measured")

    # a fresh drill of its own: the reference fix must meet the broken state, never one
    # an earlier fix changed (a wrong fix may have deleted the Service)
    watch_plan = plan_for(args.scenario, args.seed + 2)
    reference = watch_plan.fixes.get("reference") or first_fix(watch_plan, "pass")
    try:
        deploy(session, watch_plan)
        latency = watch_latency(session, watch_plan, reference)
    finally:
        reset_drills(session, watch_plan.namespaces)
    print(f"watch-style loop noticed the correct fix {latency:.2f} s after it landed "
          f"(target <= {WATCH_TARGET_S} s): {'OK' if latency <= WATCH_TARGET_S else 'OVER TARGET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
