"""Issue 9 item 4: bounded packs. Every bomb fails fast, in bounded memory, naming the file."""
from __future__ import annotations

import time

import pytest

from drills import catalog
from drills.errors import BadScenarioPack, ExitCode
from drills.render import render
from tests.unit.hostile_packs.packs import make_pack, with_template_line

BILLION_LAUGHS = "\n".join(
    ["id: evil", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]" for i in range(8)]) + "\n"


def _fails_fast(pack, monkeypatch, where: str, *, limit: float = 2.0, level=None):
    monkeypatch.setenv("DRILLS_SCENARIO_PATH", str(pack))
    started = time.process_time()      # CPU, not wall: the load of other xdist workers is not the budget's
    with pytest.raises(BadScenarioPack) as info:
        render(catalog.get("evil"), 1, level=level)
    elapsed = time.process_time() - started
    message = info.value.one_line()
    assert info.value.exit_code == ExitCode.BAD_SCENARIO_PACK
    assert where in message and "\n" not in message and len(message) < 600, message
    assert elapsed < limit, f"used {elapsed:.1f} s of CPU"
    return message


def test_billion_laughs_is_refused_at_once(tmp_path, monkeypatch):
    assert len(BILLION_LAUGHS.splitlines()) == 10
    message = _fails_fast(make_pack(tmp_path, raw_yaml=BILLION_LAUGHS), monkeypatch, "scenario.yaml", limit=0.5)
    assert "alias" in message


def test_alias_bomb_in_a_rendered_manifest_is_refused(tmp_path, monkeypatch):
    template = {"service.yaml.j2": BILLION_LAUGHS.replace("id: evil\n", "")}
    assert "alias" in _fails_fast(make_pack(tmp_path, templates=template), monkeypatch, "service.yaml.j2")


def test_small_anchors_and_aliases_are_fine_and_unshared(tmp_path, monkeypatch):
    def share_steps(meta):
        meta["fixes"]["set-selector"]["steps"] = meta["fixes"]["legacy-pods"]["steps"]  # dumped as an alias
    monkeypatch.setenv("DRILLS_SCENARIO_PATH", str(make_pack(tmp_path, edit=share_steps)))
    assert "&id" in (tmp_path / "pack" / "evil" / "scenario.yaml").read_text()
    fixes = catalog.get("evil").meta["fixes"]
    assert fixes["set-selector"]["steps"] == fixes["legacy-pods"]["steps"]
    assert fixes["set-selector"]["steps"] is not fixes["legacy-pods"]["steps"]


def test_oversized_scenario_yaml(tmp_path, monkeypatch):
    pack = make_pack(tmp_path, edit=lambda m: m.update(teaches="x" * 300_000))
    assert "limit" in _fails_fast(pack, monkeypatch, "scenario.yaml")


def test_oversized_template(tmp_path, monkeypatch):
    pack = make_pack(tmp_path, templates=with_template_line("# " + "x" * 300_000))
    assert "limit" in _fails_fast(pack, monkeypatch, "service.yaml.j2")


@pytest.mark.parametrize("payload", [
    "{{ 'x' * 60000000 }}",
    "{% for i in range(100000) %}{{ 'x' * 600 }}{% endfor %}",
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "{% macro d(n, s) %}{% if n %}{{ d(n - 1, s ~ s) }}{% endif %}{% endmacro %}{{ d(60, 'x') }}",
    "{% macro d(n) %}{% if n %}{{ d(n - 1) }}{{ d(n - 1) }}{% endif %}{% endmacro %}{{ d(40) }}",
    "{% set a = 'x' * 100000 %}{% set b = a ~ a ~ a ~ a ~ a ~ a ~ a ~ a %}{% set c = b ~ b ~ b ~ b ~ b ~ b ~ b ~ b %}"
    "{% set d = c ~ c ~ c ~ c ~ c ~ c ~ c ~ c %}{{ d|length }}",
    "{% set a = 'x' * 100000 %}{% set b = a + a + a + a + a + a + a + a %}{% set c = b + b + b + b + b + b + b %}"
    "{{ (c + c + c + c)|length }}",
    "{% set n = 10 ** 4000 %}{% set m = n * n * n * n * n %}{% set o = m * m * m * m %}{{ (o * o * o)|string|length }}",
    "{{ ([['x'] * 100000] * 100000)|length }}",
    "{{ (range(100000)|list * 100000)|length }}",
    "{{ 'x'|indent(100000000) }}",
    "{{ {'a': 1}|tojson(indent=100000000) }}",
    "{{ [1, 2]|slice(100000000)|list|length }}",
    "{{ 'ab'.ljust(100000000) }}",
    "{{ 'a\tb'.expandtabs(100000000) }}",
    "{{ 'x'.zfill(100000000) }}",
    "{{ 'x' ~ lipsum(100000000) }}",
])
def test_text_bombs_fail_fast(tmp_path, monkeypatch, payload):
    task = lambda m: m.update(task="In namespace {{ namespace }}: " + payload)  # noqa: E731
    _fails_fast(make_pack(tmp_path, edit=task), monkeypatch, "field task")
    tmp2 = tmp_path / "t"
    tmp2.mkdir()
    _fails_fast(make_pack(tmp2, templates=with_template_line("# " + payload)), monkeypatch, "service.yaml.j2")


def test_60_megabyte_task_fails_fast(tmp_path, monkeypatch):
    task = lambda m: m.update(task="{{ namespace }} {% for i in range(60) %}{{ 'y' * 1000000 }}{% endfor %}")  # noqa: E731
    assert "limit" in _fails_fast(make_pack(tmp_path, edit=task), monkeypatch, "field task")


def test_too_many_manifests(tmp_path, monkeypatch):
    many = "".join(f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n" for i in range(500))
    _fails_fast(make_pack(tmp_path, templates={"many.yaml.j2": many}), monkeypatch, "many.yaml.j2")


def test_too_many_parameters(tmp_path, monkeypatch):
    extra = {f"p{i}": {"choice": [1]} for i in range(1000)}
    assert "parameters" in _fails_fast(make_pack(tmp_path, edit=lambda m: m["parameters"].update(extra)),
                                       monkeypatch, "scenario.yaml")


def test_budgets_leave_real_work_alone(tmp_path, monkeypatch):
    """A loop of 50,000 small steps, well inside every bound, still renders."""
    task = lambda m: m.update(task="In namespace {{ namespace }}: "  # noqa: E731
                              "{% for i in range(50000) %}{% endfor %}{{ range(1000)|join(',')|length }}")
    monkeypatch.setenv("DRILLS_SCENARIO_PATH", str(make_pack(tmp_path, edit=task)))
    assert render(catalog.get("evil"), 1).task.endswith("3889")
