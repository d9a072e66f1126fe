"""drills doctor: one item per precondition, never an exception."""
from __future__ import annotations

import pytest

from drills.cluster import doctor as D
from tests.unit.cluster.apiserver import FakeApiServer, write_kubeconfig
from tests.unit.cluster.fakes import real

NAMES = ["docker", "kind", "kubectl", "context", "api", "rbac", "image", "kube-proxy"]
SSAR = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"


@pytest.fixture
def server():
    srv = FakeApiServer()
    data = real("selector-mismatch-broken")
    srv.routes[("GET", "/version")] = (200, data["version"])
    srv.routes[("GET", "/api/v1/nodes")] = (200, {"items": data["nodes"]})
    srv.routes[("POST", SSAR)] = (201, {"status": {"allowed": True}})
    srv.routes[("GET", "/apis/apps/v1/namespaces/kube-system/daemonsets")] = (200, {"items": [
        {"metadata": {"name": "kube-proxy"},
         "status": {"desiredNumberScheduled": 1, "numberReady": 1}}]})
    yield srv
    srv.close()


def by_name(items):
    return {i["name"]: i for i in items}


def test_a_missing_default_context_is_reported_not_raised(tmp_path, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "none"))
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no.sock")
    monkeypatch.setenv("PATH", str(tmp_path))
    items = D.doctor("kind-drills", explicit=False)
    assert [i["name"] for i in items] == NAMES
    got = by_name(items)
    assert got["docker"]["ok"] is False and "Docker" in got["docker"]["fix"]
    assert got["kind"]["ok"] is False and "drills cluster up" in got["kind"]["fix"]
    assert got["kubectl"]["ok"] is False and "kubernetes.io" in got["kubectl"]["fix"]
    assert got["context"] == {"name": "context", "ok": False,
                              "detail": "kind-drills is not in the kubeconfig",
                              "fix": "drills cluster up"}
    assert got["api"]["ok"] is None and got["rbac"]["ok"] is None
    assert all(set(i) == {"name", "ok", "detail", "fix"} for i in items)


def test_a_healthy_named_cluster(tmp_path, monkeypatch, server):
    monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "c", {"lab": server.url})))
    got = by_name(D.doctor("lab", explicit=True))
    assert got["docker"]["ok"] is None and got["kind"]["ok"] is None   # not a kind context
    assert got["context"]["ok"] is True
    assert got["api"] == {"name": "api", "ok": True, "detail": "Kubernetes v1.32.13 answers",
                          "fix": ""}
    assert got["rbac"]["ok"] is True
    assert got["image"]["ok"] is True                                   # recorded node images
    assert got["kube-proxy"]["ok"] is True


def test_missing_permissions_are_named(tmp_path, monkeypatch, server):
    monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "c", {"lab": server.url})))
    server.routes[("POST", SSAR)] = (201, {"status": {"allowed": False}})
    rbac = by_name(D.doctor("lab", explicit=True))["rbac"]
    assert rbac["ok"] is False
    assert "create pods/exec" in rbac["detail"] and "list endpointslices" in rbac["detail"]
    assert "drills cluster up" in rbac["fix"]


def test_unreachable_api_skips_what_needs_it(tmp_path, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "c", {
        "lab": "http://127.0.0.1:9"})))
    got = by_name(D.doctor("lab", explicit=True))
    assert got["api"]["ok"] is False and "kubectl --context lab cluster-info" in got["api"]["fix"]
    assert got["rbac"]["ok"] is None and got["kube-proxy"]["ok"] is None


def test_no_kube_proxy(tmp_path, monkeypatch, server):
    server.routes[("GET", "/apis/apps/v1/namespaces/kube-system/daemonsets")] = (200, {"items": []})
    monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "c", {"lab": server.url})))
    proxy = by_name(D.doctor("lab", explicit=True))["kube-proxy"]
    assert proxy["ok"] is False and "kube-proxy" in proxy["fix"]


def test_a_check_that_breaks_becomes_a_failed_item(tmp_path, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "none"))

    def boom(state):
        raise RuntimeError("unexpected")
    monkeypatch.setattr(D, "check_kubectl", boom)
    got = by_name(D.doctor("lab", explicit=True))
    assert got["kubectl"]["ok"] is False and "unexpected" in got["kubectl"]["detail"]


@pytest.mark.parametrize("ref,normal", [
    ("busybox:1.36", "docker.io/library/busybox:1.36"),
    ("busybox", "docker.io/library/busybox:latest"),
    ("me/busybox:1", "docker.io/me/busybox:1"),
    ("registry.local:5000/busybox:1.36", "registry.local:5000/busybox:1.36"),
])
def test_image_names_are_compared_as_runtimes_list_them(ref, normal):
    assert D.normalize_image(ref) == normal


def test_the_package_level_name_is_callable_too(tmp_path, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "none"))
    from drills.cluster import doctor
    assert [i["name"] for i in doctor("lab", True)] == NAMES
