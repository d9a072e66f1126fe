"""Writes rows.json: class-run rows derived from recorded bundles (tests/fixtures/recorded),
judged by drills, plus hand-made hostile names and ERROR rows. The report goldens are
rendered from rows.json, so they test the report formats, not the checks.

    python -m tests.classroom.golden.make_rows
"""
from __future__ import annotations

import json
from pathlib import Path

from drills import classroom
from drills.graders.judge import judge
from drills.render import replay
from tests.classroom.fake_cluster import recorded

HERE = Path(__file__).resolve().parent


def started_before(collected_at: str, seconds: int) -> str:
    from datetime import timedelta

    from drills.store import parse_iso
    return (parse_iso(collected_at) - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def rows() -> list[dict]:
    out = []
    for learner, names in [("alice", ["selector-mismatch/seed1-reference", "wrong-targetport/seed1-reference"]),
                           ("bob", ["selector-mismatch/seed1-broken", "wrong-targetport/seed1-broken"]),
                           ('=HYPERLINK("x")<script>alert(1)</script>', ["selector-mismatch/seed1-broken"])]:
        for name in names:
            bundle = recorded(name)
            started = started_before(bundle["collected_at"], 150 + 37 * len(out))
            report = judge(replay(bundle["drill"]), bundle)
            out.append(classroom.report_row(learner, f"learner-{learner[:5]}", f"learner-{learner[:5]}",
                                            report, bundle["drill"], started))
    out.append(classroom.error_row("carol", "learner-carol", "learner-carol",
                                   "context learner-carol: the API server is not reachable (connection refused)"))
    return out


if __name__ == "__main__":
    (HERE / "rows.json").write_text(json.dumps({"hand_made": "derived from tests/fixtures/recorded by "
                                                "make_rows.py, plus a hostile learner name and an ERROR row",
                                                "rows": rows()}, indent=1, sort_keys=True) + "\n")
