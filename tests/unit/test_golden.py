"""Golden output of every view at 80 and 200 columns.

Deterministic: fixed seeds, a fixed clock (drills.store.utcnow), fixed console widths, and the
recorded selector-mismatch bundles (tests/fixtures/recorded/, copies of the real recordings).
After a deliberate change of a view, regenerate the files under tests/unit/golden/ with

    DRILLS_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/unit/test_golden.py

and read the diff before committing it.
"""
from __future__ import annotations

import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest

import drills.cluster as cluster
import drills.store
from drills import ui
from drills.cli import main
from drills.store import Store

GOLDEN = Path(__file__).with_name("golden")
RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "recorded" / "selector-mismatch"
NOW = datetime(2026, 11, 30, 3, 7, 30, tzinfo=timezone.utc)
WIDTHS = (80, 200)


def load(name: str) -> dict:
    return json.loads((RECORDED / name).read_text())


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr(drills.store, "utcnow", lambda: NOW)


@pytest.fixture
def fake_cluster(monkeypatch):
    """drills.cluster for the verbs that talk to one: a fixed cluster, the recorded bundle."""
    state = SimpleNamespace(bundle=load("seed1-broken.json"), status={
        "name": "drills", "context": "kind-drills", "kind": "/usr/local/bin/kind", "docker": True,
        "exists": True, "context_present": True, "problems": [],
        "nodes": ["drills-control-plane", "drills-worker", "drills-worker2"]})
    fakes = {
        "connect": lambda context, explicit, timeout=10.0: SimpleNamespace(context=context),
        "cluster_status": lambda: state.status,
        "cluster_up": lambda progress=None: None,
        "start_drill": lambda session, plan, progress=None, **options: {
            "namespace": plan.namespace, "verified_at": "2026-11-30T03:00:00Z", "bundle": {}},
        "drill_present": lambda session, namespace: True,
        "collect_evidence": lambda session, plan, probes, api_only=False: {
            **json.loads(json.dumps(state.bundle)), "collected_at": "2026-11-30T03:07:30Z"},
    }
    for name, fake in fakes.items():
        monkeypatch.setattr(cluster, name, fake, raising=False)
    return state


@pytest.fixture
def recorded_drill():
    """The drill the recorded bundles belong to, started at 03:00, 7:30 before NOW."""
    store = Store()
    return store, store.add_drill(load("seed1-broken.json")["drill"], "kind-drills", 4, "2026-11-30T03:00:00Z")


@pytest.fixture
def past_drills():
    """A small history: a clean solve, one with a hint and two checks, an abandoned drill."""
    store = Store()
    identity = load("seed1-broken.json")["drill"]
    first = store.add_drill(identity, "kind-drills", 4, "2026-11-28T18:00:00Z")
    store.add_attempt(first, "2026-11-28T18:03:10Z", {"status": "PASS", "score": 100.0})
    store.mark_solved(first, "2026-11-28T18:03:10Z")
    store.end(first, "2026-11-28T18:04:00Z")
    second = store.add_drill({**identity, "scenario": "expose-nodeport-fixed", "seed": 424242,
                              "namespace": "drill-expose-nodeport-fixed-424242"}, "kind-drills", 5,
                             "2026-11-29T09:00:00Z")
    store.add_help(second, "hint", 0)
    store.add_attempt(second, "2026-11-29T09:04:00Z", {"status": "FAIL", "score": 50.0, "diagnosis": "service.node-port"})
    store.add_attempt(second, "2026-11-29T09:06:40Z", {"status": "PASS", "score": 100.0})
    store.mark_solved(second, "2026-11-29T09:06:40Z")
    store.end(second, "2026-11-29T09:07:00Z")
    third = store.add_drill({**identity, "scenario": "service-multi-fault", "seed": 7, "level": "triple",
                             "namespace": "drill-service-multi-fault-triple-7"}, "kind-drills", 10,
                            "2026-11-29T20:00:00Z")
    store.end(third, "2026-11-29T20:30:00Z")
    return store


def capture(capsys, monkeypatch, width: int, *commands: list[str]) -> str:
    monkeypatch.setattr(ui, "out", ui.make_console(width=width))
    chunks = []
    for argv in commands:
        code = main(argv)
        captured = capsys.readouterr()
        assert code in (0, 1), captured.err
        assert captured.err == "", captured.err
        chunks.append(f"$ drills {' '.join(argv)}\n{captured.out}")
    return "\n".join(chunks)


def assert_golden(name: str, width: int, text: str) -> None:
    text = "\n".join(line.rstrip() for line in text.splitlines()) + "\n"
    for line in text.splitlines():
        copyable = line.startswith(("  kubectl ", "   kubectl ", "  drills "))
        assert len(line) <= width or copyable or line.startswith(("$ drills", "# ")), \
            f"{name} at {width} columns: line of {len(line)} characters: {line!r}"
    path = GOLDEN / f"{name}-{width}.txt"
    if os.environ.get("DRILLS_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"no golden {path}; create it with DRILLS_UPDATE_GOLDEN=1"
    assert text == path.read_text(), (f"{name} at {width} columns differs from {path} "
                                      "(regenerate with DRILLS_UPDATE_GOLDEN=1 if intended)")


@pytest.mark.parametrize("width", WIDTHS)
def test_list(capsys, monkeypatch, width):
    text = capture(capsys, monkeypatch, width, ["list"])
    assert not re.search(r"\d{4,} ?[kMGT]\b", text)   # human counts: 1.6 T, never 1594368M
    assert_golden("list", width, text)
    if width == 80:
        assert text.count("\n") < 50   # 13 scenarios, not 101 lines
        assert "…" not in text


@pytest.mark.parametrize("width", WIDTHS)
def test_show(capsys, monkeypatch, width):
    assert_golden("show", width, capture(capsys, monkeypatch, width, ["show", "selector-mismatch"],
                                         ["show", "service-multi-fault"]))


@pytest.mark.parametrize("width", WIDTHS)
def test_render_task(capsys, monkeypatch, width):
    text = capture(capsys, monkeypatch, width, ["render", "wrong-targetport", "--seed", "3"])
    assert_golden("render-task", width, text.split("\n---\n")[0] + "\n")


@pytest.mark.parametrize("width", WIDTHS)
def test_start(capsys, monkeypatch, width, fake_cluster):
    assert_golden("start", width, capture(capsys, monkeypatch, width,
                                          ["start", "selector-mismatch", "--seed", "1"]))


@pytest.mark.parametrize("width", WIDTHS)
def test_hint(capsys, monkeypatch, width, recorded_drill):
    text = capture(capsys, monkeypatch, width, ["hint"], ["hint"], ["hint"], ["hint"])
    assert "  kubectl -n drill-selector-mismatch-1 get pods --show-labels\n" in text
    assert_golden("hint", width, text)


@pytest.mark.parametrize("width", WIDTHS)
def test_check_report(capsys, monkeypatch, width, fake_cluster, recorded_drill):
    text = capture(capsys, monkeypatch, width, ["check"])
    fake_cluster.bundle = load("seed1-reference.json")
    text += "\n" + capture(capsys, monkeypatch, width, ["check"])
    assert_golden("check", width, text)


@pytest.mark.parametrize("width", WIDTHS)
def test_history_and_stats(capsys, monkeypatch, width, past_drills):
    text = capture(capsys, monkeypatch, width, ["history"], ["stats"])
    for header in ("started", "target", "attempts", "median"):
        assert header in text
    assert_golden("history-stats", width, text)


@pytest.mark.parametrize("width", WIDTHS)
def test_status(capsys, monkeypatch, width, recorded_drill):
    assert_golden("status", width, capture(capsys, monkeypatch, width, ["status"]))


@pytest.mark.parametrize("width", WIDTHS)
def test_cluster_status(capsys, monkeypatch, width, fake_cluster):
    text = capture(capsys, monkeypatch, width, ["cluster", "status"])
    fake_cluster.status = {"name": "drills", "context": "kind-drills", "kind": None, "docker": False,
                           "exists": False, "context_present": False, "nodes": [],
                           "problems": ["Docker is not reachable (start Docker Engine)",
                                        "kind is not installed ('drills cluster up' fetches it)"]}
    text += "\n" + capture(capsys, monkeypatch, width, ["cluster", "status"])
    assert "[" not in text   # no Python list repr
    assert_golden("cluster-status", width, text)


@pytest.mark.parametrize("width", WIDTHS)
def test_solution(capsys, monkeypatch, width, recorded_drill):
    text = capture(capsys, monkeypatch, width, ["solution"])
    assert_golden("solution", width, text)


@pytest.mark.parametrize("width", WIDTHS)
def test_doctor(capsys, monkeypatch, width):
    import drills.cluster.doctor
    items = [
        {"name": "docker", "ok": False, "detail": "Docker is not running or not reachable",
         "fix": "start Docker (or install it: https://docs.docker.com/get-docker/); kind runs the nodes as containers"},
        {"name": "kind", "ok": False, "detail": "kind is not installed",
         "fix": "'drills cluster up' downloads it, or install kind: "
                "https://kind.sigs.k8s.io/docs/user/quick-start/#installation"},
        {"name": "kubectl", "ok": True, "detail": "/usr/bin/kubectl (v1.32.4)"},
        {"name": "api", "ok": None, "detail": "skipped: the context is missing"},
    ]
    monkeypatch.setattr(drills.cluster.doctor, "doctor", lambda context, explicit: items)
    monkeypatch.setattr(ui, "out", ui.make_console(width=width))
    assert main(["doctor"]) == 5
    text = capsys.readouterr().out
    assert "installation" in text.replace("\n", "") and "…" not in text
    assert_golden("doctor", width, "$ drills doctor\n" + text)
