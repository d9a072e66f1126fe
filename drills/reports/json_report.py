"""JSON: the class run, its summary, and one object per learner x task."""
from __future__ import annotations

import json
from typing import Any

from drills.reports.summary import summarise


def render(run: dict[str, Any]) -> str:
    data = {**{k: v for k, v in run.items() if k != "rows"}, "summary": summarise(run["rows"]),
            "results": run["rows"]}
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
