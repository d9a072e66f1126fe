"""Files drills writes about a learner (history, evidence bundles) are private to
the user: 0600 files, 0700 folders drills creates, whatever the umask."""
from __future__ import annotations

import json
import os
import stat

import pytest

from drills.commands._common import save_bundle
from drills.store import Store


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(params=[0o000, 0o022, 0o002])
def umask(request):
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def test_history_database_and_its_folders_are_private(tmp_path, umask):
    home = tmp_path / "a" / "b"
    store = Store(home / "drills.db")
    store.add_exam(1, "kind-drills", 10, "2026-12-01T00:00:00Z")   # makes the WAL files exist
    assert mode(home) == 0o700 and mode(tmp_path / "a") == 0o700
    for name in ("drills.db", "drills.db-wal", "drills.db-shm"):
        if (home / name).exists():
            assert mode(home / name) == 0o600, name
    assert mode(tmp_path) == mode(tmp_path)      # a folder drills did not create is left alone
    store.close()


def test_an_existing_readable_database_is_made_private(tmp_path):
    Store(tmp_path / "drills.db").close()
    os.chmod(tmp_path / "drills.db", 0o644)
    Store(tmp_path / "drills.db").close()
    assert mode(tmp_path / "drills.db") == 0o600


def test_saved_evidence_is_private(tmp_path, umask):
    target = tmp_path / "run.json"
    save_bundle({"kind": "drills.evidence"}, str(target))
    assert mode(target) == 0o600
    assert json.loads(target.read_text()) == {"kind": "drills.evidence"}
    os.chmod(target, 0o666)
    save_bundle({"kind": "drills.evidence", "again": 1}, str(target))   # overwriting tightens it
    assert mode(target) == 0o600 and json.loads(target.read_text())["again"] == 1
