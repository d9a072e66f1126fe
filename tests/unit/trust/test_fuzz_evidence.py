"""Random JSON, and random mutations of a bundle recorded on a real cluster, thrown at
`grade --evidence`: never a traceback, never more than one line on stderr, never an
exit code the README does not document. Bounded: a few hundred examples, seconds."""
from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drills.cli import main
from drills.errors import ExitCode
from tests.unit.trust.hostile import put, recorded

SEED_BUNDLE = recorded()
SEED_TEXT = json.dumps(SEED_BUNDLE).encode()
DOCUMENTED = {int(c) for c in ExitCode}
FUZZ = settings(max_examples=50, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**63) | st.floats(allow_nan=False)
    | st.text(max_size=40),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12),
                                                                        children, max_size=5),
    max_leaves=25)


def paths(value, prefix=()):
    """Every place in a bundle a mutation can hit."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value[:3]):
            yield from paths(item, (*prefix, i))


PATHS = [p for p in paths(SEED_BUNDLE) if p]


def grade(data: bytes) -> None:
    fd, path = tempfile.mkstemp(suffix=".json")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    err = io.StringIO()
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            code = main(["grade", "--evidence", path])
    finally:
        os.unlink(path)
    text = err.getvalue()
    assert "Traceback" not in text
    assert len(text.splitlines()) <= 1, text
    assert code in DOCUMENTED, (code, text)


@FUZZ
@given(json_values)
def test_random_json(value):
    grade(json.dumps(value).encode())


@FUZZ
@given(st.dictionaries(st.sampled_from(["drill", "objects", "probes", "errors", "cluster",
                                        "context", "collected_at", "extra"]), json_values,
                       max_size=6))
def test_random_bundle_shaped_json(fields):
    grade(json.dumps({"kind": "drills.evidence", "version": 1, **fields}).encode())


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(PATHS), json_values | st.just(KeyError)), min_size=1,
                max_size=4))
def test_mutations_of_a_recorded_bundle(mutations):
    bundle = copy.deepcopy(SEED_BUNDLE)
    for path, value in mutations:
        try:
            put(bundle, path, value)
        except (KeyError, IndexError, TypeError):
            continue                      # an earlier mutation removed the place
    grade(json.dumps(bundle).encode())


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(SEED_TEXT) - 1), st.binary(max_size=3)),
                min_size=1, max_size=5))
def test_byte_mutations_of_a_recorded_bundle(edits):
    data = bytearray(SEED_TEXT)
    for offset, replacement in edits:
        data[offset:offset + 1] = replacement
    grade(bytes(data))
