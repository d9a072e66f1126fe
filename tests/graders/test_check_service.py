"""service.exists and service.node-port on real-cluster shapes."""
from drills.graders.registry import ERROR, FAIL, PASS
from tests.graders.kit import bundle, run, service, without


def test_exists_passes_on_the_recorded_service():
    v = run("service.exists", bundle("selector-mismatch", "reference"), service="web", port=80)
    assert v.status == PASS and "ClusterIP, ports 80/TCP" in v.observed


def test_a_missing_service_is_the_learners_fault():
    v = run("service.exists", bundle("wrong-targetport", "service-deleted"), service="web", port=80)
    assert v.status == FAIL
    assert "no Service web in namespace fx-targetport" in v.observed and "get svc" in v.hint


def test_wrong_type_and_wrong_port_fail_with_what_was_seen():
    b = bundle("missing-nodeport", "broken")
    v = run("service.exists", b, service="web", type="NodePort", port=80)
    assert v.status == FAIL and v.observed.startswith("type ClusterIP")
    v = run("service.exists", bundle("wrong-targetport", "port-instead-of-target-port"),
            service="web", port=80)
    assert v.status == FAIL and "8080/TCP" in v.observed


def test_port_demand_checks_the_protocol_and_accepts_a_string_number():
    b = bundle("selector-mismatch", "reference")
    assert run("service.exists", b, service="web", port="80").status == PASS
    service(b)["spec"]["ports"][0]["protocol"] = "UDP"
    assert run("service.exists", b, service="web", port=80).status == FAIL


def test_uncollected_services_cannot_decide():
    b = without(bundle("selector-mismatch", "reference"), "services")
    assert run("service.exists", b, service="web").status == ERROR


def test_node_port_passes_only_on_the_demanded_port_of_a_nodeport_service():
    assert run("service.node-port", bundle("missing-nodeport", "reference"),
               service="web", node_port=30080).status == PASS
    v = run("service.node-port", bundle("missing-nodeport", "random-node-port"),
            service="web", node_port=30080)
    assert v.status == FAIL and "31847" in v.observed
    v = run("service.node-port", bundle("missing-nodeport", "broken"), service="web", node_port=30080)
    assert v.status == FAIL and "ClusterIP" in v.observed and "kubectl -n fx-nodeport get svc web" in v.hint


def test_node_port_outside_the_range_is_a_scenario_bug_not_a_fail():
    v = run("service.node-port", bundle("missing-nodeport", "reference"), service="web", node_port=40000)
    assert v.status == ERROR
