"""dns.resolves: a name resolves to a Service's ClusterIP, the Ready pod IPs, or a CNAME."""
import pytest

from drills.graders.registry import ERROR, FAIL
from tests.graders.kit import expect, expect_on, named, recorded

NAME = "dns.resolves"


@pytest.mark.parametrize("label, fragments", [
    ("dns-cross-namespace/reference-PASSED", ["DNS name {svc_name}.{namespace}.svc.cluster.local",
                                              "the ClusterIP of Service {svc_name}"]),
    ("externalname-alias/reference-PASSED", ["a CNAME to {ext_host}", "CNAME {ext_host}"]),
    ("headless-statefulset/reference-PASSED", ["the IPs of the Ready pods of StatefulSet {app}"]),
    ("externalname-alias/broken-FAILED", ["a CNAME to {ext_host}", "CNAMEs"]),
    ("externalname-alias/alias-under-other-name-FAILED", ["no answer: {svc_name}.{namespace}.svc.cluster.local: NXDOMAIN"]),
    ("headless-statefulset/broken-FAILED", ["no answer"]),
    ("headless-statefulset/expose-one-pod-FAILED", ["Ready pod IPs are"]),
    ("externalname-alias/infra-error-ERROR", ["the probe could not run"]),
])
def test_recorded_input(label, fragments):
    expect(NAME, label, *fragments)


def test_an_address_other_than_the_cluster_ip_fails():
    b = recorded("dns-cross-namespace", "reference")
    named(b, "services", "billing")["spec"]["clusterIPs"] = ["198.19.0.99"]
    expect_on(NAME, b, FAIL, "the ClusterIP is 198.19.0.99")


def test_an_unknown_expectation_is_the_scenarios_bug():
    expect_on(NAME, recorded("dns-cross-namespace", "reference"), ERROR, "the scenario asks for 'srv'",
              expect="srv")


def test_a_headless_service_gives_no_cluster_ip_to_resolve_to():
    b = recorded("dns-cross-namespace", "reference")
    spec = named(b, "services", "billing")["spec"]
    spec["clusterIP"], spec["clusterIPs"] = "None", ["None"]
    expect_on(NAME, b, FAIL, "Service billing is headless (clusterIP None); the name gives pod IPs")


def test_the_namespace_looked_up_from_is_named():
    b = recorded("dns-cross-namespace", "reference")
    (key,) = [k for k in b["probes"] if k.startswith("dns:")]
    for a in b["probes"][key]["attempts"]:
        a.update(outcome="nxdomain", detail="NXDOMAIN", addresses=[])
    v = expect_on(NAME, b, FAIL, "no answer (looked up from namespace {namespace}-client): NXDOMAIN")
    assert "nslookup" in v.hint


def test_pod_ips_must_be_exactly_the_ready_pods():
    b = recorded("headless-statefulset", "reference")
    named(b, "pods", "billing-2")["status"]["conditions"] = [{"type": "Ready", "status": "False"}]
    expect_on(NAME, b, FAIL, "Ready pod IPs are")


def test_without_a_service_argument_the_name_says_which_service():
    b = recorded("dns-cross-namespace", "reference")
    expect_on(NAME, b, "PASS", "the ClusterIP of Service billing.{namespace}.svc.cluster.local", service=None)


def test_an_answerless_attempt_without_detail_is_named_by_its_outcome():
    # hand-made from the recording: the collector kept no detail for the failed lookup
    b = recorded("externalname-alias", "alias-under-other-name")
    b["probes"]["dns:billing-db"]["attempts"][-1]["detail"] = None
    expect_on(NAME, b, FAIL, "no answer: unknown-host")


def test_a_ready_pod_without_an_ip_is_no_expected_address():
    # hand-made: billing-2 reports Ready but no podIP; the name still answers its old IP
    b = recorded("headless-statefulset", "reference")
    gone = named(b, "pods", "billing-2")["status"].pop("podIP")
    v = expect_on(NAME, b, FAIL, "Ready pod IPs are")
    assert gone not in v.observed.split("Ready pod IPs are", 1)[1]
