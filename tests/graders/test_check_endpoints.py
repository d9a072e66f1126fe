"""endpoints.ready-per-port: EndpointSlices per port, Endpoints only as fallback."""
import copy

from drills.graders.registry import ERROR, FAIL, PASS
from tests.graders.kit import bundle, run, service, without

ARGS = dict(service="web", workload="web")


def check(b):
    return run("endpoints.ready-per-port", b, **ARGS)


def test_ready_endpoints_pass_and_terminating_ones_are_ignored():
    v = check(bundle("notready-pods", "reference"))   # old pods: ready=false, terminating=true
    assert v.status == PASS and "2 ready endpoints" in v.observed and "-> 8080" in v.observed


def test_ports_null_means_no_usable_port():
    v = check(bundle("wrong-targetport", "broken-named"))
    assert v.status == FAIL
    assert "lists pods but no port" in v.observed and "web-http" in v.observed
    assert "get endpointslices -l kubernetes.io/service-name=web" in v.hint


def test_numeric_wrong_target_still_has_ready_endpoints():
    # the real cluster publishes port 8081 with ready endpoints: that is targetPort's check to catch
    assert check(bundle("wrong-targetport", "broken-numeric")).status == PASS


def test_not_ready_and_unlisted_pods_are_named():
    v = check(bundle("notready-pods", "broken"))
    assert v.status == FAIL and "listed but not ready" in v.observed
    v = check(bundle("selector-mismatch", "broken"))
    assert v.status == FAIL and "no endpoints at all (selector app=webb)" in v.observed
    v = check(bundle("selector-mismatch", "relabel-pods"))
    assert v.status == FAIL and "not listed" in v.observed


def test_endpoints_object_is_the_fallback_without_slices():
    assert check(without(bundle("selector-mismatch", "reference"), "endpointslices")).status == PASS
    v = check(without(bundle("wrong-targetport", "broken-named"), "endpointslices"))
    assert v.status == FAIL   # Endpoints without subsets


def test_each_port_is_judged_on_its_own():
    b = bundle("selector-mismatch", "reference")
    svc = service(b)
    svc["spec"]["ports"] = [dict(svc["spec"]["ports"][0], name="http"),
                            {"name": "metrics", "port": 9090, "protocol": "TCP", "targetPort": 9090}]
    sl = b["objects"]["endpointslices"][0]
    sl["ports"] = [{"name": "http", "port": 8080, "protocol": "TCP"}]   # metrics resolves nowhere
    v = check(b)
    assert v.status == FAIL and "port 9090/TCP (metrics)" in v.observed
    assert "port 80/TCP (http)" not in v.observed


def test_no_slices_nor_endpoints_cannot_decide():
    b = without(bundle("selector-mismatch", "reference"), "endpointslices", "endpoints")
    assert check(b).status == ERROR


def test_slices_for_another_service_do_not_count():
    b = bundle("selector-mismatch", "reference")
    other = copy.deepcopy(b["objects"]["endpointslices"][0])
    b["objects"]["endpointslices"][0]["metadata"]["labels"]["kubernetes.io/service-name"] = "web2"
    b["objects"]["endpoints"] = []
    v = check(b)
    assert v.status == FAIL and "no EndpointSlice or Endpoints" in v.observed
    assert other  # untouched copy
