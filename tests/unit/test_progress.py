"""drills stats: terminal pictures, and HTML/PNG charts whose points match the history."""
from __future__ import annotations

import json
import re
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest

from drills import catalog, progress
from drills.cli import main
from drills.errors import ExitCode
from drills.render import render
from drills.store import Store, iso, utcnow

# (scenario, days ago, solve seconds or None, hints, first failing stage of a check run or None)
HISTORY = [
    ("selector-mismatch", 40, 410, 1, "endpoints"),
    ("selector-mismatch", 33, 300, 0, None),
    ("selector-mismatch", 20, 200, 0, None),
    ("selector-mismatch", 6, 150, 0, None),
    ("wrong-targetport", 30, None, 2, "targetPort"),
    ("wrong-targetport", 12, 460, 0, "targetPort"),
    ("wrong-targetport", 3, 280, 0, None),
    ("notready-pods", 12, 500, 0, "endpoints"),
    ("expose-deployment", 3, 95, 0, "service"),
]
EXAMS = [(25, 48.0), (14, 61.5), (2, 72.0)]
REPORT_CHECKS = [("service.exists", "service"), ("service.selector-matches-pods", "endpoints"),
                 ("service.target-port-resolves", "targetPort"), ("reach.http-all-backends", "traffic")]


def check_report(failing_stage):
    """A `drills check` report: every check before the failing stage passes, the rest fail."""
    results, failed = [], False
    for name, stage in REPORT_CHECKS:
        failed = failed or stage == failing_stage
        results.append({"name": name, "stage": stage, "status": "FAIL" if failed else "PASS"})
    diagnosis = next((r["name"] for r in results if r["status"] == "FAIL"), None)
    return {"status": "FAIL" if diagnosis else "PASS", "score": 50.0, "diagnosis": diagnosis,
            "results": results}


def build_history(store: Store) -> dict:
    """Write HISTORY and EXAMS into `store`; return what the charts must show."""
    now = utcnow()
    for n, (scenario, days, seconds, hints, failing) in enumerate(HISTORY):
        plan = render(catalog.get(scenario), 100 + n)
        started = now - timedelta(days=days, hours=1)
        drill_id = store.add_drill(plan.identity(), "kind-drills", plan.target_minutes, iso(started))
        for _ in range(hints):
            store.add_help(drill_id, "hint", 0)
        if failing:
            store.add_attempt(drill_id, iso(started + timedelta(minutes=1)), check_report(failing))
        if seconds is not None:
            store.add_attempt(drill_id, iso(started + timedelta(seconds=seconds)), check_report(None))
            store.mark_solved(drill_id, iso(started + timedelta(seconds=seconds)))
        store.end(drill_id, iso(started + timedelta(minutes=20)))
    for days, score in EXAMS:
        started = now - timedelta(days=days)
        exam_id = store.add_exam(1, "kind-drills", 30, iso(started))
        store.end_exam(exam_id, score, iso(started + timedelta(minutes=30)))
    return expected_points()


def expected_points() -> dict:
    """chart kind -> what its points must say, computed from HISTORY by hand."""
    solves: dict[str, list[tuple[int, float]]] = {}
    counts: dict[str, int] = {}
    for scenario, _, seconds, _, _ in HISTORY:
        counts[scenario] = counts.get(scenario, 0) + 1
        if seconds is not None:
            solves.setdefault(scenario, []).append((counts[scenario], float(seconds)))
    stages = {}
    for name, stage in REPORT_CHECKS:
        passed = graded = 0
        for *_, seconds, _, failing in HISTORY:
            runs = ([failing] if failing else []) + ([None] if seconds is not None else [])
            for run_failing in runs:
                graded += 1
                passed += check_report(run_failing)["results"][[n for n, _ in REPORT_CHECKS].index(name)][
                    "status"] == "PASS"
        stages[stage] = round(100 * passed / graded, 1)
    days = {}
    for _, ago, *_ in HISTORY:
        day = progress.day_of(iso(utcnow() - timedelta(days=ago, hours=1))).isoformat()
        days[day] = days.get(day, 0) + 1
    return {"solves": solves, "stages": stages, "days": days, "exams": [s for _, s in EXAMS]}


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- the data --------------------------------------------------------------------

def test_progress_series_match_the_history():
    store = Store()
    expected = build_history(store)
    from drills.commands.stats import load_progress
    data = load_progress(store)
    assert {s.scenario: [(p.n, p.seconds) for p in s.solved] for s in data.scenarios} == expected["solves"]
    assert {s.stage: round(s.rate, 1) for s in data.stages} == expected["stages"]
    assert [s.stage for s in data.stages] == ["service", "endpoints", "targetPort", "traffic"]
    assert {s.stage: s.stopped for s in data.stages} == {"service": 1, "endpoints": 2, "targetPort": 2,
                                                          "traffic": 0}
    assert {d.isoformat(): n for d, n in data.days.items()} == expected["days"]
    assert [e.score for e in data.exams] == expected["exams"]


def test_sparkline_and_bars():
    series = progress.ScenarioSeries("x", 300.0, (
        progress.SolvePoint(1, utcnow().date(), 600.0, 300.0),
        progress.SolvePoint(2, utcnow().date(), None, 300.0),
        progress.SolvePoint(3, utcnow().date(), 150.0, 300.0),
        progress.SolvePoint(4, utcnow().date(), None, 300.0, running=True)))
    assert progress.sparkline(series) == "[red]█[/][red]×[/][green]▃[/][yellow]·[/]"
    assert progress.bar(0.5, 4) == "██  " and progress.bar(1, 3) == "███" and progress.bar(0, 2) == "  "
    assert progress.bar(1 / 2, 1) == "▌" and progress.bar(1 / 8, 2) == "▎ "


# --- the terminal ----------------------------------------------------------------

def test_stats_terminal_pictures_fit_80_columns(capsys, monkeypatch):
    build_history(Store())
    monkeypatch.setenv("COLUMNS", "80")
    from drills import ui
    monkeypatch.setattr(ui.out, "_width", 80, raising=False)
    code, out, _ = run(capsys, "stats")
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= 80, out
    for words in ("selector-mismatch", "where along the path checks fail", "targetPort",
                  "practice days", "mock exams", "72.0%", "below 66%", "drills stats --html"):
        assert words in out
    [row] = [line for line in out.splitlines() if line.startswith("wrong-targetport")]
    assert "×" in row                      # the drill that was not solved
    assert "7 practice days in 26 weeks; streak 0 days" in out


def test_stats_json_keeps_its_rows_and_adds_solve_times(capsys):
    build_history(Store())
    code, out, _ = run(capsys, "stats", "--json")
    rows = {r["scenario"]: r for r in json.loads(out)}
    assert code == 0 and rows["wrong-targetport"]["solved"] == 2
    assert rows["wrong-targetport"]["solve_seconds"] == [None, 460.0, 280.0]


# --- the files -------------------------------------------------------------------

class ChartParser(HTMLParser):
    """Collects each <figure class="chart">: its data attributes and the SVG groups of its points."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.figures: list[dict] = []
        self.urls: list[str] = []
        self.group: dict | None = None
        self.depth = 0
        self.inside = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("href", "src", "xlink:href"):
            if key in attrs:
                self.urls.append(attrs[key])
        if tag == "figure" and "chart" in (attrs.get("class") or ""):
            self.figures.append({**attrs, "groups": {}, "texts": []})
            self.inside = True
            return
        if not self.inside:
            return
        figure = self.figures[-1]
        if tag == "g" and (attrs.get("id") or "").startswith(("pt-", "miss-")):
            self.group = figure["groups"].setdefault(attrs["id"], [])
            self.depth = 0
        elif self.group is not None:
            if tag == "g":
                self.depth += 1
            self.group.append((tag, attrs))

    def handle_endtag(self, tag):
        if tag == "figure":
            self.inside = False
        if tag == "g" and self.group is not None:
            if self.depth == 0:
                self.group = None
            else:
                self.depth -= 1

    def handle_data(self, data):
        if self.inside and data.strip():
            self.figures[-1]["texts"].append(data.strip())


def marker_y(shapes) -> float:
    """The y of a point's marker in SVG coordinates (a <use> of a marker, or a patch's path)."""
    for tag, attrs in shapes:
        if tag == "use":
            return float(attrs["y"])
    for tag, attrs in shapes:
        if tag == "path" and "d" in attrs and "id" not in attrs:   # not a marker's <defs> shape
            ys = [float(y) for y in re.findall(r"[ML]\s*[-\d.]+\s+([-\d.]+)", attrs["d"])]
            return min(ys)   # a bar's top edge
    raise AssertionError(f"no marker in {shapes}")


def cell_corner(shapes) -> tuple[float, float]:
    """The top-left corner of a calendar cell's rectangle."""
    [d] = [attrs["d"] for tag, attrs in shapes if tag == "path"]
    pairs = [(float(x), float(y)) for x, y in re.findall(r"[ML]\s*([-\d.]+)\s+([-\d.]+)", d)]
    return min(x for x, _ in pairs), min(y for _, y in pairs)


def fill_of(shapes) -> str:
    [style] = [attrs["style"] for tag, attrs in shapes if tag == "path"]
    return re.search(r"fill:\s*(#[0-9a-f]+)", style).group(1)


def parse_page(path):
    parser = ChartParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_html_page_is_self_contained_and_every_chart_carries_the_history(tmp_path, capsys):
    expected = build_history(Store())
    page = tmp_path / "progress.html"
    code, out, _ = run(capsys, "stats", "--html", str(page))
    assert code == 0 and "wrote 7 charts to" in out and str(page) in out
    text = page.read_text()
    assert text.startswith("<!DOCTYPE html>") and "<svg" in text and "<?xml" not in text
    parser = parse_page(page)
    assert all(url.startswith("#") for url in parser.urls), parser.urls     # nothing outside the page
    assert not re.search(r"(src|href)=\"(https?:)?//", text)
    figures = {f["data-chart"]: f for f in parser.figures}
    assert len(figures) == 7

    for chart_id, figure in figures.items():
        points = json.loads(figure["data-points"])
        assert int(figure["data-count"]) == len(points) > 0
        misses = json.loads(figure["data-misses"])
        assert sorted(figure["groups"]) == sorted(p["id"] for p in points + misses), chart_id
        if chart_id == "practice-calendar":
            continue   # its cells are placed by date, checked below
        # drawn higher means a larger value: the SVG's y grows downwards
        ys = {p["id"]: marker_y(figure["groups"][p["id"]]) for p in points}
        by_value = sorted(points, key=lambda p: p["y"])
        for low, high in zip(by_value, by_value[1:]):
            if high["y"] > low["y"]:
                assert ys[high["id"]] < ys[low["id"]], (chart_id, low, high)

    solve_charts = {f["texts"][-1].split(":")[0]: json.loads(f["data-points"])
                    for cid, f in figures.items() if cid.startswith("solve-time-")}
    assert {s: [(p["x"], p["y"]) for p in pts] for s, pts in solve_charts.items()} == expected["solves"]
    unsolved = {f["texts"][-1].split(":")[0]: [m["x"] for m in json.loads(f["data-misses"])]
                for cid, f in figures.items() if cid.startswith("solve-time-")}
    assert unsolved == {"expose-deployment": [], "notready-pods": [], "selector-mismatch": [],
                        "wrong-targetport": [1]}
    stages = json.loads(figures["stage-pass-rate"]["data-points"])
    assert {p["x"]: p["y"] for p in stages} == expected["stages"]
    assert {"service", "endpoints", "targetPort", "traffic"} <= set(figures["stage-pass-rate"]["texts"])
    calendar = figures["practice-calendar"]
    days = json.loads(calendar["data-points"])
    assert {p["x"]: p["y"] for p in days} == expected["days"]
    # one column per week (left to right), Monday on top; darker cells for more drills
    cells = {p["x"]: cell_corner(calendar["groups"][p["id"]]) for p in days}
    weeks = {day: date.fromisoformat(day).isocalendar()[:2] for day in cells}
    for a in cells:
        for b in cells:
            if weeks[a] < weeks[b]:
                assert cells[a][0] < cells[b][0], (a, b)
            elif weeks[a] == weeks[b] and a < b:
                assert cells[a][0] == cells[b][0] and cells[a][1] < cells[b][1], (a, b)
    fills = {p["y"]: fill_of(calendar["groups"][p["id"]]) for p in days}
    assert len(set(fills.values())) == len(fills) == 2   # one drill and two drills look different
    exams = json.loads(figures["exam-scores"]["data-points"])
    assert [p["y"] for p in exams] == expected["exams"]
    assert "pass mark 66%" in figures["exam-scores"]["texts"]
    target_texts = [t for t in figures[next(c for c in figures if "wrong-targetport" in c)]["texts"]
                    if t.startswith("target")]
    assert target_texts == ["target 5:00"]


def test_png_images_are_written_one_per_chart(tmp_path, capsys):
    build_history(Store())
    folder = tmp_path / "charts"
    code, out, _ = run(capsys, "stats", "--png", str(folder))
    assert code == 0 and "wrote 7 PNG images" in out
    images = sorted(folder.glob("*.png"))
    assert {p.name for p in images} == {
        "solve-time-00-expose-deployment.png", "solve-time-01-notready-pods.png",
        "solve-time-02-selector-mismatch.png", "solve-time-03-wrong-targetport.png",
        "stage-pass-rate.png", "practice-calendar.png", "exam-scores.png"}
    for image in images:
        assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and image.stat().st_size > 5000


def test_an_empty_history_still_writes_a_page(tmp_path, capsys):
    page = tmp_path / "empty.html"
    code, out, _ = run(capsys, "stats", "--html", str(page))
    assert code == 0 and "wrote 0 charts" in out
    assert parse_page(page).figures == [] and page.read_text().count("No data yet.") == 4


def test_missing_matplotlib_is_one_line_naming_the_pip_command(capsys, monkeypatch, tmp_path):
    import builtins
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    build_history(Store())
    code, out, err = run(capsys, "stats", "--html", str(tmp_path / "p.html"))
    assert code == ExitCode.USAGE == 2
    [line] = err.strip().splitlines()
    from drills.charts import install_hint
    assert "matplotlib" in line and install_hint() in line and "'.[charts]'" in line
    assert not (tmp_path / "p.html").exists()


def test_unwritable_destination_is_one_line(capsys, tmp_path):
    build_history(Store())
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run(capsys, "stats", "--png", str(blocker / "sub"))
    assert code == ExitCode.USAGE and len(err.strip().splitlines()) == 1 and "cannot write" in err


@pytest.mark.parametrize("argv", [["stats"], ["list"]])
def test_stats_and_list_never_import_matplotlib(argv, tmp_path):
    import subprocess
    import sys
    build_history(Store(tmp_path / "drills.db"))
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "drills", *argv],
                            capture_output=True, text=True,
                            env={"DRILLS_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-2000:]
    imported = {line.split("|")[-1].strip().split(".")[0]
                for line in result.stderr.splitlines() if line.startswith("import time:")}
    assert "matplotlib" not in imported and "numpy" not in imported
