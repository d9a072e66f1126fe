"""dns.per-pod-names: each StatefulSet pod resolves by <pod>.<service>.<namespace>.svc.cluster.local
to its own IP."""
import pytest

from drills.graders.registry import ERROR, FAIL
from tests.graders.kit import expect, expect_on, named, recorded

NAME = "dns.per-pod-names"


@pytest.mark.parametrize("label, fragments", [
    ("headless-statefulset/reference-PASSED", ["3 names resolve to their pods' IPs"]),
    ("headless-statefulset/broken-FAILED", ["{app}-0.{svc_name}.{namespace}.svc.cluster.local"]),
    ("headless-statefulset/named-after-statefulset-FAILED", ["{app}-0.{svc_name}"]),
    ("headless-statefulset/infra-error-ERROR", ["the probe could not run"]),
])
def test_recorded_input(label, fragments):
    expect(NAME, label, *fragments)


def test_a_name_answering_with_another_pods_ip_fails():
    b = recorded("headless-statefulset", "reference")
    named(b, "pods", "billing-1")["status"]["podIP"] = "198.18.9.9"
    expect_on(NAME, b, FAIL, "pod billing-1 has IP 198.18.9.9")


def test_zero_replicas_is_the_scenarios_bug():
    expect_on(NAME, recorded("headless-statefulset", "reference"), ERROR, "the scenario asks for 0 pods",
              replicas=0)


def test_only_a_pod_that_is_not_ready_is_blamed_on_readiness():
    b = recorded("headless-statefulset", "reference")
    key = "dns:billing-1.billing-hl.drill-headless-statefulset-1.svc.cluster.local"
    for a in b["probes"][key]["attempts"]:
        a.update(outcome="nxdomain", detail=None, addresses=[])
    v = expect_on(NAME, b, FAIL, "billing-1.billing-hl.{namespace}.svc.cluster.local: nxdomain")
    assert "is not Ready" not in v.observed
    named(b, "pods", "billing-1")["status"]["conditions"] = [{"type": "Ready", "status": "False"}]
    expect_on(NAME, b, FAIL, "(pod billing-1 is not Ready; only Ready pods are published)")


def test_a_pod_without_an_ip_or_gone_is_named_and_the_hint_looks_up_the_first_name():
    # hand-made from the reference: billing-1 lost its IP, billing-2 is gone (the probes still answer)
    b = recorded("headless-statefulset", "reference")
    named(b, "pods", "billing-1")["status"].pop("podIP")
    b["objects"]["pods"].remove(named(b, "pods", "billing-2"))
    v = expect_on(NAME, b, FAIL, "but pod billing-1 has no IP", "but pod billing-2 has no IP")
    assert "billing-2 is not Ready" not in v.observed   # a missing pod is not blamed on readiness
    assert "nslookup billing-0.billing-hl.{}.svc.cluster.local from a pod".format(b["drill"]["namespace"]) in v.hint
