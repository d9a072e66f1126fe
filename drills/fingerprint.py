"""Content hashes that tie evidence and running drills to the scenario files they came from.

- `fix_digest(fix)`: the rendered steps of one declared fix. A recording of that fix
  is stale as soon as the steps that produced it change.
- `scenario_digest(folder)`: every file of a scenario folder. A running drill stores it
  at start, so `check` can tell when the scenario changed under it.

Both are sha256 over a canonical form, printed as `sha256:<hex>`.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

PREFIX = "sha256:"
_SKIPPED_PARTS = {"__pycache__", ".pytest_cache"}


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def steps_digest(steps: list[dict[str, Any]]) -> str:
    return PREFIX + hashlib.sha256(_canonical(steps)).hexdigest()


def fix_digest(fix: Any) -> str:
    """Hash of a rendered fix's steps (a `drills.render.Fix` or its dict form)."""
    steps = fix["steps"] if isinstance(fix, dict) else fix.steps
    return steps_digest(list(steps))


def scenario_digest(folder: Path | str) -> str:
    """Hash of every file below a scenario folder: relative paths and bytes, in order."""
    root = Path(folder)
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root)
        if _SKIPPED_PARTS.intersection(relative.parts) or path.suffix == ".pyc":
            continue
        name = relative.as_posix().encode()
        data = path.read_bytes()
        digest.update(len(name).to_bytes(4, "big") + name + len(data).to_bytes(8, "big") + data)
    return PREFIX + digest.hexdigest()
