import json
import multiprocessing
import sqlite3

import pytest

from drills.errors import StoreError
from drills.store import MIGRATIONS, Store, iso, utcnow

IDENTITY = {"scenario": "selector-mismatch", "seed": 7, "namespace": "drill-selector-mismatch-7",
            "image": "busybox:1.36", "level": None, "params": {"app": "web"}}


def test_fresh_database_is_migrated(tmp_path):
    store = Store(tmp_path / "h.db")
    assert store.schema_version == len(MIGRATIONS)
    assert store.open_drills() == []


def test_old_schema_is_migrated_forward(tmp_path):
    path = tmp_path / "h.db"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0])
    db.execute("PRAGMA user_version = 1")
    db.close()
    store = Store(path)
    assert store.schema_version == len(MIGRATIONS)
    drill_id = store.add_drill(IDENTITY, "kind-drills", 4, iso(utcnow()))
    store.add_help(drill_id, "hint", 0)
    assert store.drill(drill_id).hints_shown == 1


def test_newer_schema_refused(tmp_path):
    path = tmp_path / "h.db"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 3}")
    db.close()
    with pytest.raises(StoreError, match="newer drills"):
        Store(path)


def test_unwritable_home_is_store_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot be used"):
        Store(blocker / "sub" / "h.db")


def test_drill_lifecycle_and_stats(tmp_path):
    store = Store(tmp_path / "h.db")
    started = "2026-11-30T10:00:00.000000Z"
    drill_id = store.add_drill(IDENTITY, "kind-drills", 4, started)
    record = store.drill(drill_id)
    assert record.state == "active" and record.identity() == IDENTITY
    store.add_attempt(drill_id, "2026-11-30T10:01:00.000000Z",
                      {"status": "FAIL", "score": 40.0, "diagnosis": "service.selector-matches-pods"})
    store.mark_solved(drill_id, "2026-11-30T10:02:30.000000Z")
    store.mark_solved(drill_id, "2026-11-30T10:09:00.000000Z")  # a later pass does not move the clock
    record = store.drill(drill_id)
    assert record.state == "solved" and record.elapsed_seconds() == 150.0
    assert [d.id for d in store.open_drills("kind-drills")] == [drill_id]
    store.end(drill_id)
    assert store.open_drills() == [] and store.drill(drill_id).state == "solved"
    other = store.add_drill({**IDENTITY, "seed": 8}, "kind-drills", 4, started)
    store.end(other)
    assert store.drill(other).state == "abandoned"
    [stats] = store.stats()
    assert stats == {"scenario": "selector-mismatch", "drills": 2, "solved": 1, "attempts": 1,
                     "clean_solves": 1, "best_seconds": 150.0, "median_seconds": 150.0}


def _writer(path, n):
    store = Store(path)
    for i in range(n):
        drill_id = store.add_drill({**IDENTITY, "seed": i}, "kind-drills", 4, iso(utcnow()))
        store.add_attempt(drill_id, iso(utcnow()), {"status": "FAIL", "score": 0.0})


def test_two_processes_at_once(tmp_path):
    path = tmp_path / "h.db"
    Store(path).close()
    procs = [multiprocessing.get_context("spawn").Process(target=_writer, args=(path, 25))
             for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    store = Store(path)
    assert len(store.history(limit=1000)) == 50
    assert json.loads(store.db.execute("SELECT report FROM attempts LIMIT 1").fetchone()[0])["status"] == "FAIL"
