"""client.uses-service-dns: the client's URL names the Service by a DNS name that resolves to it
from the client's namespace, over plain HTTP, on the Service's port."""
import pytest

from drills.graders.registry import ERROR, FAIL, PASS
from tests.graders.kit import container, expect, expect_on, named, recorded, without

NAME = "client.uses-service-dns"


def with_target(value):
    b = recorded("dns-cross-namespace", "reference")
    (env,) = [e for e in container(named(b, "deployments", "reporter"))["env"] if e["name"] == "TARGET"]
    env["value"] = value
    return b


@pytest.mark.parametrize("label, fragments", [
    ("dns-cross-namespace/reference-PASSED", ["resolves to Service {svc_name} of namespace {namespace}, "
                                              "port {svc_port}"]),
    ("dns-cross-namespace/service-dot-namespace-PASSED", ["resolves to Service {svc_name}"]),
    ("dns-cross-namespace/patch-env-PASSED", ["resolves to Service {svc_name}"]),
    ("dns-cross-namespace/broken-FAILED", ["TARGET=http://{svc_name}:{svc_port}/", "from namespace "
                                           "{namespace}-client, billing means Service billing of namespace "
                                           "{namespace}-client, which does not exist"]),
])
def test_recorded_input(label, fragments):
    expect(NAME, label, *fragments)


@pytest.mark.parametrize("scheme", ["https", "ftp"])
def test_a_scheme_other_than_http_fails(scheme):
    b = with_target(f"{scheme}://billing.drill-dns-cross-namespace-1.svc.cluster.local:8000/")
    expect_on(NAME, b, FAIL, f"scheme {scheme}, but the Service serves plain HTTP")


def test_a_url_without_scheme_is_read_as_http():
    expect_on(NAME, with_target("billing.drill-dns-cross-namespace-1:8000"), PASS, "resolves to Service")


def test_the_wrong_port_fails():
    expect_on(NAME, with_target("http://billing.drill-dns-cross-namespace-1:9376/"), FAIL,
              "port 9376, but Service billing opens {svc_port}")


def test_the_cluster_ip_fails():
    b = recorded("dns-cross-namespace", "reference")
    ip = named(b, "services", "billing")["spec"]["clusterIP"]
    expect_on(NAME, with_target(f"http://{ip}:8000/"), FAIL, "uses the Service's ClusterIP")


def test_a_full_name_of_a_missing_service_fails():
    expect_on(NAME, with_target("http://nobody.drill-dns-cross-namespace-1.svc.cluster.local:8000/"), FAIL,
              "names Service nobody of namespace {namespace}, which does not exist")


def test_a_value_from_a_config_map_is_left_to_readiness():
    b = recorded("dns-cross-namespace", "reference")
    c = container(named(b, "deployments", "reporter"))
    c["env"] = [{"name": "TARGET", "valueFrom": {"configMapKeyRef": {"name": "urls", "key": "t"}}}]
    expect_on(NAME, b, PASS, "env TARGET from configMapKeyRef urls, which drills does not read")
    c["env"] = []
    expect_on(NAME, b, FAIL, "no env TARGET in its containers")


def test_without_services_it_cannot_decide():
    expect_on(NAME, without(recorded("dns-cross-namespace", "reference"), "services"), ERROR,
              "the evidence holds no services")


def test_a_name_that_resolves_to_another_service_says_which():
    b = with_target("http://billing:8000/")
    twin = dict(named(b, "services", "billing"))
    twin["metadata"] = {**twin["metadata"], "namespace": "drill-dns-cross-namespace-1-client"}
    b["objects"]["services"].append(twin)
    expect_on(NAME, b, FAIL, "it resolves to Service billing of namespace {namespace}-client")
