"""drills stats: solves and personal bests per scenario, and pictures of progress."""
from __future__ import annotations

from pathlib import Path

import click

from drills.commands._common import json_option, open_store


def load_progress(store):
    from drills import progress
    from drills.store import utcnow
    return progress.build(store.practice_log(), store.exams(), utcnow().date())


@click.command("stats")
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Write one self-contained HTML page of charts (needs matplotlib).")
@click.option("--png", "png_dir", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Write the charts as PNG images into DIR (needs matplotlib).")
@json_option
def command(html_file: Path | None, png_dir: Path | None, as_json: bool) -> int:
    """Solve times per scenario, and pictures of your progress."""
    store = open_store()
    rows = store.stats()
    if html_file or png_dir:
        return write_files(load_progress(store), html_file, png_dir)
    if as_json:
        from drills.ui import print_json
        progress = load_progress(store)
        series = {s.scenario: [p.seconds for p in s.points] for s in progress.scenarios}
        print_json([{**r, "solve_seconds": series.get(r["scenario"], [])} for r in rows])
        return 0
    from drills.ui import out
    if not rows:
        out.print("No drills yet. Start one with 'drills start <scenario>' or 'drills next'.")
        return 0
    print_pictures(rows, load_progress(store))
    return 0


def print_pictures(rows, progress) -> None:
    from rich.text import Text

    from drills import progress as views
    from drills.ui import duration, out, print_command, print_rows
    trends = {s.scenario: s for s in progress.scenarios}
    print_rows(rows, as_json=False, title="your drills",
               columns=("scenario", "drills", "solved", "clean", "best", "median", "trend"),
               cells=lambda r: (r["scenario"], str(r["drills"]), str(r["solved"]), str(r["clean_solves"]),
                                duration(r["best_seconds"]), duration(r["median_seconds"]),
                                Text.from_markup(views.sparkline(trends[r["scenario"]]))
                                if r["scenario"] in trends else Text("")),
               empty="")
    out.print("[dim]trend: last 12, target at half height; [green]▄[/] within, [red]▄[/] over, "
              "[red]×[/] unsolved, [yellow]·[/] open[/]")
    if progress.stages:
        out.print()
        out.print(views.stage_table(progress))
    out.print()
    out.print("[bold]practice days[/]")
    for line in views.calendar_lines(progress):
        out.print(line)
    if progress.exams:
        out.print()
        out.print(f"[bold]mock exams[/] (│ marks the {views.PASS_MARK:g}% pass mark)")
        for line in views.exam_lines(progress):
            out.print(line)
    out.print()
    out.print("Charts to keep or share:")
    print_command("drills stats --html progress.html")


def write_files(progress, html_file: Path | None, png_dir: Path | None) -> int:
    from drills import charts
    from drills.store import utcnow
    from drills.ui import out, print_command
    if html_file:
        drawn = charts.write_html(progress, html_file, utcnow().strftime("%Y-%m-%d %H:%M UTC"))
        out.print(f"wrote {len(drawn)} chart{'s' if len(drawn) != 1 else ''} to")
        print_command(str(html_file))
    if png_dir:
        written = charts.write_pngs(progress, png_dir)
        out.print(f"wrote {len(written)} PNG image{'s' if len(written) != 1 else ''} to")
        print_command(str(png_dir))
    return 0
