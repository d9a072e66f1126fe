"""client.ready: the client's pods are Ready, and their readiness probe still fetches the target."""
import pytest

from drills.graders.registry import ERROR, FAIL
from tests.graders.kit import container, expect, expect_on, named, recorded

NAME = "client.ready"


@pytest.mark.parametrize("label, fragments", [
    ("dns-cross-namespace/reference-PASSED", ["Deployment reporter in namespace {namespace}-client",
                                              "1 pod Ready, its readiness probe fetching $TARGET", "1 Ready: reporter-"]),
    ("dns-cross-namespace/broken-FAILED", ["0 of 1 Ready", "Readiness probe failed: wget: bad address "
                                           "'{svc_name}:{svc_port}'"]),
    ("dns-cross-namespace/probe-removed-FAILED", ["the readiness probe no longer fetches $TARGET"]),
])
def test_recorded_input(label, fragments):
    expect(NAME, label, *fragments)


def test_a_namespace_that_was_not_collected_cannot_decide():
    b = recorded("dns-cross-namespace", "reference")
    b["objects"]["pods"] = [p for p in b["objects"]["pods"]
                            if p["metadata"]["namespace"] != "drill-dns-cross-namespace-1-client"]
    b["objects"]["deployments"] = [d for d in b["objects"]["deployments"]
                                   if d["metadata"]["namespace"] != "drill-dns-cross-namespace-1-client"]
    expect_on(NAME, b, ERROR, "the evidence holds nothing from namespace {namespace}-client")


def test_a_probe_reading_the_variable_in_braces_counts():
    b = recorded("dns-cross-namespace", "reference")
    probe = container(named(b, "deployments", "reporter"))["readinessProbe"]["exec"]
    probe["command"] = [c.replace("$TARGET", "${TARGET}") for c in probe["command"]]
    expect_on(NAME, b, "PASS", "1 Ready")
    probe["command"] = ["true"]
    expect_on(NAME, b, FAIL, "no longer fetches $TARGET")


def test_a_pod_without_an_unhealthy_event_is_just_not_ready():
    b = recorded("dns-cross-namespace", "broken")
    b["objects"]["events"] = [e for e in b["objects"]["events"] if e.get("reason") != "Unhealthy"]
    expect_on(NAME, b, FAIL, "0 of 1 Ready (reporter-", ": not Ready)")


def test_the_latest_unhealthy_event_of_that_pod_names_why():
    # hand-made from the recording: an older Unhealthy event listed first, and a later event of
    # another reason for the same pod, neither of which is the reason now
    b = recorded("dns-cross-namespace", "broken")
    events = b["objects"]["events"]
    event = next(e for e in events if e.get("reason") == "Unhealthy")
    events.insert(0, dict(event, message="an older probe failure", lastTimestamp="2026-12-01T19:00:00Z"))
    events.append(dict(event, reason="Pulled", message="image present", lastTimestamp="2026-12-01T23:00:00Z"))
    v = expect_on(NAME, b, FAIL, "Readiness probe failed: wget: bad address")
    assert "older" not in v.observed and "image present" not in v.observed


def test_the_demanded_count_is_the_live_replicas_else_one():
    b = recorded("dns-cross-namespace", "reference")
    spec = named(b, "deployments", "reporter")["spec"]
    spec.pop("replicas")   # hand-made: a spec without the API's default
    expect_on(NAME, b, "PASS", "1 pod Ready")
    spec["replicas"] = 2   # hand-made: scaled up, the second pod not there yet
    expect_on(NAME, b, FAIL, "2 pods Ready, its readiness probe fetching $TARGET", "1 of 2 Ready")
