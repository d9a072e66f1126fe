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


def test_a_workload_the_plan_does_not_deploy_wants_its_live_replicas():
    b = recorded("kube-proxy-node", "scale-deployment")       # live 4, planned 2
    ev = Evidence(b, planned=[])   # hand-made: a plan that leaves the Deployment out
    wl = C.require_workload(ev, "billing", "Deployment", "s", "e")
    assert C.expected_replicas(ev, wl, None) == 4


def test_a_daemonset_without_a_scheduled_count_wants_no_pod():
    # hand-made: a DaemonSet whose controller has not written status yet
    b = recorded("kube-proxy-node", "reference")
    ds = named(b, "daemonsets", "kube-proxy")
    ds["metadata"]["namespace"] = b["drill"]["namespace"]
    ds["status"].pop("desiredNumberScheduled")
    ev = evidence(b)
    assert C.expected_replicas(ev, C.require_workload(ev, "kube-proxy", "DaemonSet", "s", "e"), None) == 0


def test_a_pod_belongs_to_a_statefulset_by_kind_and_name_both():
    b = recorded("selector-mismatch", "reference")
    pod = pods_of(b, "billing")[0]   # hand-made owner references below
    wl = C.Workload("StatefulSet", "billing", {}, {}, {})
    for refs, owned in [([{"kind": "StatefulSet", "name": "billing"}], True),
                        ([{"kind": "StatefulSet", "name": "other"}], False),
                        ([{"kind": "ReplicaSet", "name": "billing"}], False)]:
        pod["metadata"]["ownerReferences"] = refs
        assert C.owned_by(pod, wl) is owned, refs


def test_the_latest_of_several_unhealthy_events_wins():
    # hand-made: an older Unhealthy event for the same pod listed first
    b = recorded("notready-pods", "broken")
    pod = pods_of(b, "billing")[0]["metadata"]["name"]
    event = next(e for e in b["objects"]["events"] if e.get("reason") == "Unhealthy"
                 and e["involvedObject"]["name"] == pod)
    older = dict(event, message="an older reason", lastTimestamp="2026-12-01T19:00:00Z")
    b["objects"]["events"].insert(0, older)
    assert C.unhealthy_reason(evidence(b), pod) == event["message"]


def test_a_terminating_pods_ip_still_names_its_endpoint():
    # hand-made: endpoints without targetRef whose pod is being deleted
    b = recorded("selector-mismatch", "reference")
    pod = terminating(pods_of(b, "billing")[0])
    (sl,) = slices_of(b, "billing")
    for ep in sl["endpoints"]:
        ep.pop("targetRef")
    for subset in named(b, "endpoints", "billing")["subsets"]:
        for address in subset.get("addresses") or []:
            address.pop("targetRef", None)
    svc_port = named(b, "services", "billing")["spec"]["ports"][0]
    ev = evidence(b)
    assert pod["metadata"]["name"] in C.slice_endpoints(ev, "billing", svc_port).ready
    assert pod["metadata"]["name"] in C.endpoints_object(ev, "billing", svc_port).ready


def test_slices_that_do_not_name_the_service_give_nothing_and_a_portless_entry_no_number():
    b = recorded("selector-mismatch", "reference")
    svc_port = named(b, "services", "billing")["spec"]["ports"][0]
    assert C.slice_endpoints(evidence(b), "nobody", svc_port) is None
    (sl,) = slices_of(b, "billing")
    sl["ports"].append(dict(sl["ports"][0], port=None))   # hand-made: a port without a number
    assert None not in C.slice_endpoints(evidence(b), "billing", svc_port).numbers


def test_the_traffic_hint_follows_the_failure():
    ev = evidence(recorded("selector-mismatch", "reference"))
    assert "get endpointslices -l kubernetes.io/service-name=billing" in C.traffic_hint(ev, "billing", "refused")
    assert C.traffic_hint(ev, "billing", None) == f"kubectl -n {ev.namespace} describe svc billing"
    assert C.first_failure([{"outcome": "ok"}]) is None
    assert C.first_failure([{"outcome": "ok"}, {"outcome": "refused"}]) == "refused"
