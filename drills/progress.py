"""Progress as data, and as compact pictures for the terminal.

`build()` turns the history (Store.practice_log() and Store.exams()) into the
series every view draws: solve times per scenario against the target, pass
rate per check stage, practice days, exam scores. The terminal views here use
Rich only (sparklines, bars, a day grid: readable over SSH, within 80
columns); drills.charts draws the same series as SVG/PNG charts.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Iterable

from drills.exam import PASS_MARK
from drills.store import parse_iso

SPARK = "▁▂▃▄▅▆▇█"
CALENDAR_WEEKS = 26


@dataclass(frozen=True)
class SolvePoint:
    n: int                      # the learner's n-th drill of this scenario
    day: date
    seconds: float | None       # None: not solved
    target_seconds: float
    hints: int = 0
    solution_viewed: bool = False
    level: str | None = None
    running: bool = False       # not solved yet, and not ended either

    @property
    def within_target(self) -> bool:
        return self.seconds is not None and self.seconds <= self.target_seconds


@dataclass(frozen=True)
class ScenarioSeries:
    scenario: str
    target_seconds: float       # the latest drill's target
    points: tuple[SolvePoint, ...]

    @property
    def solved(self) -> tuple[SolvePoint, ...]:
        return tuple(p for p in self.points if p.seconds is not None)


@dataclass(frozen=True)
class StageRate:
    stage: str
    passed: int                 # check results at this stage that passed
    graded: int                 # check results at this stage
    stopped: int                # `drills check` runs whose first failure was here

    @property
    def rate(self) -> float:
        return 100.0 * self.passed / self.graded if self.graded else 0.0


@dataclass(frozen=True)
class ExamPoint:
    n: int
    day: date
    score: float


@dataclass(frozen=True)
class Progress:
    today: date
    scenarios: tuple[ScenarioSeries, ...]
    stages: tuple[StageRate, ...]
    days: dict[date, int]       # practice days (UTC): drills started that day
    exams: tuple[ExamPoint, ...]

    @property
    def empty(self) -> bool:
        return not (self.scenarios or self.exams)


def day_of(stamp: str) -> date:
    """The UTC day of a stored time, as `drills history` shows its times."""
    return parse_iso(stamp).date()


def stage_order() -> list[str]:
    from drills.graders.registry import STAGE_NAMES
    return [STAGE_NAMES[k] for k in sorted(STAGE_NAMES)]


def build(log: Iterable[dict[str, Any]], exams: Iterable[dict[str, Any]], today: date) -> Progress:
    from drills.coach import attempt_from_row
    series: dict[str, list[SolvePoint]] = {}
    days: dict[date, int] = {}
    stage_counts: dict[str, list[int]] = {}
    for row in log:
        started = parse_iso(row["started_at"])
        seconds = ((parse_iso(row["solved_at"]) - started).total_seconds() if row["solved_at"] else None)
        points = series.setdefault(row["scenario"], [])
        points.append(SolvePoint(len(points) + 1, day_of(row["started_at"]),
                                 None if seconds is None else max(0.0, seconds),
                                 row["target_minutes"] * 60, row["hints"], row["solution_viewed"],
                                 row["level"], running=row["solved_at"] is None and row["ended_at"] is None))
        day = day_of(row["started_at"])
        days[day] = days.get(day, 0) + 1
        for raw in row["attempts"]:
            attempt = attempt_from_row(raw, started)
            for stage, status, _ in attempt.checks:
                counts = stage_counts.setdefault(stage, [0, 0, 0])
                counts[0] += status == "PASS"
                counts[1] += 1
            if attempt.failed_stage is not None:
                stage_counts.setdefault(attempt.failed_stage, [0, 0, 0])[2] += 1
    order = stage_order()
    stages = tuple(StageRate(s, *stage_counts[s]) for s in
                   sorted(stage_counts, key=lambda s: (order.index(s) if s in order else len(order), s)))
    scenarios = tuple(ScenarioSeries(name, pts[-1].target_seconds, tuple(pts))
                      for name, pts in sorted(series.items()))
    exam_points = tuple(ExamPoint(n, day_of(e["started_at"]), float(e["score"]))
                        for n, e in enumerate(exams, start=1))
    return Progress(today, scenarios, stages, days, exam_points)


# --- terminal pictures ------------------------------------------------------------

def sparkline(series: ScenarioSeries, width: int = 12) -> str:
    """The last `width` drills as Rich markup: bar height is solve time (the target sits at
    the middle height), green within target, red over it, a red × when not solved, a dot
    while still running."""
    cells = []
    target = series.target_seconds or 1.0
    for p in series.points[-width:]:
        if p.seconds is None:
            cells.append("[yellow]·[/]" if p.running else "[red]×[/]")
            continue
        level = min(len(SPARK) - 1, int(p.seconds / (2 * target) * (len(SPARK) - 1) + 0.5))
        cells.append(f"[{'green' if p.within_target else 'red'}]{SPARK[level]}[/]")
    return "".join(cells)


def bar(fraction: float, width: int) -> str:
    """A horizontal bar of eighths: `fraction` of `width` cells filled."""
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + (" ▏▎▍▌▋▊▉"[part] if part else "")
    return text + " " * (width - len(text))


def stage_table(progress: Progress):
    from rich.table import Table
    from rich.text import Text

    from drills.ui import plain
    table = Table(title="where along the path checks fail", box=None, pad_edge=False,
                  title_justify="left")
    table.add_column("stage", no_wrap=True)
    table.add_column("checks passed", no_wrap=True)
    table.add_column("rate", justify="right", no_wrap=True)
    table.add_column("stopped here", justify="right", no_wrap=True)
    for s in progress.stages:
        style = "green" if s.rate >= 80 else "yellow" if s.rate >= 50 else "red"
        table.add_row(plain(s.stage), Text(bar(s.rate / 100, 30), style=style), f"{s.rate:.0f}%",
                      f"{s.stopped}")
    return table


def calendar_lines(progress: Progress, weeks: int = CALENDAR_WEEKS) -> list[str]:
    """Monday-to-Sunday rows, one column per week, ending with the current week."""
    last_monday = progress.today - timedelta(days=progress.today.weekday())
    first = last_monday - timedelta(weeks=weeks - 1)
    shades = "·░▒▓█"
    lines = []
    for weekday, name in enumerate(("Mon", "", "Wed", "", "Fri", "", "Sun")):
        cells = []
        for week in range(weeks):
            day = first + timedelta(weeks=week, days=weekday)
            if day > progress.today:
                cells.append(" ")
                continue
            count = progress.days.get(day, 0)
            cells.append(f"[green]{shades[min(count, 4)]}[/]" if count else "[dim]·[/]")
        lines.append(f"{name:<4}" + "".join(cells))
    shown = [d for d in progress.days if first <= d <= progress.today]
    days_in_a_row = streak(progress)
    lines.append(f"{len(shown)} practice day{'s' if len(shown) != 1 else ''} in {weeks} weeks; "
                 f"streak {days_in_a_row} day{'s' if days_in_a_row != 1 else ''} (░ 1 drill … █ 4+)")
    return lines


def streak(progress: Progress) -> int:
    """Practice days in a row up to today (or yesterday, when today has none yet)."""
    day = progress.today if progress.today in progress.days else progress.today - timedelta(days=1)
    count = 0
    while day in progress.days:
        count, day = count + 1, day - timedelta(days=1)
    return count


def exam_lines(progress: Progress, last: int = 10) -> list[str]:
    lines = []
    for e in progress.exams[-last:]:
        passed = e.score >= PASS_MARK
        style = "green" if passed else "red"
        mark = int(PASS_MARK / 100 * 30)
        cells = bar(e.score / 100, 30)
        cells = cells[:mark] + "│" + cells[mark + 1:] if cells[mark] == " " else cells
        lines.append(f"{e.day.isoformat()}  [{style}]{cells}[/] {e.score:5.1f}%  "
                     f"{'pass' if passed else f'below {PASS_MARK:g}%'}")
    return lines
