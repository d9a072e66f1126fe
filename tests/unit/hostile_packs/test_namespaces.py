"""Issue 9 item 10: a drill's namespaces stay distinct, valid DNS labels of at most 63 characters."""
from __future__ import annotations

import re

from hypothesis import given, settings, strategies as st

from drills.errors import UsageError
from drills.render import derived_namespace, namespace_for

LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
label = st.from_regex(r"\A[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\Z", fullmatch=True)
scenario_id = st.from_regex(r"\A[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?\Z", fullmatch=True)
level = st.none() | st.from_regex(r"\A[a-z0-9]([-a-z0-9]{0,18}[a-z0-9])?\Z", fullmatch=True)
extra = st.lists(st.from_regex(r"\A[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?\Z", fullmatch=True),
                 max_size=4, unique=True)


def _valid(name: str) -> bool:
    return len(name) <= 63 and bool(LABEL.match(name))


def test_short_names_are_unchanged():
    assert namespace_for("selector-mismatch", 5) == "drill-selector-mismatch-5"
    assert namespace_for("my-drill", 1, "big") == "drill-my-drill-big-1"
    assert derived_namespace("drill-dns-cross-namespace-7", "client") == "drill-dns-cross-namespace-7-client"


@settings(max_examples=150, deadline=None)
@given(scenario_id, st.integers(0, 999_999), level)
def test_derived_namespace_keeps_seed_and_level_apart(sid, seed, lvl):
    name = namespace_for(sid, seed, lvl)
    assert _valid(name), name
    assert name.endswith(f"-{seed}")
    assert name != namespace_for(sid, seed + 1, lvl)
    if lvl:
        assert name != namespace_for(sid, seed, None)


@settings(max_examples=150, deadline=None)
@given(label, extra)
def test_extra_namespaces_stay_distinct_and_valid(base, extras):
    try:
        names = [base, *(derived_namespace(base, e) for e in extras)]
    except UsageError:
        return   # refusing is allowed; merging or invalid names are not
    assert all(_valid(n) for n in names), names
    assert len(set(names)) == len(names), names


def test_long_namespace_keeps_client_apart():
    base = "a" * 63
    assert derived_namespace(base, "client") != base and _valid(derived_namespace(base, "client"))


def test_a_63_character_namespace_renders_with_a_distinct_client_namespace():
    from drills import catalog
    from drills.render import render
    plan = render(catalog.get("dns-cross-namespace"), 1, namespace="a" * 63)
    assert len(set(plan.namespaces)) == 2 and all(_valid(n) for n in plan.namespaces)
    assert {o["metadata"].get("namespace") for o in plan.manifests} <= {None, *plan.namespaces}
