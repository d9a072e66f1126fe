"""Shared test setup: every test gets its own DRILLS_HOME and no cluster settings;
hypothesis runs the explicit `ci` profile; `virtual_clock` for tests against call-driven fakes."""
from __future__ import annotations

import threading
import time

import pytest
from hypothesis import settings

# The default profile (pick another with --hypothesis-profile). Tests that set max_examples
# themselves keep their count; the rest run hypothesis' usual 100. deadline=None: on a
# shared 2-core machine (or beside xdist workers) per-example timings mean nothing.
settings.register_profile("ci", max_examples=100, deadline=None, print_blob=True)
settings.load_profile("ci")


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


class VirtualClock:
    """`time` for drills' polling loops while they talk to a fake whose state moves per API
    call (or never), not per second: a sleep advances the sleeping thread's clock at once,
    so every poll, retry and deadline happens as it would, without the wait."""

    def __init__(self):
        self._local = threading.local()
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return time.monotonic() + getattr(self._local, "offset", 0.0)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self._local.offset = getattr(self._local, "offset", 0.0) + max(0.0, seconds)
        time.sleep(0)              # still let other threads run

    def __getattr__(self, name):
        return getattr(time, name)


@pytest.fixture
def virtual_clock(monkeypatch):
    """The cluster runtime's modules on one VirtualClock (one clock for all of them, so a
    deadline made in one module means the same in another). Only for fakes that never
    need real time to pass: a real thread or process acting later would be outrun."""
    from drills.cluster import collect, manage, setup, start
    clock = VirtualClock()
    for module in (collect, manage, setup, start):
        monkeypatch.setattr(module, "time", clock)
    return clock


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config):
    """`-n auto` (pyproject's addopts) spreads only the default selection over workers. A run
    of an opt-in suite (-m cluster, browser, zsh, ...) stays in one process unless -n N says
    otherwise: a live cluster is one shared thing, and its checks and --record are per session."""
    addopts = config.getini("addopts")
    default = addopts[addopts.index("-m") + 1] if "-m" in addopts else ""
    if config.option.markexpr != default:
        return 0
    return None            # xdist's own count: one worker per core


# Fairness of every scenario from its recordings (collected through tests/scenarios/scenarios.fairness).
from tests.recorded_fairness import pytest_addoption as fairness_options  # noqa: E402
from tests.recorded_fairness import pytest_collect_file  # noqa: E402,F401


def pytest_addoption(parser, pluginmanager):
    fairness_options(parser)
    if not pluginmanager.has_plugin("xdist"):
        # pyproject's addopts run the suite on pytest-xdist workers; without the plugin
        # (-p no:xdist, or a venv from before the `test` extra had it) those options are
        # accepted and the suite runs serially in this process (_addoption: pytest keeps
        # lowercase short options to plugins; this one stands in for xdist's own -n)
        group = parser.getgroup("xdist", "pytest-xdist not loaded: serial run")
        group._addoption("-n", "--numprocesses", dest="numprocesses", default=None,
                        help="ignored: pytest-xdist is not loaded")
        group.addoption("--dist", dest="dist", default="no", help="ignored: pytest-xdist is not loaded")
    # declared here so pytest knows it at start-up; used by tests/e2e/conftest.py
    parser.addoption("--record", metavar="DIR", default=None,
                     help="with -m cluster: save every collected bundle and its verdict under DIR "
                          "in the format of tests/fixtures/recorded/ (merged into DIR/INDEX.json)")
