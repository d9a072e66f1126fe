"""drills doctor, items it could not check: each says what could not be checked,
why (in words, never a Python class name) and the fix, in the terminal too."""
from __future__ import annotations

import builtins
import re

import pytest

from drills import ui
from drills.cli import main
from drills.cluster import doctor as D
from drills.cluster.api import ApiError
from tests.unit.cluster.apiserver import FakeApiServer, write_kubeconfig
from tests.unit.test_golden import assert_golden

SSAR = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
# Python's exception class names, and drills' and its libraries' (Kubernetes' own reasons,
# such as InternalError, are what the API said and may be shown)
PYTHON_EXCEPTIONS = sorted({n for n, v in vars(builtins).items()
                            if isinstance(v, type) and issubclass(v, BaseException)}
                           | {"ApiError", "APIError", "DockerException", "TimeoutExpired", "ExecFailed"})
CLASS_NAME = re.compile(r"\b(" + "|".join(PYTHON_EXCEPTIONS) + r")\b")


def status(code: int, reason: str, message: str) -> tuple[int, dict]:
    return code, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": code,
                  "reason": reason, "message": message}


@pytest.fixture
def refusing(tmp_path, monkeypatch):
    """An API server that answers /version but refuses or fails what doctor asks next."""
    srv = FakeApiServer()
    srv.routes[("GET", "/version")] = (200, {"major": "1", "minor": "32", "gitVersion": "v1.32.13"})
    srv.routes[("POST", SSAR)] = status(403, "Forbidden", 'selfsubjectaccessreviews.authorization.k8s.io '
                                        'is forbidden: User "learner-7" cannot create resource')
    srv.routes[("GET", "/api/v1/nodes")] = status(403, "Forbidden", 'nodes is forbidden: User '
                                                  '"learner-7" cannot list resource "nodes"')
    srv.routes[("GET", "/apis/apps/v1/namespaces/kube-system/daemonsets")] = status(
        500, "InternalError", "etcdserver: request timed out")
    monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "c", {"lab": srv.url})))
    monkeypatch.setenv("PATH", str(tmp_path))          # no kubectl: the same line everywhere
    yield srv
    srv.close()


def by_name(items):
    return {i["name"]: i for i in items}


def test_refused_and_failed_api_calls_say_what_could_not_be_checked(refusing):
    got = by_name(D.doctor("lab", explicit=True))
    assert got["api"]["ok"] is True
    assert got["rbac"] == {
        "name": "rbac", "ok": False,
        "detail": "what drills may do (RBAC): could not be checked; the API refused asking what drills "
                  "may do (403 Forbidden: selfsubjectaccessreviews.authorization.k8s.io is forbidden: "
                  'User "learner-7" cannot create resource)',
        "fix": "ask for that permission in context lab (see: kubectl --context lab auth can-i --list)"}
    assert got["image"]["detail"].startswith("the drill image on the nodes: could not be checked; "
                                             "the API refused listing nodes (403 Forbidden")
    assert got["kube-proxy"] == {
        "name": "kube-proxy", "ok": False,
        "detail": "the kube-proxy DaemonSet in kube-system: could not be checked; the API failed "
                  "listing daemonsets (500 InternalError: etcdserver: request timed out)",
        "fix": "retry; if it persists check the API server: kubectl --context lab cluster-info"}
    for entry in got.values():
        assert not CLASS_NAME.search(entry["detail"] + entry["fix"]), entry
        assert entry["ok"] is not False or entry["fix"], entry        # every problem has a fix


@pytest.mark.parametrize("exc,why", [
    (RuntimeError("unexpected"), "drills failed unexpectedly (unexpected)"),
    (RuntimeError(), "drills failed unexpectedly (no message)"),
    (KeyError("images"), "drills failed unexpectedly ('images')"),
    (ValueError("Expecting value: line 1 column 1 (char 0)"),
     "an answer could not be read (Expecting value: line 1 column 1 (char 0))"),
    (PermissionError(13, "Permission denied"), "Permission denied"),
    (ApiError(404, "NotFound", "the server could not find the requested resource", "listing nodes"),
     "the API failed listing nodes (404 NotFound: the server could not find the requested resource)"),
])
def test_any_breakage_is_said_in_words(tmp_path, monkeypatch, exc, why):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "none"))

    def breaks(state):
        raise exc
    monkeypatch.setattr(D, "check_kubectl", breaks)
    kubectl = by_name(D.doctor("lab", explicit=True))["kubectl"]
    assert kubectl["ok"] is False
    assert kubectl["detail"] == f"kubectl on PATH: could not be checked; {why}"
    assert kubectl["fix"] and not CLASS_NAME.search(kubectl["detail"] + kubectl["fix"])


def test_a_docker_failure_names_docker_and_its_fix():
    import docker.errors
    why, fix = D.why_unchecked(docker.errors.APIError("500 Server Error: container is not running"),
                               "kind-drills")
    assert why == "Docker failed (500 Server Error: container is not running)"
    assert fix.startswith("start Docker")


def test_every_item_has_a_subject():
    assert set(D.SUBJECTS) == set(D.ITEMS)


@pytest.mark.parametrize("width", (80, 200))
def test_the_terminal_view_of_unchecked_items(capsys, monkeypatch, refusing, width):
    monkeypatch.setattr(ui, "out", ui.make_console(width=width))
    assert main(["doctor", "--context", "lab"]) == 5
    text = capsys.readouterr().out
    assert "could not be checked" in text and not CLASS_NAME.search(text)
    assert_golden("doctor-unchecked", width, "$ drills doctor --context lab\n" + text)
