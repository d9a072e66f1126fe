"""Issue 9: random YAML and random mutations of a real scenario.yaml, thrown at the pack loader
and the renderer. Whatever comes in, the only failure is BadScenarioPack, in one line."""
from __future__ import annotations

import copy
import itertools
import shutil
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from drills import catalog
from drills.errors import BadScenarioPack
from drills.render import render
from tests.unit.hostile_packs.packs import EXEMPLAR

EXEMPLAR_META = yaml.safe_load((EXEMPLAR / catalog.METADATA).read_text())
FUZZ = settings(max_examples=80, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

JINJA_BITS = ["{{ app }}", "{{ nope }}", "{% if %}", "{{ 1/0 }}", "{{ ''.__class__ }}", "{% for i in range(3) %}x",
              "{% endfor %}", "{{ range(10**9)|list }}", "{{ app|center(10**9) }}", "{#", "}}", "{{ 'x' * 10**8 }}",
              "{% include 'x' %}", "{{ namespace }}", "\x00", "\x1b[2J", "&a", "*a", ": ", "- ", "\n", "'", '"']
scalars = (st.none() | st.booleans() | st.integers(-10**6, 10**12) | st.floats(allow_nan=False)
           | st.text(max_size=30) | st.sampled_from(JINJA_BITS)
           | st.lists(st.sampled_from(JINJA_BITS), max_size=4).map("".join))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=12) | st.sampled_from(sorted(EXEMPLAR_META)), inner,
                                        max_size=4), max_leaves=20)
_folders = itertools.count()


def _exercise(root: Path, text: str) -> None:
    folder = root / str(next(_folders)) / "evil"
    shutil.copytree(EXEMPLAR / "templates", folder / "templates")
    (folder / catalog.METADATA).write_text(text, encoding="utf-8", errors="surrogateescape")
    try:
        scenario = catalog.load_folder(folder)
        render(scenario, 1)
    except BadScenarioPack as exc:
        message = exc.one_line()
        assert "\n" not in message and "\r" not in message, message
        assert len(message) < 2000


def _paths(tree, prefix=()):
    yield prefix
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            yield from _paths(value, (*prefix, i))


EXEMPLAR_PATHS = [p for p in _paths(EXEMPLAR_META) if p]


@FUZZ
@given(st.text(max_size=300))
def test_random_text_as_scenario_yaml(tmp_path, text):
    _exercise(tmp_path, text)


@FUZZ
@given(values)
def test_random_yaml_documents(tmp_path, document):
    _exercise(tmp_path, yaml.safe_dump(document, allow_unicode=True))


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(EXEMPLAR_PATHS), values), min_size=1, max_size=3))
def test_random_mutations_of_a_real_scenario(tmp_path, mutations):
    meta = copy.deepcopy(EXEMPLAR_META)
    meta["id"] = "evil"
    for path, value in mutations:
        node = meta
        try:
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = copy.deepcopy(value)
        except (KeyError, IndexError, TypeError):
            continue   # an earlier mutation replaced this branch
    _exercise(tmp_path, yaml.safe_dump(meta, allow_unicode=True, sort_keys=False))
