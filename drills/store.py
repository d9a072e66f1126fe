"""Local history in SQLite: drills started, their clocks, hints, grading attempts.

One database file in DRILLS_HOME (the user's data directory by default).
WAL mode and a busy timeout make two drills commands at once safe; the
schema is versioned with PRAGMA user_version and migrated forward on open.
"""
from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from drills.config import home
from drills.errors import StoreError
from drills.private import private_file, private_folder

DB_NAME = "drills.db"

MIGRATIONS: list[str] = [
    # 1: drills and attempts
    """
    CREATE TABLE drills (
        id             INTEGER PRIMARY KEY,
        scenario       TEXT NOT NULL,
        seed           INTEGER NOT NULL,
        level          TEXT,
        namespace      TEXT NOT NULL,
        context        TEXT NOT NULL,
        image          TEXT NOT NULL,
        params         TEXT NOT NULL,
        target_minutes REAL NOT NULL,
        started_at     TEXT NOT NULL,   -- the clock starts when the fault is verified
        solved_at      TEXT,
        ended_at       TEXT,
        state          TEXT NOT NULL CHECK (state IN ('active', 'solved', 'abandoned'))
    );
    CREATE INDEX drills_active ON drills(state, context);
    CREATE TABLE attempts (
        id        INTEGER PRIMARY KEY,
        drill_id  INTEGER NOT NULL REFERENCES drills(id),
        at        TEXT NOT NULL,
        status    TEXT NOT NULL,
        score     REAL NOT NULL,
        diagnosis TEXT,
        report    TEXT NOT NULL
    );
    """,
    # 2: hints and solution views count against a clean solve
    """
    CREATE TABLE help (
        id        INTEGER PRIMARY KEY,
        drill_id  INTEGER NOT NULL REFERENCES drills(id),
        at        TEXT NOT NULL,
        kind      TEXT NOT NULL CHECK (kind IN ('hint', 'solution')),
        hint_index INTEGER
    );
    """,
    # 3: timed mock exams group several drills under one clock
    """
    CREATE TABLE exams (
        id         INTEGER PRIMARY KEY,
        seed       INTEGER NOT NULL,
        context    TEXT NOT NULL,
        minutes    REAL NOT NULL,
        started_at TEXT NOT NULL,
        ended_at   TEXT,
        score      REAL
    );
    ALTER TABLE drills ADD COLUMN exam_id INTEGER REFERENCES exams(id);
    """,
    # 4: what the drill was started from: its scenario folder's content hash and the
    #    rendered plan, so a scenario edited since start never regrades it silently
    """
    ALTER TABLE drills ADD COLUMN scenario_hash TEXT;
    ALTER TABLE drills ADD COLUMN plan TEXT;
    """,
    # 5: class runs: an instructor's grading of many learners, kept to re-render reports
    """
    CREATE TABLE class_runs (
        id          TEXT PRIMARY KEY,
        started_at  TEXT NOT NULL,
        ended_at    TEXT,
        source      TEXT NOT NULL,
        interrupted INTEGER NOT NULL DEFAULT 0,
        targets     INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE class_results (
        id       INTEGER PRIMARY KEY,
        run_id   TEXT NOT NULL REFERENCES class_runs(id),
        position INTEGER NOT NULL,
        learner  TEXT NOT NULL,
        task     TEXT NOT NULL,
        status   TEXT NOT NULL,
        row      TEXT NOT NULL
    );
    CREATE INDEX class_results_run ON class_results(run_id, position);
    """,
    # 6: an exam is graded as it stands at its deadline, exactly once: the deadline keeper
    #    (a detached process) watching its clock, who holds the right to grade it now, each
    #    task's verdict with when and by whom it was graded, and whether the learner saw it
    """
    ALTER TABLE exams ADD COLUMN keeper_pid INTEGER;
    ALTER TABLE exams ADD COLUMN keeper_token TEXT;
    ALTER TABLE exams ADD COLUMN keeper_note TEXT;
    ALTER TABLE exams ADD COLUMN grader_pid INTEGER;
    ALTER TABLE exams ADD COLUMN grader_since TEXT;
    ALTER TABLE exams ADD COLUMN result TEXT;
    ALTER TABLE exams ADD COLUMN reported_at TEXT;
    UPDATE exams SET reported_at = ended_at WHERE ended_at IS NOT NULL;
    """,
]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class DrillRecord:
    id: int
    scenario: str
    seed: int
    level: str | None
    namespace: str
    context: str
    image: str
    params: dict[str, Any]
    target_minutes: float
    started_at: str
    solved_at: str | None
    ended_at: str | None
    state: str
    hints_shown: int = 0
    solution_viewed: bool = False
    exam_id: int | None = None
    scenario_hash: str | None = None     # drills.fingerprint.scenario_digest at start
    plan: dict[str, Any] | None = None   # the rendered plan at start (Plan.to_dict())

    def identity(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "seed": self.seed, "namespace": self.namespace,
                "image": self.image, "level": self.level, "params": self.params}

    def elapsed_seconds(self, now: datetime | None = None) -> float:
        end = parse_iso(self.solved_at) if self.solved_at else (now or utcnow())
        return max(0.0, (end - parse_iso(self.started_at)).total_seconds())


class Store:
    def __init__(self, path: Path | None = None):
        self.path = path or home() / DB_NAME
        try:
            private_folder(self.path.parent)
            private_file(self.path)     # SQLite gives its -wal and -shm files the same mode
            self.db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA busy_timeout = 10000")
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"history database {self.path} cannot be used ({exc})",
                             "check DRILLS_HOME points at a writable folder") from exc

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StoreError(f"history database {self.path}: {exc}",
                             "retry; if it persists, move the file aside") from exc

    def _migrate(self) -> None:
        with self._tx() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise StoreError(f"history database {self.path} is from a newer drills "
                                 f"(schema {version})", "upgrade drills")
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in filter(str.strip, script.split(";")):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {number}")

    @property
    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    # --- drills -------------------------------------------------------------
    def add_drill(self, identity: dict[str, Any], context: str, target_minutes: float,
                  started_at: str, exam_id: int | None = None, *,
                  scenario_hash: str | None = None, plan: dict[str, Any] | None = None) -> int:
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO drills (scenario, seed, level, namespace, context, image, params,"
                " target_minutes, started_at, state, exam_id, scenario_hash, plan)"
                " VALUES (?,?,?,?,?,?,?,?,?, 'active', ?,?,?)",
                (identity["scenario"], identity["seed"], identity.get("level"),
                 identity["namespace"], context, identity["image"],
                 json.dumps(identity["params"], sort_keys=True), target_minutes, started_at,
                 exam_id, scenario_hash,
                 json.dumps(plan, sort_keys=True) if plan is not None else None))
            return int(cur.lastrowid)

    def _record(self, row: sqlite3.Row) -> DrillRecord:
        help_rows = self.db.execute(
            "SELECT kind, COUNT(*) FROM help WHERE drill_id = ? GROUP BY kind", (row["id"],)).fetchall()
        counts = {r[0]: r[1] for r in help_rows}
        return DrillRecord(
            id=row["id"], scenario=row["scenario"], seed=row["seed"], level=row["level"],
            namespace=row["namespace"], context=row["context"], image=row["image"],
            params=json.loads(row["params"]), target_minutes=row["target_minutes"],
            started_at=row["started_at"], solved_at=row["solved_at"], ended_at=row["ended_at"],
            state=row["state"], hints_shown=counts.get("hint", 0),
            solution_viewed=counts.get("solution", 0) > 0, exam_id=row["exam_id"],
            scenario_hash=row["scenario_hash"],
            plan=json.loads(row["plan"]) if row["plan"] else None)

    def drill(self, drill_id: int) -> DrillRecord | None:
        row = self.db.execute("SELECT * FROM drills WHERE id = ?", (drill_id,)).fetchone()
        return self._record(row) if row else None

    def open_drills(self, context: str | None = None) -> list[DrillRecord]:
        """Drills whose namespace still stands: active or solved but not reset."""
        sql = "SELECT * FROM drills WHERE ended_at IS NULL"
        args: tuple = ()
        if context:
            sql += " AND context = ?"
            args = (context,)
        return [self._record(r) for r in self.db.execute(sql + " ORDER BY id", args)]

    def mark_solved(self, drill_id: int, solved_at: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE drills SET solved_at = ?, state = 'solved' "
                       "WHERE id = ? AND solved_at IS NULL", (solved_at, drill_id))

    def end(self, drill_id: int, ended_at: str | None = None) -> None:
        with self._tx() as db:
            db.execute("UPDATE drills SET ended_at = ?, "
                       "state = CASE WHEN solved_at IS NULL THEN 'abandoned' ELSE 'solved' END "
                       "WHERE id = ? AND ended_at IS NULL", (ended_at or iso(utcnow()), drill_id))

    # --- exams ---------------------------------------------------------------
    def add_exam(self, seed: int, context: str, minutes: float, started_at: str) -> int:
        with self._tx() as db:
            cur = db.execute("INSERT INTO exams (seed, context, minutes, started_at) VALUES (?,?,?,?)",
                             (seed, context, minutes, started_at))
            return int(cur.lastrowid)

    def open_exam(self, context: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT * FROM exams WHERE ended_at IS NULL AND context = ? "
                              "ORDER BY id DESC LIMIT 1", (context,)).fetchone()
        return dict(row) if row else None

    def exam_drills(self, exam_id: int) -> list[DrillRecord]:
        rows = self.db.execute("SELECT * FROM drills WHERE exam_id = ? ORDER BY id", (exam_id,))
        return [self._record(r) for r in rows]

    def end_exam(self, exam_id: int, score: float | None, ended_at: str, *,
                 result: dict[str, Any] | None = None, reported: bool = True) -> bool:
        """Close the exam with its score (None: given up, unscored) and per-task `result`; False
        when it was closed already.
        `reported=False`: nobody has shown the learner the score yet (the deadline keeper)."""
        with self._tx() as db:
            cur = db.execute("UPDATE exams SET ended_at = ?, score = ?, result = COALESCE(?, result), "
                             "reported_at = ? WHERE id = ? AND ended_at IS NULL",
                             (ended_at, score, json.dumps(result, sort_keys=True) if result else None,
                              ended_at if reported else None, exam_id))
            return cur.rowcount == 1

    def exam(self, exam_id: int) -> dict[str, Any] | None:
        row = self.db.execute("SELECT * FROM exams WHERE id = ?", (exam_id,)).fetchone()
        return dict(row) if row else None

    def last_exam(self, context: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT * FROM exams WHERE context = ? ORDER BY id DESC LIMIT 1",
                              (context,)).fetchone()
        return dict(row) if row else None

    def unreported_exams(self, context: str | None = None) -> list[dict[str, Any]]:
        """Exams closed (by the deadline keeper) whose score the learner has not been shown."""
        sql = "SELECT * FROM exams WHERE ended_at IS NOT NULL AND reported_at IS NULL"
        args: tuple = ()
        if context:
            sql, args = sql + " AND context = ?", (context,)
        return [dict(r) for r in self.db.execute(sql + " ORDER BY id", args)]

    def mark_reported(self, exam_id: int) -> None:
        with self._tx() as db:
            db.execute("UPDATE exams SET reported_at = ? WHERE id = ? AND reported_at IS NULL",
                       (iso(utcnow()), exam_id))

    def save_exam_result(self, exam_id: int, result: dict[str, Any]) -> None:
        """Per-task verdicts of an exam not yet closed (some tasks could not be decided)."""
        with self._tx() as db:
            db.execute("UPDATE exams SET result = ? WHERE id = ? AND ended_at IS NULL",
                       (json.dumps(result, sort_keys=True), exam_id))

    def set_keeper(self, exam_id: int, token: str | None, pid: int | None = None,
                   note: str | None = None) -> None:
        with self._tx() as db:
            db.execute("UPDATE exams SET keeper_token = ?, keeper_pid = ?, keeper_note = ? WHERE id = ?",
                       (token, pid, note, exam_id))

    def keeper_left(self, exam_id: int, token: str, note: str | None = None) -> None:
        """The keeper `token` is gone (it finished, gave up or was stopped); `note` says why it
        could not grade, when it could not."""
        with self._tx() as db:
            db.execute("UPDATE exams SET keeper_pid = NULL, keeper_note = COALESCE(?, keeper_note) "
                       "WHERE id = ? AND keeper_token = ?", (note, exam_id, token))

    def claim_grading(self, exam_id: int, pid: int, alive, stale_after_s: float) -> bool:
        """Take the right to grade the exam and close it: True for exactly one claimant at a time.
        A claim whose process is gone (`alive(pid)` false) or older than `stale_after_s` is void."""
        now = utcnow()
        with self._tx() as db:
            row = db.execute("SELECT ended_at, grader_pid, grader_since FROM exams WHERE id = ?",
                             (exam_id,)).fetchone()
            if row is None or row["ended_at"]:
                return False
            holder = row["grader_pid"]
            if holder is not None and holder != pid and alive(holder) and row["grader_since"] \
                    and (now - parse_iso(row["grader_since"])).total_seconds() < stale_after_s:
                return False
            db.execute("UPDATE exams SET grader_pid = ?, grader_since = ? WHERE id = ?",
                       (pid, iso(now), exam_id))
            return True

    def release_grading(self, exam_id: int, pid: int) -> None:
        with self._tx() as db:
            db.execute("UPDATE exams SET grader_pid = NULL, grader_since = NULL "
                       "WHERE id = ? AND grader_pid = ?", (exam_id, pid))

    # --- attempts and help -----------------------------------------------------
    def add_attempt(self, drill_id: int, at: str, report: dict[str, Any]) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO attempts (drill_id, at, status, score, diagnosis, report) "
                       "VALUES (?,?,?,?,?,?)",
                       (drill_id, at, report["status"], report["score"], report.get("diagnosis"),
                        json.dumps(report, sort_keys=True)))

    def attempts(self, drill_id: int) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT at, status, score, diagnosis FROM attempts "
                               "WHERE drill_id = ? ORDER BY id", (drill_id,))
        return [dict(r) for r in rows]

    def add_help(self, drill_id: int, kind: str, hint_index: int | None = None) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO help (drill_id, at, kind, hint_index) VALUES (?,?,?,?)",
                       (drill_id, iso(utcnow()), kind, hint_index))

    def reveal_hint(self, drill_id: int, total: int) -> int | None:
        """Record the next hint and return its index, or None when all `total` are
        shown. One write transaction, so concurrent calls never hand out an index twice."""
        with self._tx() as db:
            shown = db.execute("SELECT COUNT(*) FROM help WHERE drill_id = ? AND kind = 'hint'",
                               (drill_id,)).fetchone()[0]
            if shown >= total:
                return None
            db.execute("INSERT INTO help (drill_id, at, kind, hint_index) VALUES (?,?,?,?)",
                       (drill_id, iso(utcnow()), "hint", shown))
            return int(shown)

    # --- history ---------------------------------------------------------------
    def history(self, scenario: str | None = None, limit: int = 50) -> list[DrillRecord]:
        sql, args = "SELECT * FROM drills", ()
        if scenario:
            sql, args = sql + " WHERE scenario = ?", (scenario,)
        rows = self.db.execute(sql + " ORDER BY id DESC LIMIT ?", (*args, limit))
        return [self._record(r) for r in rows]

    def stats(self) -> list[dict[str, Any]]:
        """Per scenario: drills, solves, attempts, best and median solve seconds."""
        out = []
        scenarios = [r[0] for r in self.db.execute("SELECT DISTINCT scenario FROM drills ORDER BY 1")]
        for scenario in scenarios:
            records = self.history(scenario, limit=10_000)
            times = sorted(r.elapsed_seconds() for r in records if r.solved_at)
            attempts = self.db.execute(
                "SELECT COUNT(*) FROM attempts a JOIN drills d ON d.id = a.drill_id "
                "WHERE d.scenario = ?", (scenario,)).fetchone()[0]
            clean = [r for r in records if r.solved_at and not r.hints_shown and not r.solution_viewed]
            out.append({
                "scenario": scenario, "drills": len(records), "solved": len(times),
                "attempts": attempts, "clean_solves": len(clean),
                "best_seconds": times[0] if times else None,
                "median_seconds": times[len(times) // 2] if times else None,
            })
        return out

    # --- progress (read-only) ----------------------------------------------------
    def practice_log(self) -> list[dict[str, Any]]:
        """Every drill, oldest first, with its help counts and its grading attempts.

        Each attempt keeps what the coach and the charts read from its report:
        status, diagnosis, and (stage, status) of every check, in check order."""
        help_counts: dict[int, dict[str, int]] = {}
        for row in self.db.execute("SELECT drill_id, kind, COUNT(*) FROM help GROUP BY drill_id, kind"):
            help_counts.setdefault(row[0], {})[row[1]] = row[2]
        attempts: dict[int, list[dict[str, Any]]] = {}
        for row in self.db.execute("SELECT drill_id, at, status, score, diagnosis, report "
                                   "FROM attempts ORDER BY id"):
            try:
                report = json.loads(row["report"])
                checks = [(str(r["stage"]), str(r["status"]), str(r["name"]))
                          for r in report.get("results", [])]
            except (ValueError, TypeError, KeyError, AttributeError):
                checks = []   # an unreadable report still counts as an attempt
            attempts.setdefault(row["drill_id"], []).append(
                {"at": row["at"], "status": row["status"], "score": row["score"],
                 "diagnosis": row["diagnosis"], "checks": checks})
        out = []
        for row in self.db.execute("SELECT * FROM drills ORDER BY started_at, id"):
            counts = help_counts.get(row["id"], {})
            out.append({
                "id": row["id"], "scenario": row["scenario"], "seed": row["seed"],
                "level": row["level"], "params": json.loads(row["params"]),
                "target_minutes": row["target_minutes"], "started_at": row["started_at"],
                "solved_at": row["solved_at"], "ended_at": row["ended_at"], "state": row["state"],
                "exam_id": row["exam_id"], "hints": counts.get("hint", 0),
                "solution_viewed": counts.get("solution", 0) > 0,
                "attempts": attempts.get(row["id"], []),
            })
        return out

    def exams(self) -> list[dict[str, Any]]:
        """Ended mock exams with their scores, oldest first."""
        rows = self.db.execute("SELECT id, started_at, ended_at, minutes, score FROM exams "
                               "WHERE ended_at IS NOT NULL AND score IS NOT NULL ORDER BY started_at, id")
        return [dict(r) for r in rows]
