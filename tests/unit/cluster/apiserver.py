"""A tiny HTTP server on 127.0.0.1 that answers like an API server, for testing
KubeApi's requests (paths, verbs, headers, bodies) and connect()'s error mapping."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml


def send_json(http: BaseHTTPRequestHandler, status: int, payload: Any) -> None:
    """Answer one request with a JSON body, as an API server does."""
    data = json.dumps(payload).encode()
    http.send_response(status)
    http.send_header("Content-Type", "application/json")
    http.send_header("Content-Length", str(len(data)))
    http.end_headers()
    http.wfile.write(data)


class FakeApiServer:
    def __init__(self):
        self.routes: dict[tuple[str, str], tuple[int, Any]] = {}
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path, _, query = self.path.partition("?")
                server.requests.append({"method": self.command, "path": path, "query": query,
                                        "headers": {k.lower(): v for k, v in self.headers.items()},
                                        "body": json.loads(body) if body else None})
                status, payload = server.routes.get((self.command, path), (404, {
                    "kind": "Status", "apiVersion": "v1", "status": "Failure",
                    "message": f"the server could not find the requested resource ({path})",
                    "reason": "NotFound", "code": 404}))
                send_json(self, status, payload)

            do_GET = do_POST = do_PATCH = do_DELETE = _answer

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def write_kubeconfig(path: Path, contexts: dict[str, str], current: str | None = None,
                     token: str = "s3cret") -> Path:
    """A kubeconfig with one cluster+user per context, each pointing at a server URL."""
    data = {"apiVersion": "v1", "kind": "Config", "preferences": {},
            "clusters": [{"name": f"c-{n}", "cluster": {"server": url}} for n, url in contexts.items()],
            "users": [{"name": f"u-{n}", "user": {"token": token}} for n in contexts],
            "contexts": [{"name": n, "context": {"cluster": f"c-{n}", "user": f"u-{n}"}}
                         for n in contexts]}
    if current:
        data["current-context"] = current
    path.write_text(yaml.safe_dump(data))
    return path
