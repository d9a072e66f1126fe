"""endpoints.ready-per-port: every Running pod of the workload is a ready endpoint on every Service
port (EndpointSlices; the Endpoints object as fallback), and no other pod is."""
import copy

import pytest

from drills.graders.registry import ERROR, FAIL, PASS
from tests.graders.kit import (expect, expect_on, named, pods_of, recorded, slices_of, terminating,
                               without)

NAME = "endpoints.ready-per-port"


@pytest.mark.parametrize("label, fragments", [
    ("selector-mismatch/reference-PASSED", ["3 ready endpoints", "on port {svc_port}/TCP -> {container_port}"]),
    ("notready-pods/seed3-reference-PASSED", ["ready endpoint", "-> {container_port}"]),
    ("wrong-targetport/broken-FAILED", ["lists pods but no port: targetPort billing-app resolves to no port"]),
    ("notready-pods/broken-FAILED", ["listed but not ready"]),
    ("selector-mismatch/broken-FAILED", ["no endpoints at all (selector service=iblling)"]),
    ("selector-mismatch/legacy-pods-FAILED", ["not listed (ready: billing-legacy-"]),
    ("expose-deployment/broken-FAILED", ["no Service billing-svc in namespace {namespace}"]),
])
def test_recorded_input(label, fragments):
    expect(NAME, label, *fragments)


def test_the_numeric_wrong_target_still_has_ready_endpoints():
    # the cluster publishes the wrong number with ready endpoints: that is targetPort's check to catch
    expect(NAME, "wrong-targetport/seed3-broken-PASSED", "ready endpoint")


def test_a_ready_endpoint_of_another_workload_fails():
    b = recorded("selector-mismatch", "reference")
    (legacy,) = pods_of(b, "billing-legacy")
    (sl,) = slices_of(b, "billing")
    extra = copy.deepcopy(sl["endpoints"][0])
    extra.update(addresses=[legacy["status"]["podIP"]],
                 targetRef={**extra["targetRef"], "name": legacy["metadata"]["name"],
                            "uid": legacy["metadata"]["uid"]})
    sl["endpoints"].append(extra)
    expect_on(NAME, b, FAIL, f"ready endpoints {legacy['metadata']['name']} are not pods of the workload")


def test_a_terminating_endpoint_is_not_ready_even_without_a_ready_condition():
    # hand-made: a slice endpoint being drained (terminating, serving, ready left unset)
    b = recorded("selector-mismatch", "reference")
    (sl,) = slices_of(b, "billing")
    gone = sl["endpoints"][0]
    gone["conditions"] = {"serving": True, "terminating": True}
    expect_on(NAME, b, FAIL, f"{gone['targetRef']['name']} listed but not ready")


def test_the_endpoints_object_is_the_fallback_without_slices():
    expect_on(NAME, without(recorded("selector-mismatch", "reference"), "endpointslices"), PASS,
              "3 ready endpoints")
    expect_on(NAME, without(recorded("selector-mismatch", "broken"), "endpointslices"), FAIL,
              "no endpoints at all")


def test_each_port_is_judged_on_its_own():
    b = recorded("selector-mismatch", "reference")
    svc = named(b, "services", "billing")
    svc["spec"]["ports"] = [dict(svc["spec"]["ports"][0], name="http"),
                            {"name": "metrics", "port": 9090, "protocol": "TCP", "targetPort": 9090}]
    (sl,) = slices_of(b, "billing")
    sl["ports"] = [dict(sl["ports"][0], name="http")]
    v = expect_on(NAME, b, FAIL, "port 9090/TCP (metrics)")
    assert "port 3000/TCP (http)" not in v.observed


def test_neither_slices_nor_endpoints_cannot_decide():
    expect_on(NAME, without(recorded("selector-mismatch", "reference"), "endpointslices", "endpoints"),
              ERROR, "the evidence holds no EndpointSlices nor Endpoints")


def test_slices_of_another_service_do_not_count():
    b = recorded("selector-mismatch", "reference")
    slices_of(b, "billing")[0]["metadata"]["labels"]["kubernetes.io/service-name"] = "billing2"
    b["objects"]["endpoints"] = []
    expect_on(NAME, b, FAIL, "no EndpointSlice or Endpoints for the Service")


def test_a_terminating_pod_is_not_wanted():
    b = recorded("selector-mismatch", "reference")
    terminating(pods_of(b, "billing")[0])
    expect_on(NAME, b, PASS, "2 ready endpoints")


def test_no_running_pod_fails_before_any_port_is_judged():
    # hand-made: every pod of the workload gone (scaled to zero)
    b = recorded("selector-mismatch", "reference")
    b["objects"]["pods"] = [p for p in b["objects"]["pods"] if p not in pods_of(b, "billing")]
    expect_on(NAME, b, FAIL, "no pod of Deployment billing is Running, so none can be an endpoint")


def test_a_service_without_ports_fails():
    # hand-made: a Service with no ports (the API allows it for a headless Service)
    b = recorded("selector-mismatch", "reference")
    named(b, "services", "billing")["spec"]["ports"] = []
    expect_on(NAME, b, FAIL, "the Service has no ports")


def test_missing_slices_say_whether_the_service_has_a_selector():
    b = recorded("selector-mismatch", "reference")
    slices_of(b, "billing")[0]["metadata"]["labels"]["kubernetes.io/service-name"] = "billing2"
    b["objects"]["endpoints"] = []
    v = expect_on(NAME, b, FAIL, "no EndpointSlice or Endpoints for the Service")
    assert "no selector" not in v.observed
    named(b, "services", "billing")["spec"].pop("selector")
    expect_on(NAME, b, FAIL, "no EndpointSlice or Endpoints for the Service (it has no selector)")
