"""What holds for every committed evidence bundle, whichever scenario it belongs to."""
from __future__ import annotations

import pytest

from drills import catalog
from drills.graders.judge import required_probes
from tests.fixtures import bundles as B
from tests.graders.kit import assert_outcome_as_named, plan_for

PATHS = sorted(B.BUNDLES.glob("*/*.json"))


def test_every_scenario_has_offline_bundles():
    assert set(catalog.discover()) - {"service-multi-fault"} <= {p.parent.name for p in PATHS}, \
        "service-multi-fault builds its evidence in memory (tests/scenarios/test_chapter_scenarios.py)"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_bundle_gets_the_outcome_in_its_name(path):
    assert_outcome_as_named(path)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_bundle_holds_every_probe_the_plan_needs(path):
    b = B.load(path)
    keys = {spec.key for spec in required_probes(plan_for(b))}
    assert keys <= set(b["probes"]), f"missing {keys - set(b['probes'])}"
