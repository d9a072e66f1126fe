"""Progress charts as files: one self-contained HTML page of inline SVG, or PNG images.

Drawn with matplotlib (Agg for PNG, its SVG backend for the page), imported
only here and only when a file is asked for, so `drills stats` stays fast.

Every data point is its own artist with a gid `pt-<chart>-<n>`, which the SVG
keeps as the id of the point's group, and every chart's <figure> carries the
same points as JSON in `data-points`: a test, a browser or a script can match
what is drawn against the history.
"""
from __future__ import annotations

import html
import io
import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from drills.errors import UsageError
from drills.progress import CALENDAR_WEEKS, PASS_MARK, Progress, ScenarioSeries

GREEN, RED, GREY, BLUE = "#2e7d32", "#c62828", "#9e9e9e", "#1565c0"
PACKAGE_DIR = Path(__file__).resolve().parent.parent       # .../drills


def install_hint(package_dir: Path = PACKAGE_DIR) -> str:
    """The command that adds the charts extra to the drills that is running. From
    a clone (how the README installs, editable or not) that is '.[charts]' in the
    clone; 'drills[charts]' only for a drills from a package index. The pip is the
    running Python's, so the extra lands where drills is."""
    import shlex
    import sys

    pip = f"{shlex.quote(sys.executable)} -m pip"
    source = installed_from(package_dir)
    if source is None:
        return f"{pip} install 'drills[charts]'"
    folder, editable = source
    return f"cd {shlex.quote(str(folder))} && {pip} install {'-e ' if editable else ''}'.[charts]'"


def installed_from(package_dir: Path) -> tuple[Path, bool] | None:
    """(the source folder, editable) when drills runs from a source checkout or was
    installed from a local folder (pip records that in direct_url.json, PEP 610)."""
    from importlib import metadata
    from urllib.parse import unquote, urlsplit

    if _names_drills(package_dir.parent / "pyproject.toml"):
        return package_dir.parent, True
    try:
        info = json.loads(metadata.distribution("drills").read_text("direct_url.json") or "null")
    except (metadata.PackageNotFoundError, OSError, ValueError):
        return None
    if not isinstance(info, dict) or not isinstance(info.get("dir_info"), dict):
        return None                    # from an index or an archive, not from a folder
    url = urlsplit(str(info.get("url", "")))
    if url.scheme != "file":
        return None
    return Path(unquote(url.path)), bool(info["dir_info"].get("editable"))


def _names_drills(pyproject: Path) -> bool:
    import tomllib
    try:
        return tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {}).get("name") == "drills"
    except (OSError, ValueError, AttributeError):
        return False


@dataclass
class Chart:
    id: str                     # also the PNG file name
    title: str
    section: str
    figure: Any
    points: list[dict[str, Any]] = field(default_factory=list)
    misses: list[dict[str, Any]] = field(default_factory=list)   # drills not solved (solve-time charts)


def _matplotlib():
    try:
        import matplotlib
    except ImportError:
        raise UsageError("charts need matplotlib, which is not installed",
                         f"install the charts extra: {install_hint()}") from None
    from matplotlib.figure import Figure
    return matplotlib, Figure


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _minutes(seconds: float) -> str:
    from drills.ui import duration
    return duration(seconds)


def _text(ax, kind: str, text: str) -> None:
    """Titles and labels without mathtext: a pack's scenario id is text, never markup."""
    getattr(ax, kind)(text, parse_math=False)


def solve_time_chart(Figure, series: ScenarioSeries, index: int) -> Chart:
    chart = Chart(f"solve-time-{index:02d}-{_slug(series.scenario)}", f"{series.scenario}: solve time",
                  "solve-times", Figure(figsize=(6.4, 2.8), dpi=100, layout="constrained"))
    ax = chart.figure.add_subplot()
    target = series.target_seconds / 60
    solved = series.solved
    ax.axhline(target, color=GREY, linestyle="--", linewidth=1.2, gid=f"target-{chart.id}")
    ax.annotate(f"target {_minutes(series.target_seconds)}", (0.0, target),
                xycoords=("axes fraction", "data"),
                xytext=(4, 3), textcoords="offset points", color=GREY, fontsize=8)
    if len(solved) > 1:
        ax.plot([p.n for p in solved], [p.seconds / 60 for p in solved], color=BLUE, linewidth=1,
                alpha=0.5, gid=f"line-{chart.id}")
    for number, p in enumerate(solved):
        gid = f"pt-{chart.id}-{number}"
        ax.plot([p.n], [p.seconds / 60], marker="o", markersize=6, linestyle="none",
                color=GREEN if p.within_target else RED, gid=gid)
        chart.points.append({"id": gid, "x": p.n, "y": round(p.seconds, 1), "day": p.day.isoformat(),
                             "label": f"drill {p.n}: {_minutes(p.seconds)}"
                                      f"{' with help' if p.hints or p.solution_viewed else ''}"})
    for number, p in enumerate(q for q in series.points if q.seconds is None and not q.running):
        gid = f"miss-{chart.id}-{number}"
        ax.plot([p.n], [0], marker="x", markersize=7, linestyle="none", color=RED, clip_on=False, gid=gid)
        chart.misses.append({"id": gid, "x": p.n, "day": p.day.isoformat(),
                             "label": f"drill {p.n}: not solved"})
    top = max([target, *(p.seconds / 60 for p in solved)]) * 1.25
    ax.set_ylim(0, top)
    ax.set_xlim(0.5, max(len(series.points), 2) + 0.5)
    from matplotlib.ticker import MaxNLocator
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _text(ax, "set_title", chart.title)
    _text(ax, "set_xlabel", "drill (× = not solved)")
    _text(ax, "set_ylabel", "minutes")
    ax.grid(axis="y", alpha=0.3)
    return chart


def stage_chart(Figure, progress: Progress) -> Chart:
    chart = Chart("stage-pass-rate", "pass rate by check stage", "stages",
                  Figure(figsize=(6.4, 2.8), dpi=100, layout="constrained"))
    ax = chart.figure.add_subplot()
    names = [s.stage for s in progress.stages]
    bars = ax.bar(range(len(names)), [s.rate for s in progress.stages],
                  color=[GREEN if s.rate >= 80 else "#f9a825" if s.rate >= 50 else RED
                         for s in progress.stages])
    for number, (patch, s) in enumerate(zip(bars, progress.stages)):
        gid = f"pt-{chart.id}-{number}"
        patch.set_gid(gid)
        ax.annotate(f"{s.rate:.0f}%\n{s.stopped} stopped", (number, s.rate), xytext=(0, 2),
                    textcoords="offset points", ha="center", va="bottom", fontsize=8)
        chart.points.append({"id": gid, "x": s.stage, "y": round(s.rate, 1), "passed": s.passed,
                             "graded": s.graded, "stopped": s.stopped,
                             "label": f"{s.stage}: {s.passed} of {s.graded} checks passed"})
    ax.set_xticks(range(len(names)), names)
    ax.set_ylim(0, 120)
    ax.set_yticks([0, 25, 50, 75, 100])
    _text(ax, "set_title", "pass rate by check stage (along the troubleshooting path)")
    _text(ax, "set_ylabel", "% of checks passed")
    return chart


def calendar_chart(Figure, progress: Progress, weeks: int = CALENDAR_WEEKS) -> Chart:
    from matplotlib.patches import Rectangle
    chart = Chart("practice-calendar", "practice days", "calendar",
                  Figure(figsize=(6.4, 2.0), dpi=100, layout="constrained"))
    ax = chart.figure.add_subplot()
    last_monday = progress.today - timedelta(days=progress.today.weekday())
    first = last_monday - timedelta(weeks=weeks - 1)
    shades = ["#ebedf0", "#9be9a8", "#40c463", "#30a14e", "#216e39"]
    number = 0
    for week in range(weeks):
        for weekday in range(7):
            day = first + timedelta(weeks=week, days=weekday)
            if day > progress.today:
                continue
            count = progress.days.get(day, 0)
            cell = Rectangle((week, 6 - weekday), 0.85, 0.85, color=shades[min(count, 4)])
            if count:
                gid = f"pt-{chart.id}-{number}"
                cell.set_gid(gid)
                chart.points.append({"id": gid, "x": day.isoformat(), "y": count,
                                     "label": f"{day.isoformat()}: {count} drill{'s' if count > 1 else ''}"})
                number += 1
            ax.add_patch(cell)
    ax.set_xlim(-0.2, weeks)
    ax.set_ylim(-0.2, 7)
    ax.set_yticks([6.4, 4.4, 2.4, 0.4], ["Mon", "Wed", "Fri", "Sun"])
    months = [(w, first + timedelta(weeks=w)) for w in range(weeks)]
    ticks = [(w, d.strftime("%b")) for w, d in months if d.day <= 7]
    ax.set_xticks([w + 0.4 for w, _ in ticks], [m for _, m in ticks])
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_aspect("equal")
    _text(ax, "set_title", f"practice days, last {weeks} weeks ({len(chart.points)} days)")
    return chart


def exam_chart(Figure, progress: Progress) -> Chart:
    chart = Chart("exam-scores", "mock exam scores", "exams",
                  Figure(figsize=(6.4, 2.8), dpi=100, layout="constrained"))
    ax = chart.figure.add_subplot()
    ax.axhline(PASS_MARK, color=GREY, linestyle="--", linewidth=1.2, gid=f"passmark-{chart.id}")
    ax.annotate(f"pass mark {PASS_MARK:g}%", (0.0, PASS_MARK), xycoords=("axes fraction", "data"),
                xytext=(4, 3), textcoords="offset points", color=GREY, fontsize=8)
    exams = progress.exams
    if len(exams) > 1:
        ax.plot([e.n for e in exams], [e.score for e in exams], color=BLUE, linewidth=1, alpha=0.5)
    for number, e in enumerate(exams):
        gid = f"pt-{chart.id}-{number}"
        ax.plot([e.n], [e.score], marker="o", markersize=6, linestyle="none",
                color=GREEN if e.score >= PASS_MARK else RED, gid=gid)
        chart.points.append({"id": gid, "x": e.n, "y": round(e.score, 1), "day": e.day.isoformat(),
                             "label": f"exam {e.n} ({e.day.isoformat()}): {e.score:g}%"})
    from matplotlib.ticker import MaxNLocator
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlim(0.5, max(len(exams), 2) + 0.5)
    ax.set_ylim(0, 105)
    _text(ax, "set_title", "mock exam scores against the pass mark")
    _text(ax, "set_xlabel", "exam")
    _text(ax, "set_ylabel", "score %")
    ax.grid(axis="y", alpha=0.3)
    return chart


def charts(progress: Progress) -> list[Chart]:
    """Every chart the history has data for, in page order."""
    _, Figure = _matplotlib()
    out = [solve_time_chart(Figure, s, n) for n, s in enumerate(progress.scenarios)]
    if progress.stages:
        out.append(stage_chart(Figure, progress))
    if progress.days:
        out.append(calendar_chart(Figure, progress))
    if progress.exams:
        out.append(exam_chart(Figure, progress))
    return out


_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)


def svg_of(chart: Chart) -> str:
    """The chart as an <svg> element to inline: no XML prologue, no metadata; ids salted
    with the chart's id so that charts on one page never share one."""
    matplotlib, _ = _matplotlib()
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": chart.id}):
        chart.figure.savefig(buffer, format="svg", metadata={"Date": None})
    return _METADATA.sub("", _PROLOGUE.sub("", buffer.getvalue(), count=1))


SECTIONS = [
    ("solve-times", "Solve time per scenario",
     "Each dot is a solved drill (green within the target, red over it); × marks a drill not solved."),
    ("stages", "Where along the path checks fail",
     "Share of checks passed per stage of the troubleshooting path, and how many 'drills check' "
     "runs stopped at that stage."),
    ("calendar", "Practice days", "One square per day; darker means more drills."),
    ("exams", "Mock exams", f"Scores of finished mock exams against the {PASS_MARK:g}% pass mark."),
]

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 64rem; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
figure.chart { margin: 0.5rem 0; } figure.chart svg { width: 100%; height: auto; }
div.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(28rem, 1fr)); gap: 0 1.5rem; }
figcaption, p.note { color: #555; font-size: 0.9rem; }
"""


def html_page(progress: Progress, generated: str) -> tuple[str, list[Chart]]:
    drawn = charts(progress)
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             "<title>drills: progress</title>", f"<style>{STYLE}</style>", "</head>", "<body>",
             "<h1>drills: your progress</h1>",
             f'<p class="note">{sum(len(s.points) for s in progress.scenarios)} drills, '
             f"{len(progress.exams)} mock exams; generated {html.escape(generated)}.</p>"]
    for section, heading, note in SECTIONS:
        members = [c for c in drawn if c.section == section]
        parts += [f'<section id="{section}">', f"<h2>{html.escape(heading)}</h2>",
                  f'<p class="note">{html.escape(note)}</p>']
        if not members:
            parts.append('<p class="empty">No data yet.</p>')
        parts.append('<div class="charts">')
        for chart in members:
            points = html.escape(json.dumps(chart.points, sort_keys=True), quote=True)
            misses = html.escape(json.dumps(chart.misses, sort_keys=True), quote=True)
            parts += [f'<figure class="chart" id="chart-{chart.id}" data-chart="{chart.id}" '
                      f'data-count="{len(chart.points)}" data-points="{points}" data-misses="{misses}">',
                      svg_of(chart), f"<figcaption>{html.escape(chart.title)}</figcaption>", "</figure>"]
        parts += ["</div>", "</section>"]
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts), drawn


def write_html(progress: Progress, path: Path, generated: str) -> list[Chart]:
    page, drawn = html_page(progress, generated)
    try:
        path.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path} ({exc.strerror})", "choose a writable file") from exc
    return drawn


def write_pngs(progress: Progress, folder: Path) -> list[Path]:
    drawn = charts(progress)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for chart in drawn:
            target = folder / f"{chart.id}.png"
            chart.figure.savefig(target, format="png", dpi=120)
            written.append(target)
    except OSError as exc:
        raise UsageError(f"cannot write charts to {folder} ({exc.strerror})",
                         "choose a writable folder") from exc
    return written
