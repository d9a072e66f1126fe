"""HTML: one self-contained file (inline CSS, no script, no URL): the learner x task
matrix coloured by status, each cell opening that learner's check table and
diagnosis (CSS :target, so it works offline and without JavaScript), and the class
summary. Every string from a learner's cluster is escaped (autoescape, sandbox)."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from drills.reports import summary as S


@lru_cache(maxsize=1)
def _template():
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment
    env = ImmutableSandboxedEnvironment(
        loader=jinja2.PackageLoader("drills.reports", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["clock"] = S.clock
    return env.get_template("class_report.html.j2")


def render(run: dict[str, Any]) -> str:
    rows = run["rows"]
    learners, tasks, cells = S.learners(rows), S.tasks(rows), S.cells(rows)
    matrix = []
    drill_downs = []
    for i, learner in enumerate(learners):
        line = []
        broken = cells.get((learner, "-"))      # the learner's context could not be graded
        for j, task in enumerate(tasks):
            found = cells.get((learner, task)) or []
            entries = []
            for k, row in enumerate(found):
                anchor = f"d{i}-{j}-{k}"
                entries.append({"anchor": anchor, "row": row})
                drill_downs.append({"anchor": anchor, "row": row})
            line.append({"task": task, "entries": entries})
        anchor = f"d{i}-ctx"
        if broken:
            drill_downs.append({"anchor": anchor, "row": broken[0]})
        matrix.append({"learner": learner, "cells": line, "broken": broken[0] if broken else None,
                       "broken_anchor": anchor})
    return _template().render(run=run, summary=S.summarise(rows), tasks=tasks, matrix=matrix,
                              drill_downs=drill_downs)
