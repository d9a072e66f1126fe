"""`grade --evidence` treats a bundle as hostile input: every malformed one is
BadEvidence (exit 10) with one line naming the file and the field."""
from __future__ import annotations

import pytest

from drills import evidence as E
from drills.cli import main
from drills.errors import BadEvidence, ExitCode
from tests.unit.trust.hostile import BROKEN, REFERENCE, RECORDED, VARIANTS, variant_bytes


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_hostile_bundle_is_one_line_exit_10(name, tmp_path, capsys):
    path = tmp_path / f"{name}.json"
    path.write_bytes(variant_bytes(name))
    code = main(["grade", "--evidence", str(path)])
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert code == ExitCode.BAD_EVIDENCE, captured.err
    assert len(lines) == 1 and str(path) in lines[0], lines
    for word in VARIANTS[name][1]:
        assert word in lines[0]
    assert len(lines[0]) < 600
    assert captured.out == ""


def test_every_recorded_bundle_passes_the_schema():
    bundles = sorted(RECORDED.glob("*/*.json"))
    assert bundles
    for path in bundles:
        E.check_bundle(E.load_bundle(path), str(path))


@pytest.mark.parametrize("path", [BROKEN, REFERENCE])
def test_recorded_bundles_still_grade(path, capsys):
    code = main(["grade", "--evidence", str(path), "--json"])
    assert code in (ExitCode.OK, ExitCode.CHECKS_FAILED), capsys.readouterr().err


def test_a_huge_file_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(E, "MAX_BUNDLE_BYTES", 1000)
    path = tmp_path / "big.json"
    path.write_bytes(b" " * 1001)
    with pytest.raises(BadEvidence) as caught:
        E.load_bundle(path)
    assert "larger than" in caught.value.message and str(path) in caught.value.message


def test_the_size_bound_is_64_mib():
    assert E.MAX_BUNDLE_BYTES == 64 * 1024 * 1024


def test_a_folder_is_not_a_bundle(tmp_path):
    with pytest.raises(BadEvidence):
        E.load_bundle(tmp_path)


def test_a_missing_file_says_so(tmp_path):
    with pytest.raises(BadEvidence) as caught:
        E.load_bundle(tmp_path / "nope.json")
    assert "does not exist" in caught.value.message
