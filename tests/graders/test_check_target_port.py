"""service.target-port-resolves: by number or by name, with protocol."""
from drills.graders.registry import FAIL, PASS
from tests.graders.kit import bundle, container, deployment, run, service

ARGS = dict(service="web", workload="web", listen_port=8080)


def check(b):
    return run("service.target-port-resolves", b, **ARGS)


def test_number_and_name_both_resolve():
    assert check(bundle("wrong-targetport", "reference")).status == PASS
    v = check(bundle("wrong-targetport", "named-target-port"))
    assert v.status == PASS and "80 -> http" in v.observed


def test_wrong_number_and_unknown_name_fail_with_the_declared_ports():
    v = check(bundle("wrong-targetport", "broken-numeric"))
    assert v.status == FAIL and "targetPort 8081" in v.observed and "http=8080/TCP" in v.observed
    v = check(bundle("wrong-targetport", "broken-named"))
    assert v.status == FAIL and "'web-http'" in v.observed


def test_target_equal_to_the_service_port_fails():
    v = check(bundle("wrong-targetport", "target-port-equals-port"))
    assert v.status == FAIL and "targetPort 80, but the pods listen on 8080" in v.observed


def test_omitted_target_port_defaults_to_the_port():
    b = bundle("wrong-targetport", "reference")
    del service(b)["spec"]["ports"][0]["targetPort"]
    assert check(b).status == FAIL


def test_a_name_that_resolves_to_another_number_fails():
    b = bundle("wrong-targetport", "named-target-port")
    for pod in b["objects"]["pods"]:
        for p in pod["spec"]["containers"][0].get("ports", []):
            p["containerPort"] = 9000
    v = check(b)
    assert v.status == FAIL and "= 9000" in v.observed


def test_protocol_must_match():
    b = bundle("wrong-targetport", "named-target-port")
    service(b)["spec"]["ports"][0]["protocol"] = "UDP"
    assert check(b).status == FAIL


def test_without_pods_the_template_decides():
    b = bundle("wrong-targetport", "named-target-port")
    b["objects"]["pods"] = []
    assert check(b).status == PASS
    container(deployment(b))["ports"][0]["name"] = "web"
    assert check(b).status == FAIL
