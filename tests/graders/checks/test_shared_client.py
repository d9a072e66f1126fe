"""graders/checks/_client.py: finding a client workload and reading the URL it is configured with."""
import pytest

from drills.evidence import Evidence
from drills.graders.checks._client import (Client, env_source, lookup_order, parse_target,
                                           require_client, service_for, service_name_parts)
from drills.graders.checks._common import LearnerFault, Undecidable
from drills.graders.registry import ERROR, FAIL
from tests.graders.kit import plan_for, recorded

CLIENT_NS = "drill-dns-cross-namespace-1-client"


def evidence(b):
    return Evidence(b, planned=plan_for(b).manifests)


def test_the_client_and_only_its_pods_are_found():
    b = recorded("dns-cross-namespace", "reference")
    client = require_client(evidence(b), "reporter", CLIENT_NS, "Deployment", "s", "e")
    assert client.title == f"Deployment reporter in namespace {CLIENT_NS}"
    assert client.pods and all(p["metadata"]["name"].startswith("reporter-") for p in client.pods)
    assert [p["metadata"]["name"] for p in client.pods] == sorted(p["metadata"]["name"] for p in client.pods)


def test_an_unknown_kind_cannot_decide():
    b = recorded("dns-cross-namespace", "reference")
    with pytest.raises(Undecidable) as caught:
        require_client(evidence(b), "reporter", CLIENT_NS, "CronJob", "s", "e")
    assert caught.value.verdict.status == ERROR and "kind CronJob" in caught.value.verdict.observed


def test_a_missing_client_is_the_learners_fault_and_an_uncollected_namespace_is_not():
    b = recorded("dns-cross-namespace", "reference")
    with pytest.raises(LearnerFault) as caught:
        require_client(evidence(b), "nobody", CLIENT_NS, "Deployment", "s", "e")
    assert caught.value.verdict.status == FAIL
    assert caught.value.verdict.observed == f"no Deployment nobody in namespace {CLIENT_NS}"
    assert caught.value.verdict.hint == f"kubectl -n {CLIENT_NS} get deployments"
    b["objects"]["deployments"] = [d for d in b["objects"]["deployments"] if d["metadata"]["namespace"] != CLIENT_NS]
    with pytest.raises(LearnerFault):   # the pods are still there: the namespace was read
        require_client(evidence(b), "reporter", CLIENT_NS, "Deployment", "s", "e")
    b["objects"]["pods"] = [p for p in b["objects"]["pods"] if p["metadata"]["namespace"] != CLIENT_NS]
    with pytest.raises(Undecidable):
        require_client(evidence(b), "reporter", CLIENT_NS, "Deployment", "s", "e")


def client_with(containers):
    live = {"spec": {"template": {"spec": {"containers": containers}}}}
    return Client("Deployment", "c", "ns", live, [])


def test_env_sources():
    assert env_source(client_with([{"env": [{"name": "T", "value": "http://x/"}]}]), "T") == ("http://x/", "env T")
    assert env_source(client_with([{"env": [{"name": "T", "value": None}]}]), "T") == ("", "env T")
    assert env_source(client_with([{"env": [{"name": "T", "valueFrom": {"secretKeyRef": {"name": "s"}}}]}]),
                      "T") == (None, "env T from secretKeyRef s")
    assert env_source(client_with([{"env": [{"name": "T", "valueFrom": {}}]}]), "T") == (None, "env T from valueFrom")
    assert env_source(client_with([{"envFrom": [{"configMapRef": {"name": "m"}}]}]), "T") == \
        (None, "envFrom [{'configMapRef': {'name': 'm'}}]")
    assert env_source(client_with([{"env": [{"name": "U", "value": "x"}]}, {"env": [{"name": "T", "value": "y"}]}]),
                      "T") == ("y", "env T")
    assert env_source(client_with([]), "T") == (None, "no env T")


@pytest.mark.parametrize("url, scheme, host, port", [
    ("http://Web.NS:8080/x", "http", "web.ns", 8080),
    ("web:81", "http", "web", 81),
    ("http://web/", "http", "web", 80),
    ("https://web/", "https", "web", 443),
    ("http://web:notaport/", "http", "web", 80),
    ("ftp://web/", "ftp", "web", None),
])
def test_parse_target(url, scheme, host, port):
    t = parse_target(url)
    assert (t.scheme, t.host, t.port) == (scheme, host, port)


def test_lookup_order_follows_the_pods_search_list():
    assert lookup_order("web", "a") == ["web.a.svc.cluster.local", "web.svc.cluster.local",
                                        "web.cluster.local", "web"]
    assert lookup_order("web.b.svc.cluster.local.", "a") == ["web.b.svc.cluster.local"]
    five = "a.b.c.d.e.f"
    assert lookup_order(five, "a")[0] == five
    four = "a.b.c.d.e"
    assert lookup_order(four, "a")[0] == f"{four}.a.svc.cluster.local"


def test_service_name_parts():
    assert service_name_parts("web.ns.svc.cluster.local") == ("web", "ns")
    assert service_name_parts("web.svc.cluster.local") is None
    assert service_name_parts("web.ns.x.svc.cluster.local") is None
    assert service_name_parts(".ns.svc.cluster.local") is None
    assert service_name_parts("web.ns.cluster.local") is None
    assert service_name_parts("web.ns.svc.cluster.locax") is None   # same length, another domain


def test_service_for_needs_the_service_in_that_namespace():
    b = recorded("dns-cross-namespace", "reference")
    ev = evidence(b)
    ns = b["drill"]["namespace"]
    assert service_for(f"billing.{ns}.svc.cluster.local", ev) == ("billing", ns)
    assert service_for(f"billing.{CLIENT_NS}.svc.cluster.local", ev) is None
    assert service_for(f"other.{ns}.svc.cluster.local", ev) is None
    assert service_for("billing", ev) is None   # not an in-cluster Service name at all
