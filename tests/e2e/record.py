"""Record mode's writer (`pytest -m cluster --record DIR`): bundles and INDEX.json in the
format of tests/fixtures/recorded/ (see its README), so a recording drops in unchanged.

    DIR/<scenario>/seed<N>[-<level>]-<case>.json   exactly the bundle collect_evidence returned
    DIR/INDEX.json                                 "<scenario>/seed<N>[-<level>]-<case>" -> row

`<case>` is `broken`, a declared fix's name, or `infra-error`. An existing INDEX.json
is merged into: rows of other cases stay, a case recorded again is replaced. As the
fairness plugin (tests/recorded_fairness.py) reads them, a scenario has one
`infra-error` case, at its lowest recorded seed without a level: record mode keeps it
there (`wants_infra_error`) and drops any other. Pure file I/O, unit-tested offline
(tests/unit/test_e2e_helpers.py, tests/unit/test_e2e_preflight.py).
"""
from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

INDEX = "INDEX.json"
BROKEN = "broken"
INFRA_ERROR = "infra-error"


def case_stem(seed: int, level: str | None, case: str) -> str:
    return f"seed{seed}-{level}-{case}" if level else f"seed{seed}-{case}"


def case_key(scenario: str, seed: int, level: str | None, case: str) -> str:
    return f"{scenario}/{case_stem(seed, level, case)}"


def dumps(data: Any) -> str:
    """The recordings' own layout: one-space indent, sorted keys, no final newline."""
    return json.dumps(data, indent=1, sort_keys=True)


def dumps_index(index: dict) -> str:
    """INDEX.json as tests/fixtures/recorded/ has it: the bundles' layout plus a final newline."""
    return dumps(index) + "\n"


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def index_row(*, plan, case: str, declared: str | None, declared_diagnosis: str | None,
              report=None, fix_hash: str | None, scenario_hash: str | None, session,
              start_s: float | None, took_s: float | None, error: str | None = None,
              bundle: dict | None = None, drills_version: str | None = None,
              recorded_at: str | None = None) -> dict[str, Any]:
    from drills import __version__
    version = ((bundle or {}).get("cluster") or {}).get("version") or (session.version or {})
    nodes = len(((bundle or {}).get("objects") or {}).get("nodes") or []) or None
    return {
        "case": case, "scenario": plan.scenario, "seed": plan.seed, "level": plan.level,
        "declared": declared, "declared_diagnosis": declared_diagnosis,
        "judged": report.status if report is not None else None,
        "diagnosis": (report.diagnosis.name if report is not None and report.diagnosis else None),
        "results": [[r.name, r.status] for r in report.results] if report is not None else None,
        "start_s": None if start_s is None else round(start_s, 2),
        "took_s": None if took_s is None else round(took_s, 2),
        "error": error,
        "fix_hash": fix_hash, "scenario_hash": scenario_hash,
        "drills_version": drills_version or __version__,
        "cluster_version": version.get("gitVersion"), "nodes": nodes,
        # as the imported rows have it: when the state was collected, else now
        "recorded_at": recorded_at or (bundle or {}).get("collected_at") or utc_now(),
    }


class Recorder:
    """Writes one case at a time, merging into DIR/INDEX.json as it goes (a run cut
    short keeps what it recorded)."""

    def __init__(self, root: Path | str):
        self.root = Path(root)

    def index(self) -> dict[str, dict]:
        path = self.root / INDEX
        return json.loads(path.read_text()) if path.is_file() else {}

    def wants_infra_error(self, scenario: str, seed: int, level: str | None) -> bool:
        """Whether the infra-error case of this run belongs in the recordings: only at the
        scenario's lowest seed without a level (where the fairness plugin looks for it)."""
        if level is not None:
            return False
        seeds = [int(r["seed"]) for r in self.index().values()
                 if r.get("scenario") == scenario and r.get("level") is None and r.get("seed") is not None]
        return all(seed <= other for other in seeds)

    def save(self, row: dict[str, Any], bundle: dict | None) -> str:
        key = case_key(row["scenario"], row["seed"], row["level"], row["case"])
        path = self.root / f"{key}.json"
        if bundle is not None:
            _write_atomically(path, dumps(bundle))
        elif path.exists():       # an error row never sits beside an older recording
            path.unlink()
        index = self.index()
        if row["case"] == INFRA_ERROR:     # one per scenario: an older one at another seed goes
            for other in [k for k, r in index.items() if k != key and r.get("case") == INFRA_ERROR
                          and r.get("scenario") == row["scenario"]]:
                del index[other]
                (self.root / f"{other}.json").unlink(missing_ok=True)
        index[key] = row
        _write_atomically(self.root / INDEX, dumps_index(index))
        return key
