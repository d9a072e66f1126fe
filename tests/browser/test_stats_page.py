"""The `drills stats --html` page in a real browser: every chart renders its points."""
from __future__ import annotations

import json

import pytest

from drills.cli import main
from drills.store import Store
from tests.unit.test_progress import build_history

pytestmark = pytest.mark.browser


def test_stats_page_renders_every_chart_in_chromium(browser_page, tmp_path, capsys):
    expected = build_history(Store())
    page = tmp_path / "progress.html"
    assert main(["stats", "--html", str(page)]) == 0
    capsys.readouterr()
    browser_page.get(page.as_uri())

    figures = browser_page.find_elements("css selector", "figure.chart")
    assert len(figures) == 4 + 3    # four scenarios practised, stages, calendar, exams
    for figure in figures:
        points = json.loads(figure.get_attribute("data-points"))
        svg = figure.find_element("css selector", "svg")
        assert svg.size["width"] > 300 and svg.size["height"] > 100, figure.get_attribute("data-chart")
        drawn = svg.find_elements("css selector", "g[id^='pt-']")
        assert sorted(g.get_attribute("id") for g in drawn) == sorted(p["id"] for p in points)
        for group in drawn:     # each point is really painted: a marker or a shape with a size
            box = browser_page.execute_script("return arguments[0].getBBox();", group)
            assert box["width"] > 0 and box["height"] > 0, group.get_attribute("id")

    by_chart = {f.get_attribute("data-chart"): json.loads(f.get_attribute("data-points")) for f in figures}
    assert len(by_chart["exam-scores"]) == len(expected["exams"])
    assert len(by_chart["practice-calendar"]) == len(expected["days"])
    assert len(by_chart["stage-pass-rate"]) == len(expected["stages"])
    assert sum(len(v) for k, v in by_chart.items() if k.startswith("solve-time-")) == \
        sum(len(v) for v in expected["solves"].values())
    assert browser_page.execute_script("return performance.getEntriesByType('resource').length") == 0

    shot = tmp_path / "stats-page.png"
    browser_page.set_window_size(1280, browser_page.execute_script("return document.documentElement.scrollHeight") + 120)
    assert browser_page.save_screenshot(str(shot))
    print(f"screenshot: {shot}")
