"""service.selector-matches-pods: the Service's selector matches the workload's pods, and only them."""
import pytest

from drills.graders.registry import FAIL
from tests.graders.kit import expect, expect_on, named, recorded

NAME = "service.selector-matches-pods"


@pytest.mark.parametrize("label, fragments", [
    ("selector-mismatch/reference-PASSED", ["selector {label_key}={app} matches the 3 pods of Deployment {app}"]),
    ("selector-mismatch/set-selector-PASSED", ["matches the 3 pods"]),
    ("selector-mismatch/broken-FAILED", ["selector {label_key}={wrong_value} matches 0 pods",
                                         "pods of Deployment {app} carry {label_key}={app}"]),
    ("selector-mismatch/legacy-pods-FAILED", ["matches 1 pod (billing-legacy-", "not of Deployment {app})"]),
    ("selector-mismatch/relabel-pods-FAILED", ["pods of Deployment {app} carry"]),
    ("selector-mismatch/seed3-broken-FAILED", ["matches 0 pods"]),
    ("expose-deployment/create-service-only-FAILED", ["selector app={svc_name}"]),
])
def test_recorded_input(label, fragments):
    expect(NAME, label, *fragments)


def test_a_selector_that_also_matches_other_pods_fails():
    b = recorded("selector-mismatch", "reference")
    legacy = named(b, "deployments", "billing-legacy")
    for pod in b["objects"]["pods"]:
        if pod["metadata"]["name"].startswith("billing-legacy-"):
            pod["metadata"]["labels"]["service"] = "billing"
    assert legacy
    expect_on(NAME, b, FAIL, "selector service=billing also matches billing-legacy-",
              "which are not pods of Deployment billing")


def test_no_selector_fails():
    b = recorded("selector-mismatch", "reference")
    del named(b, "services", "billing")["spec"]["selector"]
    expect_on(NAME, b, FAIL, "no selector, so no pod is selected")


def test_a_selector_on_the_pod_template_hash_is_named_volatile():
    b = recorded("selector-mismatch", "reference")
    pod = next(p for p in b["objects"]["pods"] if p["metadata"]["name"].startswith("billing-")
               and "pod-template-hash" in p["metadata"]["labels"] and "legacy" not in p["metadata"]["name"])
    named(b, "services", "billing")["spec"]["selector"] = {
        "pod-template-hash": pod["metadata"]["labels"]["pod-template-hash"]}
    expect_on(NAME, b, FAIL, "the selector uses pod-template-hash, which the controller sets per revision")


def test_a_mistyped_value_of_a_template_label_is_not_called_volatile():
    v, _ = expect(NAME, "selector-mismatch/broken-FAILED", "matches 0 pods")
    assert "the controller sets per revision" not in v.observed
