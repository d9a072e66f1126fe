"""Class reports, one module per format; `write_report` picks one by file extension.

Every format reads the same rows (drills.classroom) and the same summary
(drills.reports.summary), so they can be re-rendered from a stored class run.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from drills.errors import UsageError

FORMATS = {".json": "json_report", ".csv": "csv_report", ".xml": "junit", ".html": "html", ".htm": "html"}


def _module(suffix: str) -> str:
    module = FORMATS.get(suffix.lower())
    if module is None:
        raise UsageError(f"no report format for {suffix or 'a file without extension'}",
                         f"name the file with one of: {', '.join(sorted(FORMATS))}")
    return module


def check_report_path(path: str) -> None:
    """Refuse a report that could not be written, before a class is graded."""
    target = Path(path)
    _module(target.suffix)
    if not target.parent.is_dir():
        raise UsageError(f"cannot write report {target}: folder {target.parent} does not exist",
                         "create it or choose another path")


def render_report(run: dict[str, Any], suffix: str) -> str:
    import importlib
    module = _module(suffix)
    return importlib.import_module(f"drills.reports.{module}").render(run)


def write_report(run: dict[str, Any], path: str) -> Path:
    target = Path(path)
    text = render_report(run, target.suffix)
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write report {target} ({exc.strerror})", "choose a writable path") from exc
    return target
