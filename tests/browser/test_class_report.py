"""The HTML class report in a real browser: the matrix shows, a click opens the drill-down."""
from __future__ import annotations

import pytest

from drills.reports import write_report
from tests.classroom.test_reports import HOSTILE, RUN

pytestmark = pytest.mark.browser


def test_the_matrix_shows_and_a_cell_opens_the_learners_checks(browser_page, tmp_path):
    report = write_report(RUN, str(tmp_path / "class.html"))
    browser_page.open(report)
    headers = [th.text for th in browser_page.query("#matrix thead th.task")]
    assert headers == ["selector-mismatch", "wrong-targetport"]
    learners = [th.text.split("\n")[0] for th in browser_page.query("#matrix th.learner")]
    assert learners == ["alice", "bob", HOSTILE, "carol"]
    assert not browser_page.query("script")          # the learner's name stayed text
    cell = 'td.cell.FAIL[data-learner="bob"][data-task="wrong-targetport"] a'
    drill = browser_page.query(cell)[0].get_attribute("href").rsplit("#", 1)[1]
    assert not browser_page.visible(f"#{drill}")     # closed until clicked
    browser_page.screenshot("class-report-matrix")
    browser_page.click(cell)
    assert browser_page.visible(f"#{drill}")
    opened = browser_page.text(f"#{drill}")
    assert "bob · wrong-targetport" in opened and "Diagnosis:" in opened
    assert len(browser_page.query(f"#{drill} table.checks tbody tr")) == 8
    shot = browser_page.screenshot("class-report-drill-down")
    assert shot.stat().st_size > 10_000
    browser_page.click(f"#{drill} a[href='#matrix']")
    browser_page.click('td.cell.PASS[data-learner="alice"] a')
    assert "alice · selector-mismatch" in browser_page.text(".drill:target")
    browser_page.screenshot("class-report-pass")
