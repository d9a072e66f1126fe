"""Benchmark: `drills start` until the clock runs (fault verified), beside the naive way.

    python bench/bench_start.py [--runs 5] [--scenario selector-mismatch]

Runs against the context in DRILLS_CONTEXT (default kind-drills). The naive way
is what a person would script: `kubectl create ns` + `kubectl apply` + `kubectl
wait` until the Deployments are Available, measured in the same run on the same
cluster. Target: drills start <= 1.5x the naive apply-and-wait. Prints figures
and exits 0; without a reachable cluster it says so and exits 0 as well.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drills.config import DEFAULT_CONTEXT  # noqa: E402
from drills.errors import DrillsError  # noqa: E402

START_TARGET_RATIO = 1.5


def context() -> str:
    return os.environ.get("DRILLS_CONTEXT") or DEFAULT_CONTEXT


def connect_or_explain(name: str) -> Any:
    """A session, or None after printing why no figure can be measured."""
    from drills.cluster import connect
    try:
        return connect(context(), explicit=True, timeout=5)
    except DrillsError as exc:
        print(f"{name}: no cluster reachable at context {context()} ({exc.one_line()}); "
              "nothing measured")
        return None


def kubectl(session: Any, *args: str, stdin: str | None = None) -> str:
    argv = ["kubectl", "--context", session.context, *args]
    env = {**os.environ, "KUBECONFIG": session.kubeconfig}
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True, env=env, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:6])}...: {done.stderr.strip()}")
    return done.stdout


def plan_for(scenario: str, seed: int) -> Any:
    from drills.lifecycle import prepare
    return prepare(scenario, seed)


def figure(label: str, seconds: list[float]) -> str:
    return (f"{label:<58} median {statistics.median(seconds):6.2f} s "
            f"(min {min(seconds):.2f}, max {max(seconds):.2f}, n={len(seconds)})")


def naive_apply_and_wait(session: Any, plan: Any) -> float:
    namespace = f"bench-naive-{uuid.uuid4().hex[:8]}"
    manifests = plan.manifests_yaml().replace(plan.namespace, namespace)
    started = time.perf_counter()
    kubectl(session, "create", "namespace", namespace)
    kubectl(session, "apply", "-n", namespace, "-f", "-", stdin=manifests)
    kubectl(session, "wait", "-n", namespace, "--for=condition=Available", "deployment", "--all",
            "--timeout=180s")
    elapsed = time.perf_counter() - started
    kubectl(session, "delete", "namespace", namespace, "--wait=false")
    return elapsed


def drills_start(session: Any, plan: Any, phases: dict[str, list[float]]) -> float:
    """What `drills start` runs (drills.lifecycle.deploy), with its phase timings."""
    from drills.cluster.start import Timings
    from drills.lifecycle import deploy, reset
    timings = Timings()
    started = time.perf_counter()
    deploy(session, plan, timings=timings)
    elapsed = time.perf_counter() - started
    for phase, seconds in timings.items():
        phases.setdefault(phase, []).append(seconds)
    reset(session, plan.namespaces)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scenario", default="selector-mismatch")
    parser.add_argument("--seed", type=int, default=500_000)
    args = parser.parse_args(argv)
    session = connect_or_explain("bench_start")
    if session is None:
        return 0
    naive, ours, phases = [], [], {}
    for run in range(args.runs):
        plan = plan_for(args.scenario, args.seed + run)
        naive.append(naive_apply_and_wait(session, plan))
        ours.append(drills_start(session, plan, phases))
    print(f"context {session.context}, Kubernetes {(session.version or {}).get('gitVersion')}, "
          f"scenario {args.scenario}")
    print(figure("naive: kubectl create ns + apply + wait Available", naive))
    print(figure("drills start -> fault verified, clock running", ours))
    for phase, seconds in phases.items():
        print(figure(f"  phase: {phase}", seconds))
    ratio = statistics.median(ours) / statistics.median(naive)
    print(f"ratio {ratio:.2f}x the naive apply-and-wait (target <= {START_TARGET_RATIO}x): "
          f"{'OK' if ratio <= START_TARGET_RATIO else 'OVER TARGET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
