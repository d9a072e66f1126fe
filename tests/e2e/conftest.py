"""The end-to-end suite: real drills against a real cluster (opt in: pytest -m cluster).

The cluster is the context named by DRILLS_CONTEXT (default kind-drills, made
by `drills cluster up`), from KUBECONFIG or ~/.kube/config. Its preconditions are
checked once, before the first test: when the cluster cannot host the suite, the
run stops with one clear message instead of failing case by case (an e2e run
that silently skipped everything would pass without proving anything).

`--record DIR` (declared in tests/conftest.py) saves every collected bundle with
its verdict in the format of tests/fixtures/recorded/ (tests/e2e/record.py).
"""
from __future__ import annotations

import os
import time

import pytest

from drills.config import DEFAULT_CONTEXT

CONTEXT = os.environ.get("DRILLS_CONTEXT") or DEFAULT_CONTEXT
GONE_WITHIN_S = 120


def preconditions(session) -> list[str]:
    """What keeps this cluster from hosting the suite (empty: nothing)."""
    from drills.cluster import objects as O
    from drills.cluster.setup import schedulable

    problems = []
    nodes = [n["metadata"]["name"] for n in session.api.list("nodes") if schedulable(n)]
    if len(nodes) < 2:
        problems.append(f"it has {len(nodes)} schedulable node(s) ({', '.join(nodes) or 'none'}); "
                        "the suite needs at least 2 (e.g. 'drills cluster up')")
    if session.api.get("daemonsets", "kube-proxy", "kube-system") is None:
        problems.append("it has no kube-proxy DaemonSet in kube-system")
    active = [n for n in session.api.list("namespaces", label_selector=O.DRILL_SELECTOR)
              if O.is_drill_namespace(n) and not O.is_terminating(n)]
    wide = [n["metadata"]["name"] for n in active
            if (n["metadata"].get("labels") or {}).get(O.CLUSTER_WIDE_LABEL) == "true"]
    if wide:
        problems.append(f"a cluster-wide drill is active ({', '.join(wide)}); "
                        "'drills reset --all' ends it")
    # a run cut short leaves its drills running, and the suite starts the same seeds again:
    # each of those cases would fail with 'already running'
    others = sorted(n["metadata"]["name"] for n in active if n["metadata"]["name"] not in wide)
    if others:
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        problems.append(f"drills are running on it ({shown}); 'drills reset --all' ends them")
    return problems


@pytest.fixture(scope="session")
def session():
    from drills.cluster import connect
    from drills.errors import DrillsError

    try:
        live = connect(CONTEXT, explicit=True, timeout=10)
        problems = preconditions(live)
    except DrillsError as exc:
        problems = [f"it cannot be used: {exc.one_line()}"]
    if problems:
        pytest.exit(f"the cluster suite (-m cluster) cannot run on context {CONTEXT}: "
                    f"{'; '.join(problems)}. Set DRILLS_CONTEXT/KUBECONFIG to a test cluster, "
                    "or run 'drills cluster up'.", returncode=1)
    return live


@pytest.fixture(scope="session")
def recorder(pytestconfig):
    from tests.e2e.record import Recorder
    root = pytestconfig.getoption("record")
    return Recorder(root) if root else None


@pytest.fixture
def drills_started(session):
    """Tracks the drills a test starts and resets them afterwards, whatever happened."""
    from drills.lifecycle import reset

    started: list = []
    yield started
    names = [ns for plan in started for ns in plan.namespaces
             if session.api.get("namespaces", ns) is not None]
    if names:
        reset(session, names)


def wait_until_gone(session, names, timeout: float = GONE_WITHIN_S) -> list[str]:
    """The namespaces still present after waiting up to `timeout` seconds."""
    deadline = time.monotonic() + timeout
    left = list(names)
    while left and time.monotonic() < deadline:
        left = [ns for ns in left if session.api.get("namespaces", ns) is not None]
        if left:
            time.sleep(0.5)
    return left
