"""`drills hint` reveals and records atomically: concurrent calls never show a hint
twice or record more hints than the drill has."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

from drills import catalog
from drills.render import render
from drills.store import Store, iso, utcnow

DRILLS = Path(sys.executable).with_name("drills")


def open_drill(home: Path):
    plan = render(catalog.get("selector-mismatch"), 31)
    assert len(plan.hints) == HINTS == 4
    store = Store(home / "drills.db")
    drill_id = store.add_drill(plan.identity(), "kind-drills", plan.target_minutes, iso(utcnow()))
    return store, drill_id


HINTS = 4     # selector-mismatch's hints


def test_thirty_concurrent_hint_processes_reveal_each_hint_once(tmp_path):
    store, drill_id = open_drill(tmp_path)
    env = {**os.environ, "DRILLS_HOME": str(tmp_path)}
    env.pop("DRILLS_CONTEXT", None)
    procs = [subprocess.Popen([str(DRILLS), "hint"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(30)]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0] * 30, [e for _, e in outputs]
    shown = [m for out, _ in outputs for m in re.findall(rf"Hint (\d) of {HINTS}", out)]
    assert sorted(shown) == [str(n) for n in range(1, HINTS + 1)]
    rest = [out for out, _ in outputs if "Hint " not in out]
    assert len(rest) == 30 - HINTS and all(f"All {HINTS} hints are shown" in out for out in rest)
    assert store.drill(drill_id).hints_shown == HINTS
    rows = store.db.execute("SELECT hint_index FROM help WHERE kind = 'hint' ORDER BY 1").fetchall()
    assert [r[0] for r in rows] == list(range(HINTS))


def test_concurrent_reveals_in_threads_hand_out_each_index_once(tmp_path):
    _, drill_id = open_drill(tmp_path)
    got: list[int | None] = []
    start = threading.Barrier(30)

    def reveal():
        store = Store(tmp_path / "drills.db")
        start.wait()
        got.append(store.reveal_hint(drill_id, 3))
        store.close()

    threads = [threading.Thread(target=reveal) for _ in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(i for i in got if i is not None) == [0, 1, 2]
    assert got.count(None) == 27
