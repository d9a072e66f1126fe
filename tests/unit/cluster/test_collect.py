"""Collecting evidence from recorded API objects and probes run through the batch script."""
from __future__ import annotations

import copy
import time

import pytest

from drills import probes as P
from drills.cluster import collect as C
from drills.cluster.api import ApiError, ExecFailed
from drills.cluster.objects import MANAGED_BY, MANAGER, PROBE_POD, probe_pod_body
from drills.errors import ClusterUnreachable
from drills.evidence import OBJECT_KINDS, Evidence, check_bundle
from drills.probes import ProbeSpec
from drills.render import CheckCall
from tests.unit.cluster.fakes import (REFUSED, TIMED_OUT, FakeKube, Session, ShimExec, kubelet,
                                      make_plan, ok, real)

NS = "drill-selector-mismatch-7"
PODS = ["web-8559b74f6d-4v956", "web-8559b74f6d-hn4hk"]
HTTP = ProbeSpec("http", "web:80/", tries=12)
CLUSTER_IP = ProbeSpec("http-cluster-ip", "web:80/", tries=12)


def seed(fake: FakeKube, case: str, ns: str = NS, probe: bool = True) -> None:
    data = real(case)
    # probes go only into namespaces that carry drills' label
    fake.create("namespaces", {"metadata": {"name": ns, "labels": {MANAGED_BY: MANAGER}}})
    for kind in ("services", "deployments", "pods", "endpointslices", "endpoints", "events"):
        for obj in data[kind]:
            if kind == "pods" and obj["metadata"]["name"] == "probe":
                continue
            fake.put(obj, ns)
    for node in data["nodes"]:
        fake.put(node)
    if probe:
        fake.apply(probe_pod_body("busybox:1.36", ns), ns)
        kubelet(fake)


@pytest.fixture
def world(tmp_path):
    fake = FakeKube()
    shim = ShimExec(tmp_path, {})
    fake.exec_fn = shim
    return fake, shim, Session(fake)


def collect(session, probes, plan=None, **kw):
    return C.collect_evidence(session, plan or make_plan(NS), probes, **kw)


def test_bundle_from_a_fixed_drill_is_complete_and_valid(world):
    fake, shim, session = world
    seed(fake, "selector-mismatch-fixed")
    shim.cycle = True
    shim.set({"http://web:80/": [ok(p) for p in PODS]})
    bundle = collect(session, [HTTP])
    check_bundle(bundle)
    assert bundle["context"] == "kind-drills"
    assert bundle["drill"] == make_plan(NS).identity()
    assert bundle["cluster"]["version"]["gitVersion"] == "v1.32.13"
    assert set(bundle["objects"]) == set(OBJECT_KINDS)
    assert bundle["errors"] == []
    ev = Evidence(bundle)
    assert ev.service("web")["spec"]["selector"] == {"app": "web"}
    assert {p["metadata"]["name"] for p in ev.pods()} == {PROBE_POD, *PODS}
    assert all(o["kind"] == "Pod" and o["apiVersion"] == "v1" for o in ev.pods())
    result = bundle["probes"][HTTP.key]
    assert result["error"] is None and result["unresolved"] is None
    assert result["namespace"] == NS
    assert len(result["attempts"]) == 12
    assert {a["answered_by"] for a in result["attempts"]} == set(PODS)
    assert result["attempts"][0]["command"] == "wget -q -O - -T 1 http://web:80/"
    # one exec for the whole batch
    assert [c for c in fake.calls if c[0] == "exec"] == [("exec", NS, PROBE_POD)]


def test_a_failing_list_leaves_its_kind_out_and_says_why(world):
    fake, shim, session = world
    seed(fake, "selector-mismatch-broken")
    fake.list_errors["endpointslices"] = ApiError(403, "Forbidden", "endpointslices is forbidden")
    bundle = collect(session, [], api_only=True)
    assert "endpointslices" not in bundle["objects"]
    assert "services" in bundle["objects"]
    assert bundle["errors"] == [{"source": "endpointslices", "namespace": NS,
                                 "message": "403 Forbidden: endpointslices is forbidden"}]
    assert not Evidence(bundle).collected("endpointslices")


def test_an_unreachable_api_is_an_error_not_an_empty_bundle(world):
    fake, _, session = world
    for kind in OBJECT_KINDS:
        fake.list_errors[kind] = ClusterUnreachable("context kind-drills: down")
    with pytest.raises(ClusterUnreachable):
        collect(session, [HTTP])


def test_api_only_runs_no_probe(world):
    fake, shim, session = world
    seed(fake, "selector-mismatch-fixed")
    bundle = collect(session, [HTTP], api_only=True)
    assert bundle["probes"] == {}
    assert not [c for c in fake.calls if c[0] == "exec"]


def test_probe_pod_not_running_is_an_error_for_its_probes(world):
    fake, shim, session = world
    seed(fake, "selector-mismatch-fixed")
    pod = fake.objects[("pods", NS, PROBE_POD)]
    pod["status"] = {"phase": "Pending", "containerStatuses": [{
        "name": "probe", "state": {"waiting": {"reason": "ImagePullBackOff"}}}]}
    bundle = collect(session, [HTTP])
    error = bundle["probes"][HTTP.key]["error"]
    assert error == f"the probe pod {NS}/{PROBE_POD} is Pending (ImagePullBackOff)"
    assert bundle["probes"][HTTP.key]["attempts"] == []


def test_a_deleted_probe_pod_is_recreated(world):
    fake, shim, session = world
    seed(fake, "selector-mismatch-fixed")
    del fake.objects[("pods", NS, PROBE_POD)]
    fake.controllers.append(kubelet)
    shim.cycle = True
    shim.set({"http://web:80/": [ok(p) for p in PODS]})
    bundle = collect(session, [HTTP])
    assert bundle["probes"][HTTP.key]["error"] is None
    assert ("apply", "Pod", NS, PROBE_POD) in fake.calls


def test_a_recreated_probe_pod_that_does_not_start_is_an_error(world, monkeypatch):
    fake, shim, session = world
    seed(fake, "selector-mismatch-fixed", probe=False)
    monkeypatch.setattr(C, "PROBE_POD_HEAL_S", 0.3)
    bundle = collect(session, [HTTP])
    assert "was missing; drills re-created it" in bundle["probes"][HTTP.key]["error"]


def test_exec_failure_is_an_error_never_an_exception(world):
    fake, shim, session = world
    seed(fake, "selector-mismatch-fixed")

    def broken(*_):
        raise ExecFailed("exec refused with HTTP 403 (check RBAC for pods/exec in context x)")
    fake.exec_fn = broken
    bundle = collect(session, [HTTP, ProbeSpec("dns", "web")])
    for key in (HTTP.key, "dns:web"):
        assert "exec refused with HTTP 403" in bundle["probes"][key]["error"]


def test_cluster_ip_probe_goes_to_the_services_cluster_ip(world):
    fake, shim, session = world
    seed(fake, "selector-mismatch-fixed")
    shim.cycle = True
    shim.set({"http://198.19.162.221:80/": [ok(p) for p in PODS]})
    result = collect(session, [CLUSTER_IP])["probes"][CLUSTER_IP.key]
    assert result["attempts"][0]["command"] == "wget -q -O - -T 1 http://198.19.162.221:80/"
    assert {a["outcome"] for a in result["attempts"]} == {P.OK}


@pytest.mark.parametrize("change,why", [
    (lambda svc: svc["spec"].update(clusterIP="None"), "Service web is headless (clusterIP: None)"),
    (lambda svc: svc["metadata"].update(name="other"), f"Service web does not exist in namespace {NS}"),
    (lambda svc: svc["spec"].update(type="ExternalName", clusterIP=None),
     "Service web is of type ExternalName and has no ClusterIP"),
])
def test_cluster_ip_probe_without_a_cluster_ip_is_unresolved(world, change, why):
    fake, shim, session = world
    seed(fake, "selector-mismatch-fixed")
    svc = fake.objects.pop(("services", NS, "web"))
    change(svc)
    fake.put(svc, NS)
    result = collect(session, [CLUSTER_IP])["probes"][CLUSTER_IP.key]
    assert result["unresolved"] == why
    assert result["error"] is None and result["attempts"] == []


def test_nodeport_probe_tries_every_node(world):
    fake, shim, session = world
    seed(fake, "missing-nodeport-fixed")
    second = copy.deepcopy(real("missing-nodeport-fixed")["nodes"][0])
    second["metadata"]["name"] = "harness-node-2"
    second["status"]["addresses"] = [{"address": "198.18.255.2", "type": "InternalIP"},
                                     {"address": "harness-node-2", "type": "Hostname"}]
    fake.put(second)
    pods = sorted(p["metadata"]["name"] for p in real("missing-nodeport-fixed")["pods"]
                  if p["metadata"]["name"] != "probe")
    shim.cycle = True
    shim.set({"http://198.18.255.1:30080/": [ok(p) for p in pods],
              "http://198.18.255.2:30080/": [ok(p) for p in pods]})
    spec = ProbeSpec("nodeport", "30080", tries=4)
    result = collect(session, [spec])["probes"][spec.key]
    by_node = {}
    for a in result["attempts"]:
        by_node.setdefault(a["node"], []).append(a["outcome"])
    assert by_node == {"harness-node": [P.OK] * 4, "harness-node-2": [P.OK] * 4}


def test_a_fix_that_lands_during_collection_is_seen(world):
    fake, shim, session = world
    seed(fake, "selector-mismatch-fixed")
    # kube-proxy lags behind the API: two refusals, then both pods answer
    shim.set({"http://web:80/": [REFUSED, REFUSED] + [ok(p) for p in PODS * 12]})
    started = time.monotonic()
    result = collect(session, [HTTP])["probes"][HTTP.key]
    assert time.monotonic() - started < 3
    assert {a["outcome"] for a in result["attempts"]} == {P.OK}
    assert len(result["attempts"]) == 12


def test_a_wrong_fix_fails_within_seconds(world):
    fake, shim, session = world
    seed(fake, "selector-mismatch-broken")
    shim.set({"http://web:80/": [REFUSED]})
    started = time.monotonic()
    result = collect(session, [HTTP])["probes"][HTTP.key]
    elapsed = time.monotonic() - started
    assert elapsed < 5
    assert elapsed >= C.RETRY_BUDGET_S - 0.1     # it did give the fix a chance
    assert [a["outcome"] for a in result["attempts"]] == [P.REFUSED, P.REFUSED]


def test_timeouts_are_bounded_by_the_retry_budget(world):
    fake, shim, session = world
    seed(fake, "selector-mismatch-broken")
    shim.set({"http://web:80/": [TIMED_OUT]})
    result = C.collect_evidence(session, make_plan(NS), [HTTP], retry_budget=0.5)
    assert {a["outcome"] for a in result["probes"][HTTP.key]["attempts"]} == {P.TIMEOUT}


def test_no_retry_when_the_caller_wants_the_state_as_it_is(world):
    fake, shim, session = world
    seed(fake, "selector-mismatch-broken")
    shim.set({"http://web:80/": [REFUSED]})
    collect(session, [HTTP], retry_budget=0)
    assert len([c for c in fake.calls if c[0] == "exec"]) == 1


def test_more_tries_until_every_ready_backend_answered(world):
    fake, shim, session = world
    seed(fake, "selector-mismatch-fixed")
    # an unlucky spread: the first 12 answers all come from one pod
    shim.set({"http://web:80/": [ok(PODS[0])] * 12 + [ok(PODS[1])]})
    result = collect(session, [HTTP])["probes"][HTTP.key]
    assert len(result["attempts"]) == 24
    assert {a["answered_by"] for a in result["attempts"]} == set(PODS)


def test_answers_that_are_not_pod_names_need_no_more_tries(world):
    fake, shim, session = world
    seed(fake, "selector-mismatch-fixed")
    shim.set({"http://web:80/": [ok("<html>hello</html>")]})
    result = collect(session, [HTTP])["probes"][HTTP.key]
    assert len(result["attempts"]) == 12


def test_probes_in_an_extra_namespace_use_its_probe_pod(world):
    fake, shim, session = world
    plan = make_plan(NS, extra={"client": f"{NS}-client"})
    seed(fake, "selector-mismatch-fixed")
    seed(fake, "selector-mismatch-fixed", ns=f"{NS}-client")
    shim.cycle = True
    shim.set({"http://web:80/": [ok(p) for p in PODS]})
    spec = ProbeSpec("http", "web:80/", tries=2, namespace="client")
    result = C.collect_evidence(session, plan, [spec, HTTP])["probes"]
    assert result[spec.key]["namespace"] == f"{NS}-client"
    assert result[spec.key]["error"] is None
    assert {c for c in fake.calls if c[0] == "exec"} == {("exec", NS, PROBE_POD),
                                                         ("exec", f"{NS}-client", PROBE_POD)}


def test_probe_namespace_outside_the_drill_is_an_error(world):
    fake, shim, session = world
    seed(fake, "selector-mismatch-fixed")
    spec = ProbeSpec("dns", "web", namespace="kube-system")
    assert "not one of the drill's namespaces" in collect(session, [spec])["probes"][spec.key]["error"]


def test_collected_bundle_is_judged_by_the_graders(world):
    """The contract with drills.graders: broken refused -> FAIL, fixed -> PASS."""
    from drills.graders.judge import judge, required_probes

    fake, shim, session = world
    plan = make_plan(NS, checks=[CheckCall("reach.http-all-backends", "reach",
                                           {"service": "web", "port": 80, "workload": "web"})])
    seed(fake, "selector-mismatch-broken")
    shim.set({"http://web:80/": [REFUSED]})
    probes = required_probes(plan)
    broken = C.collect_evidence(session, plan, probes, retry_budget=0)
    assert judge(plan, broken).by_name("reach").status == "FAIL"

    fake2 = FakeKube()
    fake2.exec_fn = shim
    seed(fake2, "selector-mismatch-fixed")
    shim.cycle = True
    shim.set({f"http://{probes[0].target}": [ok(p) for p in PODS]})
    fixed = C.collect_evidence(Session(fake2), plan, probes)
    assert judge(plan, fixed).by_name("reach").status == "PASS", judge(plan, fixed).to_dict()


def test_a_retry_reads_the_objects_again(world, monkeypatch):
    """Probes and objects describe one moment: when a failing probe is retried, the objects
    are read again too, so a fix that lands meanwhile is judged on its own objects."""
    fake, shim, session = world
    seed(fake, "selector-mismatch-broken")
    shim.set({"http://web:80/": [REFUSED] + [ok(p) for p in PODS * 12]})
    fixed_service = next(s for s in real("selector-mismatch-fixed")["services"]
                         if s["metadata"]["name"] == "web")
    pauses = []

    def fix_lands(seconds):
        pauses.append(seconds)
        fake.put(copy.deepcopy(fixed_service), NS)

    monkeypatch.setattr(C.time, "sleep", fix_lands)
    bundle = collect(session, [HTTP])
    assert pauses, "the failing probe was retried"
    (svc,) = [s for s in bundle["objects"]["services"] if s["metadata"]["name"] == "web"]
    assert svc["spec"]["selector"] == fixed_service["spec"]["selector"]
