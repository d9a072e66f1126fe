"""Class reports: golden JSON/CSV/JUnit, JUnit read by a real consumer, HTML parsed for structure."""
from __future__ import annotations

import csv
import io
import json
import os
from html.parser import HTMLParser
from pathlib import Path

import pytest
from junitparser import Error, Failure, JUnitXml

from drills.reports import render_report, summary
from drills.errors import UsageError

GOLDEN = Path(__file__).resolve().parent / "golden"
ROWS = json.loads((GOLDEN / "rows.json").read_text())["rows"]
RUN = {"class_run": "20261201-090000-abcd", "started_at": "2026-12-01T09:00:00.000000Z",
       "ended_at": "2026-12-01T09:00:31.000000Z", "source": "contexts: learner-* (4)",
       "interrupted": False, "targets": 4, "rows": ROWS}
HOSTILE = '=HYPERLINK("x")<script>alert(1)</script>'


@pytest.mark.parametrize("suffix, golden", [(".json", "class.json"), (".csv", "class.csv"),
                                            (".xml", "class.xml")])
def test_reports_match_their_golden_files(suffix, golden):
    text = render_report(RUN, suffix)
    path = GOLDEN / golden
    if os.environ.get("DRILLS_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text(), f"regenerate with DRILLS_UPDATE_GOLDEN=1 if the change is meant ({path})"


def test_json_report_has_one_object_per_learner_and_task():
    data = json.loads(render_report(RUN, ".json"))
    assert len(data["results"]) == len(ROWS) == 6
    bob = next(r for r in data["results"] if r["learner"] == "bob" and r["task"] == "wrong-targetport")
    assert bob["status"] == "FAIL" and bob["diagnosis"]["check"] and bob["diagnosis"]["message"]
    assert bob["code"] and bob["checks"] and bob["score"] < 100 and bob["solve_seconds"] is None
    alice = next(r for r in data["results"] if r["learner"] == "alice")
    assert alice["solve_seconds"] == alice["elapsed_seconds"] > 0


def test_csv_is_spreadsheet_safe():
    rows = list(csv.DictReader(io.StringIO(render_report(RUN, ".csv"))))
    assert len(rows) == 6
    assert rows[4]["learner"] == "'" + HOSTILE          # never a formula
    assert rows[5]["status"] == "ERROR" and "refused" in rows[5]["error"]


def test_junit_is_read_by_a_junit_consumer(tmp_path):
    path = tmp_path / "class.xml"
    path.write_text(render_report(RUN, ".xml"))
    xml = JUnitXml.fromfile(str(path))
    suites = {suite.name: suite for suite in xml}
    assert set(suites) == {"alice", "bob", HOSTILE, "carol"}
    assert suites["alice"].failures == 0 and suites["alice"].tests == sum(len(r["checks"]) for r in ROWS[:2])
    bob_failures = [(case, r) for case in suites["bob"] for r in case.result if isinstance(r, Failure)]
    assert bob_failures and all("expected" in r.text and "observed" in r.text for _, r in bob_failures)
    assert suites["bob"].failures == len(bob_failures)
    [carol] = list(suites["carol"])
    assert isinstance(carol.result[0], Error) and "refused" in carol.result[0].message
    assert xml.tests == sum(s.tests for s in xml)


class Structure(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.ids, self.links, self.urls, self.cells, self.text = [], set(), [], [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        for key in ("href", "src", "action", "srcset", "data"):
            if key in attrs:
                self.urls.append(attrs[key])
        if tag == "a" and attrs.get("href", "").startswith("#"):
            self.links.append(attrs["href"][1:])
        if tag == "td" and "cell" in (attrs.get("class") or ""):
            self.cells.append((attrs.get("data-learner"), attrs.get("data-task"), attrs["class"]))

    def handle_data(self, data):
        self.text.append(data)


def test_html_report_is_one_self_contained_file_with_a_working_matrix():
    page = render_report(RUN, ".html")
    parsed = Structure()
    parsed.feed(page)
    assert "script" not in parsed.tags and "link" not in parsed.tags and "img" not in parsed.tags
    assert all(url.startswith("#") for url in parsed.urls), parsed.urls
    assert "url(" not in page and "@import" not in page     # probe messages may name URLs as text only
    # matrix: every learner x task, coloured by status
    tasks = summary.tasks(ROWS)
    learners = summary.learners(ROWS)
    assert len(parsed.cells) == len(tasks) * len(learners)
    assert ("alice", "selector-mismatch", "cell PASS") in parsed.cells
    assert ("bob", "wrong-targetport", "cell FAIL") in parsed.cells
    assert ("carol", "selector-mismatch", "cell none") in parsed.cells
    # every cell's link opens a drill-down that exists
    assert parsed.links and all(link in parsed.ids for link in parsed.links)
    # learner strings are text, never markup
    assert HOSTILE in "".join(parsed.text)
    assert "<script>alert" not in page
    # class summary
    assert {"summary", "most-failed", "matrix"} <= parsed.ids
    assert "service.selector-matches-pods" in page


def test_unknown_report_extension_is_a_usage_error():
    with pytest.raises(UsageError, match="no report format for .pdf"):
        render_report(RUN, ".pdf")
