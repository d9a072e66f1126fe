import copy
import shutil
from pathlib import Path

import pytest
import yaml

from drills import catalog
from drills.errors import BadScenarioPack, ExitCode, UnknownScenario

EXEMPLAR = catalog.builtin_root() / "selector-mismatch"


def make_pack(tmp_path: Path, scenario_id: str = "my-drill", edit=None) -> Path:
    pack = tmp_path / "pack"
    folder = pack / scenario_id
    shutil.copytree(EXEMPLAR, folder, ignore=shutil.ignore_patterns("__pycache__"))
    meta = yaml.safe_load((folder / "scenario.yaml").read_text())
    meta["id"] = scenario_id
    if edit:
        edit(meta)
    (folder / "scenario.yaml").write_text(yaml.safe_dump(meta, sort_keys=False))
    return pack


def test_builtin_scenarios_are_found_and_valid():
    found = catalog.discover()
    assert "selector-mismatch" in found
    for s in found.values():
        assert s.folder.name == s.id
        assert s.template_names(), f"{s.id} has no templates"


def test_extra_pack_on_search_path(tmp_path, monkeypatch):
    monkeypatch.setenv("DRILLS_SCENARIO_PATH", str(make_pack(tmp_path)))
    assert catalog.get("my-drill").title


def test_unknown_scenario_suggests_close_ids():
    with pytest.raises(UnknownScenario) as info:
        catalog.get("selector-mismach")
    assert "did you mean selector-mismatch?" in info.value.one_line()
    assert info.value.exit_code == ExitCode.UNKNOWN_SCENARIO


@pytest.mark.parametrize("edit, field", [
    (lambda m: m.pop("title"), "(top level)"),
    (lambda m: m.update(difficulty="brutal"), "difficulty"),
    (lambda m: m.update(hints=["only one"]), "hints"),
    (lambda m: m["parameters"].update(bad={"dice": 6}), "parameters.bad"),
    (lambda m: m.update(broken={"fail": ["no.such-check"]}), "broken"),
    (lambda m: m.update(id="other-id"), "id"),
    (lambda m: m["checks"].append(copy.deepcopy(m["checks"][0])), "checks"),  # no YAML alias
])
def test_bad_metadata_names_file_and_field(tmp_path, monkeypatch, edit, field):
    monkeypatch.setenv("DRILLS_SCENARIO_PATH", str(make_pack(tmp_path, edit=edit)))
    with pytest.raises(BadScenarioPack) as info:
        catalog.get("my-drill")
    assert "my-drill" not in catalog.discover()   # skipped, and the built-ins still load
    message = info.value.one_line()
    assert "scenario.yaml" in message
    assert f"field {field}" in message or (field == "(top level)" and "'title' is a required" in message)
    assert info.value.exit_code == ExitCode.BAD_SCENARIO_PACK


def test_invalid_yaml_names_line(tmp_path, monkeypatch):
    pack = make_pack(tmp_path)
    (pack / "my-drill" / "scenario.yaml").write_text("id: my-drill\ntitle: [unclosed\n")
    monkeypatch.setenv("DRILLS_SCENARIO_PATH", str(pack))
    with pytest.raises(BadScenarioPack, match=r"scenario.yaml line \d+ column \d+: "):
        catalog.get("my-drill")


def test_duplicate_ids_across_packs(tmp_path, monkeypatch):
    pack = make_pack(tmp_path, "selector-mismatch")
    monkeypatch.setenv("DRILLS_SCENARIO_PATH", str(pack))
    assert "defined twice" in catalog.problems()[0].one_line()


def test_missing_pack_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("DRILLS_SCENARIO_PATH", str(tmp_path / "nowhere"))
    assert "is not a folder" in catalog.problems()[0].one_line()
    assert "selector-mismatch" in catalog.discover()
