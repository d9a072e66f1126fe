"""The end-to-end suite: real drills against a real cluster (opt in: pytest -m cluster).

The cluster is the context named by DRILLS_CONTEXT (default kind-drills, made
by `drills cluster up`), from KUBECONFIG or ~/.kube/config. When the suite is
asked for and that cluster cannot be used, every test fails with the reason:
an e2e run that silently skipped everything would pass without proving anything.
"""
from __future__ import annotations

import os
import time

import pytest

from drills.config import DEFAULT_CONTEXT

CONTEXT = os.environ.get("DRILLS_CONTEXT") or DEFAULT_CONTEXT
GONE_WITHIN_S = 120


@pytest.fixture(scope="session")
def session():
    from drills.cluster import connect
    from drills.errors import DrillsError

    try:
        return connect(CONTEXT, explicit=True, timeout=10)
    except DrillsError as exc:
        problem = exc.one_line()
    pytest.fail(f"the cluster suite was asked for (-m cluster) but context {CONTEXT} cannot be "
                f"used: {problem}. Set DRILLS_CONTEXT/KUBECONFIG to a test cluster, or run "
                "'drills cluster up'.", pytrace=False)


@pytest.fixture
def drills_started(session):
    """Tracks the drills a test starts and resets them afterwards, whatever happened."""
    from drills.cluster import reset_drills

    started: list = []
    yield started
    names = [ns for plan in started for ns in plan.namespaces
             if session.api.get("namespaces", ns) is not None]
    if names:
        reset_drills(session, names, wait=True)


def wait_until_gone(session, names, timeout: float = GONE_WITHIN_S) -> list[str]:
    """The namespaces still present after waiting up to `timeout` seconds."""
    deadline = time.monotonic() + timeout
    left = list(names)
    while left and time.monotonic() < deadline:
        left = [ns for ns in left if session.api.get("namespaces", ns) is not None]
        if left:
            time.sleep(0.5)
    return left
