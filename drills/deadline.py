"""Mock exams end by themselves: before every verb, a cheap look for an exam past its deadline.

The look is one read-only SQLite query (no store migration, no Kubernetes client); only when an
exam's time is up does drills load the grading machinery, grade it and close it. Usually the
exam's deadline keeper (drills.keeper) has graded it at the deadline already: then the look
finds a closed exam nobody has shown, and the result the keeper stored is printed.
"""
from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import datetime, timedelta, timezone

# Verbs that handle an expired exam themselves (`exam ...`) or must not touch the cluster first.
EXEMPT_VERBS = frozenset({"exam"})


def expired_exam_waiting(now: datetime | None = None) -> bool:
    """An exam past its deadline and not closed, or one the deadline keeper closed that the
    learner has not been shown yet."""
    from drills.config import home
    from drills.store import DB_NAME
    path = home() / DB_NAME
    if not path.is_file():
        return False
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2)) as db:
            try:
                rows = db.execute("SELECT started_at, minutes, ended_at IS NOT NULL FROM exams "
                                  "WHERE ended_at IS NULL OR reported_at IS NULL").fetchall()
            except sqlite3.OperationalError:   # a database from before the deadline keeper
                rows = db.execute("SELECT started_at, minutes, 0 FROM exams WHERE ended_at IS NULL").fetchall()
    except sqlite3.Error:   # no exams table yet, or a database the verb itself will report on
        return False
    now = now or datetime.now(timezone.utc)
    return any(closed or datetime.fromisoformat(started.replace("Z", "+00:00")) + timedelta(minutes=minutes) <= now
               for started, minutes, closed in rows)


def close_expired_exams(verb: str | None) -> None:
    if verb in EXEMPT_VERBS or not expired_exam_waiting():
        return
    from drills.commands.exam import close_expired_exams as grade_and_close
    grade_and_close()
