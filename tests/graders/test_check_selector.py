"""service.selector-matches-pods: the intended pods, and only them."""
from drills.graders.registry import FAIL, PASS
from tests.graders.kit import bundle, run

ARGS = dict(service="web", workload="web")


def test_fixed_selector_passes():
    v = run("service.selector-matches-pods", bundle("selector-mismatch", "reference"), **ARGS)
    assert v.status == PASS and "matches the 2 pods of Deployment web" in v.observed


def test_typo_reads_like_the_brief():
    v = run("service.selector-matches-pods", bundle("selector-mismatch", "broken"), **ARGS)
    assert v.status == FAIL
    assert v.subject == "Service web"
    assert v.observed == "selector app=webb matches 0 pods; pods of Deployment web carry app=web"
    assert "--show-labels" in v.hint


def test_other_pods_fail_even_when_traffic_flows():
    for case in ("legacy-pods", "relabel-pods"):
        v = run("service.selector-matches-pods", bundle("selector-mismatch", case), **ARGS)
        assert v.status == FAIL and "not of Deployment web" in v.observed, case


def test_selector_that_also_matches_foreign_pods_fails():
    b = bundle("selector-mismatch", "reference")
    legacy = [p for p in b["objects"]["pods"] if p["metadata"]["name"].startswith("web-legacy")][0]
    legacy["metadata"]["labels"]["app"] = "web"   # a bare copy of the label on another pod
    v = run("service.selector-matches-pods", b, **ARGS)
    assert v.status == FAIL and "also matches web-legacy-" in v.observed


def test_no_selector_and_revision_pinned_selectors_fail():
    v = run("service.selector-matches-pods", bundle("selector-mismatch", "hand-made-endpoints"), **ARGS)
    assert v.status == FAIL and "no selector" in v.observed
    v = run("service.selector-matches-pods", bundle("selector-mismatch", "pinned-template-hash"), **ARGS)
    assert v.status == FAIL and "pod-template-hash" in v.observed and "next rollout" in v.observed
