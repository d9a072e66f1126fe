"""Issue 9 items 2 and 5: a broken pack fails alone, naming its file and field, in one line."""
from __future__ import annotations

import pytest

from drills import catalog
from drills.errors import BadScenarioPack, ExitCode
from drills.render import render
from tests.unit.hostile_packs.packs import make_pack


def _param(name, spec):
    return lambda m: m["parameters"].update({name: spec})


BROKEN_PACKS = [
    ("unknown-word-list", _param("app", {"words": "no_such_list"}), "parameters.app"),
    ("word-list-path", _param("app", {"words": "../../../etc/passwd"}), "parameters.app"),
    ("reversed-int", _param("replicas", {"int": [3, 2]}), "parameters.replicas"),
    ("unknown-kind", _param("replicas", {"dice": 6}), "parameters.replicas"),
    ("two-kinds", _param("replicas", {"int": [1, 2], "choice": [1]}), "parameters.replicas"),
    ("typo-of-undefined", _param("wrong_value", {"typo": "nothing_here"}), "parameters.wrong_value"),
    ("key-slip-of-later", _param("wrong_key", {"key_slip": "legacy_name"}), "parameters.wrong_key"),
    ("not-of-undefined", _param("svc_port", {"port": "service", "not": ["ghost"]}), "parameters.svc_port"),
    ("value-syntax-error", _param("svc_name", {"value": "{{ app }"}), "parameters.svc_name"),
    ("bad-level-name", lambda m: m.update(levels={"Big_Level": {"replicas": 3}}), "levels"),
]


# a Jinja syntax error in a parameter's value shows when the scenario renders, not when `list`
# reads the folder (compiling every template would slow every start-up)
FOUND_ONLY_WHEN_RENDERED = {"value-syntax-error"}


@pytest.mark.parametrize("label, edit, field", BROKEN_PACKS, ids=[b[0] for b in BROKEN_PACKS])
def test_broken_pack_names_file_and_field_and_spares_the_rest(tmp_path, monkeypatch, label, edit, field):
    monkeypatch.setenv("DRILLS_SCENARIO_PATH", str(make_pack(tmp_path, edit=edit)))
    with pytest.raises(BadScenarioPack) as info:
        render(catalog.get("evil"), 1)
    message = info.value.one_line()
    assert info.value.exit_code == ExitCode.BAD_SCENARIO_PACK
    assert "evil/scenario.yaml" in message and f"field {field}" in message and "\n" not in message
    # everything else still loads and renders
    good = catalog.discover()
    assert "selector-mismatch" in good and render(catalog.get("selector-mismatch"), 1).manifests
    if label in FOUND_ONLY_WHEN_RENDERED:
        return
    assert "evil" not in good
    problems = catalog.problems()
    assert len(problems) == 1 and "evil" in problems[0].one_line()


def test_a_pack_folder_that_does_not_exist_is_a_warning_not_a_failure(tmp_path, monkeypatch):
    monkeypatch.setenv("DRILLS_SCENARIO_PATH", str(tmp_path / "nowhere"))
    assert "selector-mismatch" in catalog.discover()
    assert "nowhere" in catalog.problems()[0].one_line()


def test_an_id_defined_twice_keeps_the_first(tmp_path, monkeypatch):
    monkeypatch.setenv("DRILLS_SCENARIO_PATH", str(make_pack(tmp_path, "selector-mismatch")))
    assert catalog.get("selector-mismatch").folder == catalog.builtin_root() / "selector-mismatch"
    assert "defined twice" in catalog.problems()[0].one_line()


def test_builtin_scenarios_have_no_problems():
    assert catalog.problems() == []


YAML_ERRORS = [
    ("id: evil\ntitle: [unclosed\n", 3),
    ("id: evil\n  title: x\n bad: indent\n", 2),
    ("id: evil\ntask: \"unterminated\n", 3),
    ("id: evil\n\tbad: tab\n", 2),
]


@pytest.mark.parametrize("text, line", YAML_ERRORS)
def test_yaml_errors_are_one_line_with_line_and_column(tmp_path, monkeypatch, text, line):
    monkeypatch.setenv("DRILLS_SCENARIO_PATH", str(make_pack(tmp_path, raw_yaml=text)))
    with pytest.raises(BadScenarioPack) as info:
        catalog.get("evil")
    message = info.value.one_line()
    assert "\n" not in message, message
    assert "evil/scenario.yaml line " in message and " column " in message, message
    assert "drills render" not in message


def test_invalid_utf8_pack_is_a_bad_pack(tmp_path, monkeypatch):
    pack = make_pack(tmp_path)
    (pack / "evil" / "scenario.yaml").write_bytes(b"id: evil\ntitle: \xff\xfe\n")
    monkeypatch.setenv("DRILLS_SCENARIO_PATH", str(pack))
    with pytest.raises(BadScenarioPack, match="UTF-8"):
        catalog.get("evil")


def test_rendered_yaml_error_is_one_line_without_self_referral(tmp_path, monkeypatch):
    pack = make_pack(tmp_path, templates={"service.yaml.j2": "a: b\n c: [d\n"})
    monkeypatch.setenv("DRILLS_SCENARIO_PATH", str(pack))
    with pytest.raises(BadScenarioPack) as info:
        render(catalog.get("evil"), 1)
    message = info.value.one_line()
    assert "\n" not in message and "service.yaml.j2" in message and " line " in message
    assert "drills render" not in message


def test_template_that_is_not_utf8(tmp_path, monkeypatch):
    pack = make_pack(tmp_path)
    (pack / "evil" / "templates" / "service.yaml.j2").write_bytes(b"a: \xff\n")
    monkeypatch.setenv("DRILLS_SCENARIO_PATH", str(pack))
    with pytest.raises(BadScenarioPack) as info:
        render(catalog.get("evil"), 1)
    assert "service.yaml.j2" in info.value.one_line() and "UTF-8" in info.value.one_line()
