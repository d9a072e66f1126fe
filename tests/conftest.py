"""Shared test setup: every test gets its own DRILLS_HOME and no cluster settings."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch, request):
    if request.node.get_closest_marker("cluster"):
        return  # the e2e suite uses the real environment it is pointed at
    home = tmp_path_factory.mktemp("drills-home")
    monkeypatch.setenv("DRILLS_HOME", str(home))
    monkeypatch.delenv("DRILLS_SCENARIO_PATH", raising=False)
    monkeypatch.delenv("DRILLS_IMAGE", raising=False)
    monkeypatch.delenv("DRILLS_CONTEXT", raising=False)
    return home


@pytest.fixture(autouse=True)
def no_stray_deadline_keepers(monkeypatch, request):
    """`exam start` spawns a detached keeper that grades the exam's cluster at its deadline. In
    tests the cluster is an in-process fake the keeper cannot see, and a developer's real
    kind-drills context must never be graded by a test's exam: only tests marked real_keeper
    (tests/exam) and the e2e suite start real ones."""
    if request.node.get_closest_marker("real_keeper") or request.node.get_closest_marker("cluster"):
        return
    import drills.keeper

    def refuse(store, exam_id, kubeconfig):
        raise OSError("deadline keepers are not started by this test")
    monkeypatch.setattr(drills.keeper, "spawn", refuse)


# Fairness of every scenario from its recordings (collected through tests/scenarios/scenarios.fairness).
from tests.recorded_fairness import pytest_addoption as fairness_options  # noqa: E402
from tests.recorded_fairness import pytest_collect_file  # noqa: E402,F401


def pytest_addoption(parser):
    fairness_options(parser)
    # declared here so pytest knows it at start-up; used by tests/e2e/conftest.py
    parser.addoption("--record", metavar="DIR", default=None,
                     help="with -m cluster: save every collected bundle and its verdict under DIR "
                          "in the format of tests/fixtures/recorded/ (merged into DIR/INDEX.json)")
