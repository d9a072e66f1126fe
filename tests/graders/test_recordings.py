"""The recorded fixtures themselves: INDEX rows, hand-made bundles, recorded verdicts."""
import json

import pytest

from drills.evidence import check_bundle
from tests.fixtures import recordings as R

REPO = R.repository()
ROWS = sorted(REPO.index.items())
FIELDS = {"case", "scenario", "seed", "level", "declared", "declared_diagnosis", "judged", "diagnosis",
          "results", "start_s", "took_s", "error", "fix_hash", "scenario_hash", "drills_version",
          "cluster_version", "nodes", "recorded_at"}


@pytest.mark.parametrize("row_key, row", ROWS, ids=[k for k, _ in ROWS])
def test_every_row_has_the_record_format(row_key, row):
    assert FIELDS <= set(row), FIELDS - set(row)
    assert row_key == R.key(row["scenario"], row["seed"], row["level"], row["case"])
    if REPO.has_bundle(row_key):
        check_bundle(REPO.shared(row_key), row_key)
        assert REPO.shared(row_key)["drill"]["scenario"] == row["scenario"]
    else:
        assert row["error"], f"{row_key}: a row without a bundle says why it could not be recorded"
    if row["case"] in (R.BROKEN, R.INFRA_ERROR):
        assert row["fix_hash"] is None
    elif not row["error"]:
        assert row["fix_hash"].startswith("sha256:")


def test_every_bundle_has_its_row():
    files = {f"{p.parent.name}/{p.stem}" for p in REPO.root.glob("*/*.json")}
    assert files - set(REPO.index) == set()


def test_every_recorded_verdict_is_the_declared_one():
    """Issue 8, item 8: where a recording's verdict differs from the declared outcome, the check
    or the scenario is wrong. Holds for every recorded case."""
    wrong = []
    for row_key, row in ROWS:
        if row["error"]:
            continue
        declared = (row["declared"] or "fail").upper()   # broken: declared by `broken:`, a FAIL
        if row["judged"] != declared:
            wrong.append(f"{row_key}: declared {declared}, recorded {row['judged']}")
        elif row["declared"] == "fail" and row["diagnosis"] != row["declared_diagnosis"]:
            wrong.append(f"{row_key}: declared diagnosis {row['declared_diagnosis']}, recorded {row['diagnosis']}")
    assert not wrong


HAND_MADE = [(k, r) for k, r in ROWS if r.get("hand_made")]


def test_only_infra_error_cases_are_hand_made():
    assert HAND_MADE and {r["case"] for _, r in HAND_MADE} == {R.INFRA_ERROR}
    for row_key, row in HAND_MADE:
        assert row["why"] and REPO.shared(row_key)["hand_made"] == row["why"]


@pytest.mark.parametrize("row_key, row", HAND_MADE, ids=[k for k, _ in HAND_MADE])
def test_hand_made_bundles_are_what_their_derivation_gives(row_key, row):
    source = R.key(row["scenario"], row["seed"], row["level"], "reference")
    derived = R.probe_pod_unavailable(REPO.shared(source), f"{source}.json")
    assert REPO.path(row_key).read_text() == R.dump(derived), \
        f"{row_key} drifted from tests/fixtures/recordings.py probe_pod_unavailable"
    assert json.loads(R.dump(derived)) == derived
