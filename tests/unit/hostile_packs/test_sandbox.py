"""Issue 9 item 1: a pack's Jinja runs in a sandbox. Every payload ends in BadScenarioPack naming
the file (and field), creates nothing, and leaves nothing of its output in the message."""
from __future__ import annotations

import os

import pytest

from drills import catalog
from drills.errors import BadScenarioPack, ExitCode
from drills.render import render
from tests.unit.hostile_packs.packs import TEXT_PLACES, make_pack, with_template_line

TOUCH = "touch pwned"
ISSUE_PAYLOADS = [
    "{{ cycler.__init__.__globals__.os.system('touch pwned') }}",
    "{{ lipsum.__globals__['os'].popen('touch pwned; id').read() }}",
]
SSTI_PAYLOADS = ISSUE_PAYLOADS + [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ().__class__.__bases__[0].__subclasses__() }}",
    "{{ config }}",
    "{{ config.__class__.__init__.__globals__['os'].popen('touch pwned') }}",
    "{{ self._TemplateReference__context }}",
    "{{ self._TemplateReference__context.cycler.__init__.__globals__.os.system('touch pwned') }}",
    "{{ request }}",
    "{{ request.application.__globals__.__builtins__.__import__('os').popen('touch pwned').read() }}",
    "{{ joiner.__init__.__globals__.os.system('touch pwned') }}",
    "{{ namespace.__init__.__globals__.os.system('touch pwned') }}",
    "{{ ''|attr('__class__')|attr('__mro__') }}",
    "{{ ''|attr('\\x5f\\x5fclass\\x5f\\x5f') }}",
    "{{ cycler|attr('__init__')|attr('__globals__') }}",
    "{{ '{0.__class__.__mro__}'.format('') }}",
    "{{ '{0.__init__.__globals__[os]}'.format(cycler) }}",
    "{{ '{x.__init__.__globals__}'.format_map({'x': cycler}) }}",
    "{{ '%s'|format(cycler.__init__.__globals__) }}",
    "{{ range.__self__ }}",
    "{{ dict.__base__.__subclasses__() }}",
    "{{ [].pop() }}",
    "{% set x = {} %}{{ x.update({'a': 1}) }}",
    "{{ 1 / 0 }}",
    "{{ 'a' + 1 }}",
    "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
    "{% include '../../../../../../etc/passwd' %}",
    "{% include '/etc/passwd' %}",
    "{% import '../scenario.yaml' as x %}",
    "{{ range(10**9)|list }}",
    "{{ 'x' * 10**8 }}",
    "{{ 'x'|center(10**8) }}",
    "{{ '{:>100000000}'.format(1) }}",
    "{{ '%100000000d' % 1 }}",
    "{{ '%*d' % (100000000, 1) }}",
    "{{ 9 ** (9 ** 9) }}",
    "{{ [1]|batch(10**8, 'x')|list|length }}",
    "{{ 'x'|replace('', 'y' * 50000) }}",
    "{{ ('x' * 50000)|replace('', 'y' * 50000) }}",
    "{{ (['x' * 50000] * 50000)|join }}",
    "{% if 1 is {{ %}",
]


def _assert_contained(info, cwd, where: str, field: str | None) -> None:
    message = info.value.one_line()
    assert info.value.exit_code == ExitCode.BAD_SCENARIO_PACK
    assert "\n" not in message and "\r" not in message, message
    assert where in message, message
    if field:
        assert f"field {field}" in message, message
    assert "uid=" not in message
    assert sorted(os.listdir(cwd)) == ["pack"], "the payload created a file"


@pytest.fixture
def cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("payload", SSTI_PAYLOADS)
def test_payload_in_a_template(cwd, monkeypatch, payload):
    monkeypatch.setenv("DRILLS_SCENARIO_PATH", str(make_pack(cwd, templates=with_template_line(payload))))
    with pytest.raises(BadScenarioPack) as info:
        render(catalog.get("evil"), 1)
    _assert_contained(info, cwd, "service.yaml.j2", None)


@pytest.mark.parametrize("payload", SSTI_PAYLOADS)
def test_payload_in_the_task(cwd, monkeypatch, payload):
    monkeypatch.setenv("DRILLS_SCENARIO_PATH", str(make_pack(cwd, edit=lambda m: TEXT_PLACES[0][2](m, payload))))
    with pytest.raises(BadScenarioPack) as info:
        render(catalog.get("evil"), 1)
    _assert_contained(info, cwd, "scenario.yaml", "task")


@pytest.mark.parametrize("payload", ISSUE_PAYLOADS + ["{{ ''.__class__ }}", "{{ range(10**9)|list }}"])
@pytest.mark.parametrize("label, field, place", TEXT_PLACES, ids=[p[0] for p in TEXT_PLACES])
def test_payload_in_every_rendered_field(cwd, monkeypatch, payload, label, field, place):
    monkeypatch.setenv("DRILLS_SCENARIO_PATH", str(make_pack(cwd, edit=lambda m: place(m, payload))))
    with pytest.raises(BadScenarioPack) as info:
        render(catalog.get("evil"), 1)
    _assert_contained(info, cwd, "scenario.yaml", field)


@pytest.mark.parametrize("payload", ISSUE_PAYLOADS)
def test_payload_in_a_level(cwd, monkeypatch, payload):
    monkeypatch.setenv("DRILLS_SCENARIO_PATH",
                       str(make_pack(cwd, edit=lambda m: m.update(levels={"big": {"replicas": payload}}))))
    with pytest.raises(BadScenarioPack) as info:
        render(catalog.get("evil"), 1, level="big")
    _assert_contained(info, cwd, "scenario.yaml", "levels.big")


def test_template_symlink_out_of_the_pack_is_refused(cwd, monkeypatch):
    pack = make_pack(cwd, templates=with_template_line("{% include 'secret.txt' %}"))
    secret = cwd / "outside-secret.txt"
    secret.write_text("TOKEN-abc123\n")
    (pack / "evil" / "templates" / "secret.txt").symlink_to(secret)
    monkeypatch.setenv("DRILLS_SCENARIO_PATH", str(pack))
    with pytest.raises(BadScenarioPack) as info:
        render(catalog.get("evil"), 1)
    assert "outside" in info.value.one_line() and "TOKEN" not in info.value.one_line()


def test_shared_library_still_imports_and_builtins_render_unchanged():
    plan = render(catalog.get("selector-mismatch"), 7)
    assert any(o["kind"] == "Deployment" for o in plan.manifests)
