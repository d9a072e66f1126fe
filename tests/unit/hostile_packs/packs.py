"""Build hostile scenario packs in a temporary folder (copies of the exemplar, edited)."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Callable

import yaml

from drills import catalog

EXEMPLAR = catalog.builtin_root() / "selector-mismatch"
SERVICE_TEMPLATE = "service.yaml.j2"


def make_pack(root: Path, scenario_id: str = "evil", edit: Callable[[dict], Any] | None = None,
              templates: dict[str, str] | None = None, raw_yaml: str | None = None) -> Path:
    """A pack folder holding one scenario `scenario_id`: the exemplar with `edit` applied to
    its metadata, `templates` written over (or beside) its templates, or `raw_yaml` as the
    whole scenario.yaml. Returns the pack folder (the value for DRILLS_SCENARIO_PATH)."""
    pack = root / "pack"
    folder = pack / scenario_id
    shutil.copytree(EXEMPLAR, folder, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
    if raw_yaml is not None:
        (folder / catalog.METADATA).write_text(raw_yaml)
    else:
        meta = yaml.safe_load((EXEMPLAR / catalog.METADATA).read_text())
        meta["id"] = scenario_id
        if edit:
            edit(meta)
        (folder / catalog.METADATA).write_text(yaml.safe_dump(meta, sort_keys=False, width=10_000))
    for name, text in (templates or {}).items():
        (folder / "templates" / name).write_text(text)
    return pack


def with_template_line(line: str) -> dict[str, str]:
    """The exemplar's Service template with one more line at the end."""
    source = (EXEMPLAR / "templates" / SERVICE_TEMPLATE).read_text()
    return {SERVICE_TEMPLATE: source + line + "\n"}


# Where a payload can sit in a pack: (label, field named in the error, how to put it there).
def _set_task(m, p): m["task"] = "In namespace {{ namespace }} do this: " + p
def _set_hint(m, p): m["hints"][1] = p
def _set_solution(m, p): m["solution"][0] = p
def _set_fix(m, p): m["fixes"]["set-selector"]["steps"][0]["kubectl"] = p
def _set_fix_about(m, p): m["fixes"]["set-selector"]["about"] = p
def _set_check(m, p): m["checks"][0]["with"]["service"] = p
def _set_value(m, p): m["parameters"]["svc_name"] = {"value": p}
def _set_level(m, p): m["levels"] = {"big": {"replicas": p}}


TEXT_PLACES: list[tuple[str, str, Callable[[dict, str], None]]] = [
    ("task", "task", _set_task),
    ("hint", "hints.1", _set_hint),
    ("solution", "solution.0", _set_solution),
    ("fix-step", "fixes.set-selector", _set_fix),
    ("fix-about", "fixes.set-selector.about", _set_fix_about),
    ("check-arg", "checks.service.exists", _set_check),
    ("param-value", "parameters.svc_name", _set_value),
]
