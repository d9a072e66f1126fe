"""JUnit XML: a testsuite per learner, a testcase per check (classname: the task),
so CI dashboards can show a class run. FAIL is <failure>, ERROR is <error>."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from drills.reports.summary import learners

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def text(value: Any) -> str:
    """Characters XML 1.0 cannot hold (a learner may put them in names) dropped."""
    return _NOT_XML.sub("", "" if value is None else str(value))


def render(run: dict[str, Any]) -> str:
    rows = run["rows"]
    root = ET.Element("testsuites", name=text(f"drills class run {run.get('class_run', '')}"))
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for learner in learners(rows):
        suite = ET.SubElement(root, "testsuite", name=text(learner))
        counts = {"tests": 0, "failures": 0, "errors": 0}
        timestamp = None
        for row in (r for r in rows if r["learner"] == learner):
            timestamp = timestamp or row.get("collected_at")
            classname = text(f"{row['task']}" + (f" [{row['code']}]" if row.get("code") else ""))
            checks = row.get("checks") or []
            if not checks:
                case = ET.SubElement(suite, "testcase", classname=classname, name="grading", time="0")
                ET.SubElement(case, "error", message=text(row.get("error") or "not graded"),
                              type="ERROR").text = text(row.get("error"))
                counts["tests"] += 1
                counts["errors"] += 1
                continue
            for check in checks:
                case = ET.SubElement(suite, "testcase", classname=classname,
                                     name=text(f"{check['name']}: {check['title']}"), time="0")
                counts["tests"] += 1
                if check["status"] == "FAIL":
                    counts["failures"] += 1
                    ET.SubElement(case, "failure", message=text(check["message"]), type="FAIL").text = text(
                        f"expected: {check['expected']}\nobserved: {check['observed']}\nlook with: {check['hint']}")
                elif check["status"] == "ERROR":
                    counts["errors"] += 1
                    ET.SubElement(case, "error", message=text(check["message"]), type="ERROR").text = text(
                        f"expected: {check['expected']}\nobserved: {check['observed']}")
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        if timestamp:
            suite.set("timestamp", text(timestamp).rstrip("Z"))
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
