"""graders/checks/_common.py: the look-ups every check shares, on recorded evidence."""
import pytest

from drills.evidence import Evidence
from drills.graders.checks import _common as C
from tests.graders.kit import named, pods_of, plan_for, recorded, slices_of, terminating, without


def evidence(b):
    return Evidence(b, planned=plan_for(b).manifests)


@pytest.mark.parametrize("value, number", [(None, None), (True, None), (False, None), ("8080", 8080),
                                           (8080, 8080), ("http", None), (3.0, 3)])
def test_as_int(value, number):
    assert C.as_int(value) == number


def test_an_unknown_workload_kind_cannot_decide():
    ev = evidence(recorded("selector-mismatch", "reference"))
    with pytest.raises(C.Undecidable) as caught:
        C.require_workload(ev, "billing", "Job", "s", "e")
    assert "drills cannot read workloads of kind Job" in caught.value.verdict.observed


def test_demanded_replicas_come_from_the_argument_then_the_plan_then_the_live_spec():
    b = recorded("kube-proxy-node", "scale-deployment")       # the learner scaled 2 -> 4
    ev = evidence(b)
    wl = C.require_workload(ev, "billing", "Deployment", "s", "e")
    assert C.expected_replicas(ev, wl, 7) == 7
    assert C.expected_replicas(ev, wl, "7") == 7
    assert C.expected_replicas(ev, wl, None) == 2               # the plan, not the live 4


def test_a_daemonset_wants_one_pod_per_scheduled_node():
    b = recorded("kube-proxy-node", "reference")
    ds = named(b, "daemonsets", "kube-proxy")
    ds["metadata"]["namespace"] = b["drill"]["namespace"]
    ds["status"]["desiredNumberScheduled"] = 5
    ev = evidence(b)
    wl = C.require_workload(ev, "kube-proxy", "DaemonSet", "s", "e")
    assert C.expected_replicas(ev, wl, None) == 5


def test_the_latest_unhealthy_event_names_why_a_pod_is_not_ready():
    b = recorded("notready-pods", "broken")
    ev = evidence(b)
    pod = pods_of(b, "billing")[0]["metadata"]["name"]
    assert "Readiness probe failed" in C.unhealthy_reason(ev, pod)
    assert C.unhealthy_reason(ev, "nobody") is None
    events = [e for e in b["objects"]["events"] if (e.get("involvedObject") or {}).get("name") == pod
              and e.get("reason") == "Unhealthy"]
    newest = max(events, key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")
    newest["message"] = "the newest reason"
    assert C.unhealthy_reason(evidence(b), pod) == "the newest reason"


def test_endpoints_are_named_by_their_pod_or_by_address():
    pods = {"198.18.0.7": "web-1"}
    assert C._endpoint_names(["198.18.0.7"], {"kind": "Pod", "name": "web-0"}, pods) == ["web-0"]
    assert C._endpoint_names(["198.18.0.7"], None, pods) == ["web-1"]
    assert C._endpoint_names(["198.18.0.9"], {"kind": "Node", "name": "n"}, pods) == ["198.18.0.9"]
    assert C._endpoint_names(["198.18.0.9"], {"kind": "Pod"}, pods) == ["198.18.0.9"]


def test_slices_or_endpoints_that_were_not_collected_give_nothing():
    b = recorded("selector-mismatch", "reference")
    svc_port = named(b, "services", "billing")["spec"]["ports"][0]
    assert C.slice_endpoints(evidence(without(b, "endpointslices")), "billing", svc_port) is None
    assert C.endpoints_object(evidence(without(b, "endpoints")), "billing", svc_port) is None
    from_slices = C.slice_endpoints(evidence(b), "billing", svc_port)
    from_endpoints = C.endpoints_object(evidence(b), "billing", svc_port)
    assert from_slices.ready == from_endpoints.ready == {p["metadata"]["name"] for p in pods_of(b, "billing")}
    assert from_slices.source == "EndpointSlice" and from_endpoints.source == "Endpoints"


def test_a_slice_endpoint_without_target_ref_is_named_by_its_pods_ip():
    b = recorded("selector-mismatch", "reference")
    (sl,) = slices_of(b, "billing")
    for ep in sl["endpoints"]:
        ep.pop("targetRef")
    svc_port = named(b, "services", "billing")["spec"]["ports"][0]
    assert C.slice_endpoints(evidence(b), "billing", svc_port).ready == \
        {p["metadata"]["name"] for p in pods_of(b, "billing")}


def test_a_terminating_pod_is_neither_ready_nor_running_nor_listed():
    """Each guard on its own: pod_ready/pod_running refuse a terminating pod, and
    Evidence.pods leaves it out unless asked for."""
    from drills.evidence import pod_ready, pod_running
    b = recorded("selector-mismatch", "reference")
    pod = pods_of(b, "billing")[0]
    assert pod_ready(pod) and pod_running(pod)
    terminating(pod)
    assert not pod_ready(pod) and not pod_running(pod)
    ev = evidence(b)
    assert pod not in ev.pods() and pod in ev.pods(include_terminating=True)


def test_an_endpoints_subset_for_another_port_name_does_not_count():
    b = recorded("selector-mismatch", "reference")
    svc_port = dict(named(b, "services", "billing")["spec"]["ports"][0], name="http")
    found = C.endpoints_object(evidence(b), "billing", svc_port)
    assert found.ready == set() and found.numbers == set()


def test_a_workload_without_replicas_anywhere_wants_one_pod():
    b = recorded("selector-mismatch", "reference")
    plan = plan_for(b)
    manifests = [dict(o, spec={k: v for k, v in o["spec"].items() if k != "replicas"})
                 if o["kind"] == "Deployment" else o for o in plan.manifests]
    named(b, "deployments", "billing")["spec"].pop("replicas")
    ev = Evidence(b, planned=manifests)
    wl = C.require_workload(ev, "billing", "Deployment", "s", "e")
    assert C.expected_replicas(ev, wl, None) == 1
