"""KubeApi.watch_pods against a local HTTP server that streams watch events the way
an API server does (one JSON event per line), and start following pods with it."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from drills.cluster.api import KubeApi
from tests.unit.cluster.fakes import FakeKube, FixtureWorld, Session, kubelet, make_plan
from tests.unit.cluster.test_exec import Config


def pod(name, running):
    state = {"running": {}} if running else {"waiting": {"reason": "ContainerCreating"}}
    return {"metadata": {"name": name, "namespace": "ns"},
            "status": {"phase": "Running" if running else "Pending",
                       "containerStatuses": [{"name": "probe", "state": state}]}}


@pytest.fixture
def server():
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            seen.append((self.path, self.headers.get("authorization")))
            if "watch=1" not in self.path:
                body = json.dumps({"metadata": {"resourceVersion": "10"},
                                   "items": [pod("old", True)]}).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for event in ({"type": "ADDED", "object": pod("probe", False)},
                          {"type": "BOOKMARK", "object": {"metadata": {"resourceVersion": "12"}}},
                          {"type": "MODIFIED", "object": pod("probe", True)},
                          {"type": "DELETED", "object": pod("old", True)}):
                line = json.dumps(event).encode() + b"\n"
                self.wfile.write(f"{len(line):x}\r\n".encode() + line + b"\r\n")
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    httpd.shutdown()
    httpd.server_close()


def test_watch_pods_lists_then_follows_every_change(server):
    url, seen = server
    api = KubeApi(Config(url), "lab")
    states = [sorted((p["metadata"]["name"], p["status"]["phase"]) for p in pods)
              for pods in api.watch_pods(["ns"], timeout=3)]
    assert states == [[("old", "Running")],
                      [("old", "Running"), ("probe", "Pending")],
                      [("old", "Running"), ("probe", "Running")],
                      [("probe", "Running")]]
    watch_path, auth = seen[1]
    assert "watch=1" in watch_path and "resourceVersion=10" in watch_path and auth == "Bearer t0k"


class WatchingFake(FakeKube):
    """FakeKube with a watch: the pods again after every API tick."""
    def __init__(self):
        super().__init__()
        self.watched = 0

    def watch_pods(self, namespaces, timeout):
        for _ in range(50):
            self.watched += 1
            yield [p for ns in namespaces for p in self.list("pods", ns)]


def test_start_follows_pods_with_the_watch_when_the_api_has_one():
    from tests.unit.cluster.test_start import start
    fake = WatchingFake()
    fake.controllers += [kubelet, FixtureWorld("selector-mismatch-broken", delay=2)]
    start(Session(fake), make_plan("drill-selector-mismatch-7"))
    assert fake.watched >= 1
