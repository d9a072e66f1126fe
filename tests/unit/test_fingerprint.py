"""Content hashes of fixes and scenario folders."""
from __future__ import annotations

from drills.catalog import get
from drills.fingerprint import fix_digest, scenario_digest
from drills.render import render


def test_fix_digest_follows_the_steps_and_only_them():
    plan = render(get("selector-mismatch"), 1)
    reference = plan.fixes["reference"]
    assert fix_digest(reference) == fix_digest({"steps": reference.steps})
    assert fix_digest(reference) != fix_digest(plan.fixes["set-selector"])
    assert fix_digest(reference).startswith("sha256:")


def test_scenario_digest_changes_with_any_file(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "scenario.yaml").write_text("id: x\n")
    (tmp_path / "templates" / "a.yaml.j2").write_text("kind: Service\n")
    before = scenario_digest(tmp_path)
    assert scenario_digest(tmp_path) == before
    (tmp_path / "templates" / "a.yaml.j2").write_text("kind: Service \n")
    assert scenario_digest(tmp_path) != before
    (tmp_path / "templates" / "a.yaml.j2").write_text("kind: Service\n")
    assert scenario_digest(tmp_path) == before
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "x.pyc").write_bytes(b"\0")
    assert scenario_digest(tmp_path) == before
