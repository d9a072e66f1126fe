"""Strings from a cluster, a bundle or a pack reach the terminal as inert text.

The hostile inputs are derived at test time from a real recorded bundle
(tests/fixtures/recorded/, byte-identical copies of the recordings) and from the
built-in selector-mismatch pack; both derived copies are hand-made and say so.
"""
from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

import drills.cluster as cluster
from drills import ui
from drills.cli import main
from drills.render import render
from drills.store import Store

ROOT = Path(__file__).resolve().parents[2]
RECORDED = ROOT / "tests" / "fixtures" / "recorded" / "selector-mismatch" / "seed1-broken.json"

# Window title (OSC 0), clear screen, clipboard write (OSC 52), a DCS string, C1 CSI, Rich markup
# that would become a live hyperlink or a style, and bidi/zero-width characters that reorder text.
EVIL = ("\x1b]0;pwned\x07\x1b[2J\x1b]52;c;ZXZpbA==\x07\x1bP+q616263\x1b\\\x9b31m\x7f"
        "[link=http://evil.example]CLICK[/link][red]RED[/red]\u202eevil\u2066\u200b")
# A selector value just under the bundle loader's bound of 1 MiB per string (a 5 MB one is refused
# with exit 10 before anything prints; label values are bounded to 63 characters).
BIG = 1_000_000


def hostile_bundle() -> dict:
    """The recorded broken selector-mismatch bundle with EVIL in a selector value, a pod name and
    probe output, plus a 1 MB value in the Service's selector."""
    bundle = json.loads(RECORDED.read_text())
    bundle["hand_made"] = "derived from the recording seed1-broken.json: hostile strings injected"
    service = bundle["objects"]["services"][0]
    service["spec"]["selector"] = {"service": "iblling" + EVIL, "huge": "x" * BIG}
    pod = next(p for p in bundle["objects"]["pods"] if p["metadata"]["name"].startswith("billing-5"))
    pod["metadata"]["name"] += EVIL
    for probe in bundle["probes"].values():
        for attempt in probe.get("attempts") or []:
            attempt["detail"] = attempt["stderr"] = "wget: " + EVIL
    return bundle


def hostile_pack(root: Path) -> Path:
    """A copy of the selector-mismatch pack (marked hand-made) whose texts carry EVIL."""
    folder = root / "hostile-selector"
    shutil.copytree(ROOT / "scenarios" / "selector-mismatch", folder)
    meta = yaml.safe_load((folder / "scenario.yaml").read_text())
    meta["id"] = "hostile-selector"
    meta["title"] += " " + EVIL
    meta["task"] += EVIL + "\n"
    meta["hints"] = [h + " " + EVIL for h in meta["hints"]]
    meta["solution"] = [s + " " + EVIL for s in meta["solution"]]
    (folder / "scenario.yaml").write_text("# hand-made: selector-mismatch with hostile strings\n"
                                          + yaml.safe_dump(meta, sort_keys=False))
    return root


def unfold(out: str) -> str:
    """The output with its line breaks (and the indentation after them) taken out."""
    return re.sub(r" *\n *", "", out)


def assert_inert(out: str, *, max_lines: int = 400) -> None:
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out and "\x7f" not in out
    assert "\u202e" not in out and "\u2066" not in out and "\u200b" not in out
    flat = unfold(out)
    assert "[link=http://evil.example]CLICK[/link]" in flat   # shown, not turned into a link
    assert "[red]RED[/red]" in flat
    assert "\\x1b]0;pwned\\x07" in flat and "\\u202e" in flat   # visible escapes
    assert out.count("\n") <= max_lines


@pytest.fixture
def evidence_file(tmp_path):
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(hostile_bundle()))
    return path


@pytest.fixture
def hostile_store(tmp_path, monkeypatch):
    """An open and a finished drill whose namespace, context and scenario strings are hostile."""
    pack_root = hostile_pack(tmp_path / "packs")
    monkeypatch.setenv("DRILLS_SCENARIO_PATH", str(pack_root))
    from drills import catalog
    plan = render(catalog.get("hostile-selector"), 1)
    store = Store()
    store.add_drill(plan.identity(), "ctx" + EVIL, 4, "2026-11-30T03:00:00Z")
    finished = store.add_drill({**plan.identity(), "scenario": "old" + EVIL, "namespace": "ns" + EVIL},
                               "kind-drills", 4, "2026-11-30T02:00:00Z")
    store.end(finished, "2026-11-30T02:10:00Z")
    return store, plan, pack_root


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_inert_escapes_controls_bidi_and_cuts_long_strings():
    assert ui.inert("a\x1b[2Jb\x07\u202ec\x9b\u200bd\x00\x7f") == "a\\x1b[2Jb\\x07\\u202ec\\x9b\\u200bd\\x00\\x7f"
    assert ui.inert("one\ntwo") == "one\\x0atwo" and ui.inert("one\ntwo", newlines=True) == "one\ntwo"
    assert ui.inert("\U000e0041") == "\\U000e0041"   # a tag character: invisible
    assert ui.inert("plain text, ünïcødé, 漢字 ok") == "plain text, ünïcødé, 漢字 ok"
    assert ui.inert("x" * 5000, limit=10) == "x" * 10 + "… (4,990 more characters)"
    assert ui.plain("[bold]x[/]").plain == "[bold]x[/]"


@pytest.mark.parametrize("text, pieces", [
    ("Look first: kubectl -n ns get endpointslices -l a=b",
     [(False, "Look first:"), (True, "kubectl -n ns get endpointslices -l a=b")]),
    ("Compare: kubectl -n ns describe svc s | grep -i selector; kubectl -n ns get pods --show-labels",
     [(False, "Compare:"), (True, "kubectl -n ns describe svc s | grep -i selector"),
      (True, "kubectl -n ns get pods --show-labels")]),
    ("Check: kubectl -n ns get eps -o wide (are there endpoints, and on which port?)",
     [(False, "Check:"), (True, "kubectl -n ns get eps -o wide"), (False, "(are there endpoints, and on which port?)")]),
    ("No command here; just prose.", [(False, "No command here; just prose.")]),
    ("kubectl -n ns get pods,events shows why the probe pod did not run; then run 'drills check' again",
     [(True, "kubectl -n ns get pods,events"),
      (False, "shows why the probe pod did not run; then run 'drills check' again")]),
    ("kubectl -n ns get deployment web -o yaml; undo with kubectl -n ns rollout undo deployment/web "
     "and fix the Service instead",
     [(True, "kubectl -n ns get deployment web -o yaml"), (False, "undo with"),
      (True, "kubectl -n ns rollout undo deployment/web"), (False, "and fix the Service instead")]),
    ("kubectl -n ns rollout undo deployment/web, then fix FOO only",
     [(True, "kubectl -n ns rollout undo deployment/web"), (False, "then fix FOO only")]),
    ("kubectl -n ns get pods --show-labels   # the web pods carry app=web and tier=x",
     [(True, "kubectl -n ns get pods --show-labels   # the web pods carry app=web and tier=x")]),
])
def test_split_advice(text, pieces):
    assert ui.split_advice(text) == pieces


def test_grade_evidence_prints_hostile_strings_inert(capsys, evidence_file, monkeypatch):
    for columns in (80, 200):
        monkeypatch.setattr(ui, "out", ui.make_console(width=columns))
        code, out, err = run(capsys, "grade", "--evidence", str(evidence_file))
        assert code == 1, err
        assert_inert(out)
        assert "more characters)" in out


def test_grade_json_stays_exact(capsys, evidence_file):
    code, out, _ = run(capsys, "grade", "--evidence", str(evidence_file), "--json")
    [report] = json.loads(out)
    assert any(EVIL in r["message"] for r in report["results"])   # the exact strings, for scripts
    assert any(len(r["message"]) > BIG for r in report["results"])   # never cut
    assert "\x1b" not in out   # JSON escapes control characters itself


def test_check_prints_hostile_strings_inert(capsys, monkeypatch):
    bundle = hostile_bundle()
    monkeypatch.setattr(cluster, "connect", lambda context, explicit, timeout=10.0: SimpleNamespace(context=context),
                        raising=False)
    monkeypatch.setattr(cluster, "drill_present", lambda session, namespace: True, raising=False)
    monkeypatch.setattr(cluster, "collect_evidence",
                        lambda session, plan, probes, api_only=False: copy.deepcopy(bundle), raising=False)
    Store().add_drill(bundle["drill"], "kind-drills", 4, "2026-11-30T03:00:00Z")
    monkeypatch.setattr(ui, "out", ui.make_console(width=80))
    code, out, err = run(capsys, "check")
    assert code == 1, err
    assert_inert(out)


def test_status_history_hint_solution_show_render_inert(capsys, hostile_store, monkeypatch):
    store, plan, _ = hostile_store
    for columns in (80, 200):
        monkeypatch.setattr(ui, "out", ui.make_console(width=columns))
        for argv in (["status"], ["history"], ["stats"]):
            code, out, err = run(capsys, *argv)
            assert code == 0, err
            assert "\x1b" not in out and "\u202e" not in out and "\\x1b]0;pwned" in out, argv
            assert "[link=http://evil.example]CLICK[/link]" in unfold(out), argv
    for argv in (["hint", "--context", "ctx" + EVIL], ["solution", "--context", "ctx" + EVIL],
                 ["show", "hostile-selector"], ["render", "hostile-selector", "--seed", "1"]):
        code, out, err = run(capsys, *argv)
        assert code == 0, (argv, err)
        assert_inert(out)


def test_error_lines_are_inert(capsys):
    code, _, err = run(capsys, "show", "nope" + EVIL)
    assert code != 0 and "\x1b" not in err and err.count("\n") == 1


FORCED_TERMINALS = {
    # Rich believes it drives a colour terminal: only its own SGR styling may appear
    "color": {"FORCE_COLOR": "1", "TERM": "xterm-256color", "COLUMNS": "80"},
    # colour disabled: no escape sequence at all
    "no-color": {"FORCE_COLOR": "1", "TERM": "dumb", "NO_COLOR": "1", "COLUMNS": "80"},
}


@pytest.mark.parametrize("terminal", sorted(FORCED_TERMINALS))
def test_installed_cli_on_a_forced_terminal(terminal, tmp_path, evidence_file, hostile_store):
    _, _, pack_root = hostile_store
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DRILLS_HOME": os.environ["DRILLS_HOME"],
           "DRILLS_SCENARIO_PATH": str(pack_root), **FORCED_TERMINALS[terminal]}
    drills = Path(sys.executable).with_name("drills")
    command = [str(drills)] if drills.exists() else [sys.executable, "-m", "drills"]
    for argv in (["grade", "--evidence", str(evidence_file)], ["status"], ["history"],
                 ["hint", "--context", "ctx" + EVIL]):
        result = subprocess.run([*command, *argv], capture_output=True, env=env, timeout=60)
        out = result.stdout.decode()
        assert result.returncode in (0, 1), (argv, result.stderr.decode()[-500:])
        if terminal == "color":
            assert "\x1b[" in out or argv[0] != "grade"   # the styles really are on
            out = re.sub(r"\x1b\[[0-9;]*m", "", out)
        assert "\x1b" not in out, (argv, out[:2000])
        assert "[link=http://evil.example]CLICK[/link]" in unfold(out), argv
        assert out.count("\n") <= 400, argv


def test_start_prints_a_hostile_pack_inert(capsys, monkeypatch, hostile_store):
    session = SimpleNamespace(context="kind-drills")
    monkeypatch.setattr(cluster, "cluster_status", lambda: {"exists": True}, raising=False)
    monkeypatch.setattr(cluster, "connect", lambda context, explicit, timeout=10.0: session, raising=False)
    monkeypatch.setattr(cluster, "start_drill", lambda session, plan, progress=lambda p: None, **options: (
        progress("verifying " + EVIL) or {"verified_at": "2026-11-30T03:00:00Z"}), raising=False)
    monkeypatch.setattr(ui, "out", ui.make_console(width=80))
    code, out, err = run(capsys, "start", "hostile-selector", "--seed", "2")
    assert code == 0, err
    assert_inert(out)
    assert "\x1b" not in err
