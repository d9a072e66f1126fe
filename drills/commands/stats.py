"""drills stats: solves and personal bests per scenario, and pictures of progress."""
from __future__ import annotations

from pathlib import Path

import click

from drills.commands._common import json_option, open_store


def load_progress(store):
    from datetime import datetime

    from drills import progress
    return progress.build(store.practice_log(), store.exams(), datetime.now().astimezone().date())


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
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    from drills import progress as views
    from drills.ui import duration, out
    trends = {s.scenario: s for s in progress.scenarios}
    table = Table(title="your drills", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
                  title_justify="left")
    for name, justify in (("scenario", "left"), ("drills", "right"), ("solved", "right"),
                          ("clean", "right"), ("best", "right"), ("median", "right"),
                          ("trend", "left")):
        table.add_column(name, justify=justify, no_wrap=True)
    for r in rows:
        series = trends.get(r["scenario"])
        table.add_row(escape(r["scenario"]), str(r["drills"]), str(r["solved"]), str(r["clean_solves"]),
                      duration(r["best_seconds"]), duration(r["median_seconds"]),
                      views.sparkline(series) if series else "")
    out.print(table)
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
    out.print("drills stats --html progress.html", soft_wrap=True, markup=False)


def write_files(progress, html_file: Path | None, png_dir: Path | None) -> int:
    from datetime import datetime

    from drills import charts
    from drills.ui import out
    if html_file:
        drawn = charts.write_html(progress, html_file, datetime.now().astimezone().strftime("%Y-%m-%d %H:%M"))
        out.print(f"wrote {len(drawn)} chart{'s' if len(drawn) != 1 else ''} to", markup=False)
        out.print(str(html_file), soft_wrap=True, markup=False, highlight=False)
    if png_dir:
        written = charts.write_pngs(progress, png_dir)
        out.print(f"wrote {len(written)} PNG image{'s' if len(written) != 1 else ''} to", markup=False)
        out.print(str(png_dir), soft_wrap=True, markup=False, highlight=False)
    return 0
