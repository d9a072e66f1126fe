"""connect(): exactly the chosen context from the kubeconfig, and every way it can
fail mapped to a one-line error, quickly."""
from __future__ import annotations

import socket
import time

import pytest

from drills.cluster import connect
from drills.cluster.api import ApiError, KubeApi
from drills.errors import ClusterUnreachable, NoCluster
from tests.unit.cluster.apiserver import FakeApiServer, write_kubeconfig
from tests.unit.cluster.fakes import real

VERSION = real("selector-mismatch-broken")["version"]


@pytest.fixture
def server():
    srv = FakeApiServer()
    srv.routes[("GET", "/version")] = (200, VERSION)
    yield srv
    srv.close()


@pytest.fixture
def closed_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_connects_to_the_named_context_not_the_current_one(tmp_path, monkeypatch, server,
                                                           closed_port):
    kubeconfig = write_kubeconfig(tmp_path / "config", {
        "kind-drills": server.url, "prod": f"http://127.0.0.1:{closed_port}"}, current="prod")
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    session = connect("kind-drills", explicit=False)
    assert session.context == "kind-drills"
    assert session.kubeconfig == str(kubeconfig)
    assert session.version["gitVersion"] == "v1.32.13"
    assert server.requests[0]["path"] == "/version"
    assert server.requests[0]["headers"]["authorization"] == "Bearer s3cret"


def test_missing_default_context_says_drills_cluster_up(tmp_path, monkeypatch, server):
    kubeconfig = write_kubeconfig(tmp_path / "config", {"prod": server.url}, current="prod")
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    with pytest.raises(NoCluster) as caught:
        connect("kind-drills", explicit=False)
    assert caught.value.hint == "drills cluster up"
    assert "kind-drills" in caught.value.message
    assert server.requests == []          # the current context was never contacted


def test_missing_named_context_says_how_to_list_contexts(tmp_path, monkeypatch, server):
    monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "c", {"prod": server.url})))
    with pytest.raises(NoCluster) as caught:
        connect("staging", explicit=True)
    assert caught.value.hint == "kubectl config get-contexts"
    assert "--context or DRILLS_CONTEXT" in caught.value.message


def test_no_kubeconfig_at_all(tmp_path, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "absent"))
    with pytest.raises(NoCluster):
        connect("kind-drills", explicit=False)


def test_kubeconfig_list_is_merged_like_kubectl(tmp_path, monkeypatch, server, closed_port):
    first = write_kubeconfig(tmp_path / "a", {"prod": f"http://127.0.0.1:{closed_port}"})
    second = write_kubeconfig(tmp_path / "b", {"kind-drills": server.url})
    monkeypatch.setenv("KUBECONFIG", f"{first}:{tmp_path / 'missing'}:{second}")
    assert connect("kind-drills", explicit=False).version == VERSION


def test_broken_kubeconfig_is_a_clear_error(tmp_path, monkeypatch):
    bad = tmp_path / "config"
    bad.write_text("contexts: [unclosed")
    monkeypatch.setenv("KUBECONFIG", str(bad))
    with pytest.raises(NoCluster) as caught:
        connect("kind-drills", explicit=False)
    assert str(bad) in caught.value.message


def test_closed_port_is_unreachable_within_a_second(tmp_path, monkeypatch, closed_port):
    monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(
        tmp_path / "c", {"kind-drills": f"http://127.0.0.1:{closed_port}"})))
    started = time.monotonic()
    with pytest.raises(ClusterUnreachable) as caught:
        connect("kind-drills", explicit=False)
    assert time.monotonic() - started < 1
    assert caught.value.message == ("context kind-drills: the API server is not reachable "
                                    "(connection refused)")
    assert "drills cluster" in caught.value.hint


def test_a_server_that_never_answers_times_out_on_time(tmp_path, monkeypatch):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)                      # accepts connections, never answers
    try:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "c", {"lab": url})))
        started = time.monotonic()
        with pytest.raises(ClusterUnreachable) as caught:
            connect("lab", explicit=True, timeout=0.5)
        assert time.monotonic() - started < 2
        assert "timed out" in caught.value.message
        assert "kubectl --context lab cluster-info" in caught.value.hint
    finally:
        silent.close()


def test_tls_failure_is_unreachable(tmp_path, monkeypatch, server):
    https = server.url.replace("http://", "https://")
    monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "c", {"lab": https})))
    with pytest.raises(ClusterUnreachable) as caught:
        connect("lab", explicit=True, timeout=2)
    assert "context lab" in caught.value.message


@pytest.mark.parametrize("status", [401, 403])
def test_rejected_credentials_name_the_context(tmp_path, monkeypatch, server, status):
    server.routes[("GET", "/version")] = (status, {"kind": "Status", "reason": "Unauthorized",
                                                   "message": "Unauthorized", "code": status})
    monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "c", {"lab": server.url})))
    with pytest.raises(ClusterUnreachable) as caught:
        connect("lab", explicit=True)
    assert caught.value.hint == "check RBAC/credentials for context lab"


# --- the REST layer against the same local server -----------------------------------

@pytest.fixture
def api(tmp_path, monkeypatch, server):
    monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "c", {"lab": server.url})))
    session = connect("lab", explicit=True)
    assert isinstance(session.api, KubeApi)
    server.requests.clear()
    return session.api


def test_lists_add_kind_and_api_version_like_kubectl(api, server):
    raw = real("selector-mismatch-fixed")["endpointslices"]
    items = [{k: v for k, v in o.items() if k not in ("kind", "apiVersion")} for o in raw]
    server.routes[("GET", "/apis/discovery.k8s.io/v1/namespaces/ns1/endpointslices")] = (
        200, {"kind": "EndpointSliceList", "apiVersion": "discovery.k8s.io/v1", "items": items})
    assert api.list("endpointslices", "ns1") == raw
    server.routes[("GET", "/api/v1/namespaces")] = (200, {"items": []})
    api.list("namespaces", label_selector="app.kubernetes.io/managed-by=drills")
    assert server.requests[-1]["query"] == "labelSelector=app.kubernetes.io%2Fmanaged-by%3Ddrills"


def test_apply_is_a_server_side_apply_patch(api, server):
    path = "/apis/apps/v1/namespaces/ns1/deployments/web"
    server.routes[("PATCH", path)] = (200, {"kind": "Deployment"})
    body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}}
    api.apply(body, "ns1")
    request = server.requests[-1]
    assert request["method"] == "PATCH" and request["path"] == path
    assert request["query"] == "fieldManager=drills&force=true"
    assert request["headers"]["content-type"] == "application/apply-patch+yaml"
    assert request["body"] == body


def test_get_of_a_missing_object_is_none_and_other_errors_raise(api, server):
    assert api.get("namespaces", "nope") is None
    server.routes[("GET", "/api/v1/namespaces/secret")] = (403, {
        "kind": "Status", "reason": "Forbidden", "message": "namespaces \"secret\" is forbidden"})
    with pytest.raises(ApiError) as caught:
        api.get("namespaces", "secret")
    assert caught.value.status == 403 and caught.value.reason == "Forbidden"


def test_create_and_delete_namespace(api, server):
    server.routes[("POST", "/api/v1/namespaces")] = (201, {"metadata": {"name": "n"}})
    server.routes[("DELETE", "/api/v1/namespaces/n")] = (200, {"status": {"phase": "Terminating"}})
    api.create("namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}})
    assert api.delete("namespaces", "n") is True
    assert server.requests[-1]["body"]["propagationPolicy"] == "Background"
    assert api.delete("namespaces", "gone") is False
    server.routes[("DELETE", "/api/v1/namespaces/going")] = (409, {
        "kind": "Status", "reason": "Conflict", "code": 409,
        "message": 'Operation cannot be fulfilled on namespaces "going": The system is ensuring '
                   "all content is removed from this namespace."})
    assert api.delete("namespaces", "going") is True


def test_access_review(api, server):
    server.routes[("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")] = (
        201, {"status": {"allowed": False, "reason": "no RBAC policy matched"}})
    assert api.access_review("create", "pods", subresource="exec") == (False, "no RBAC policy matched")
    attrs = server.requests[-1]["body"]["spec"]["resourceAttributes"]
    assert attrs["verb"] == "create" and attrs["subresource"] == "exec"
