"""Fake learner clusters on loopback for class grading: real HTTP, real exec websockets.

Each `FakeCluster` is an HTTP server on 127.0.0.1 that answers the API requests
drills makes while grading, from recorded evidence bundles (tests/fixtures/recorded,
byte-identical copies of what drills' collector recorded on a real cluster): the
objects as list answers, the Nodes, /version, and `pods/exec` as a real
v4.channel.k8s.io websocket that replays the recorded output of each probe command
(the collector builds the same commands from the same objects, so every command of
the batch script has a recorded answer).

Hand-made here, since no recording holds them: the Namespace objects (drills' own
`namespace_body`, as `drills start` creates them, plus the fields the API server
adds) and the failure modes (refused, never answers, 403).

Why replay exec instead of reporting probes as ERROR: with probes ERROR every row
of a working context would be ERROR too, so the test could not tell a right PASS
or FAIL row from a broken one; replaying exercises KubeApi.exec, the batch script
and its parser exactly as on a cluster.
"""
from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from drills.cluster.api import RESOURCES
from drills.cluster.objects import namespace_body
from drills.render import replay
from tests.unit.cluster.apiserver import send_json
from tests.unit.cluster.test_exec import GUID, frame

RECORDED = Path(__file__).resolve().parent.parent / "fixtures" / "recorded"
# one attempt of the batch script (drills.probes.timed_loop): the command, the marker, the label
_ITEM = re.compile(r"read t0 x </proc/uptime; \{ r=\$\( \{ \{ \( (.*?) \) 2>&1; echo .*?"
                   r' echo; echo "(@@drills-attempt\S*) (\S+) ')
FORBIDDEN = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
             "message": 'namespaces is forbidden: User "learner-7" cannot list resource "namespaces" '
                        'in API group "" at the cluster scope', "reason": "Forbidden",
             "details": {"kind": "namespaces"}, "code": 403}


def recorded(name: str) -> dict:
    """A recorded bundle, e.g. recorded('selector-mismatch/seed1-reference')."""
    return json.loads((RECORDED / f"{name}.json").read_text())


def drill_namespace(bundle: dict, *, labelled: bool = True, extra_labels: dict | None = None,
                    created: str = "2026-12-01T09:00:00Z") -> dict:
    plan = replay(bundle["drill"])
    ns = namespace_body(plan, plan.namespace)
    meta = ns["metadata"]
    meta.update(uid=hashlib.sha1(plan.namespace.encode()).hexdigest(), resourceVersion="4711",
                creationTimestamp=created)
    meta["labels"]["kubernetes.io/metadata.name"] = plan.namespace
    meta["labels"].update(extra_labels or {})
    if not labelled:
        del meta["labels"]["app.kubernetes.io/managed-by"]
    ns["spec"] = {"finalizers": ["kubernetes"]}
    ns["status"] = {"phase": "Active"}
    return ns


def _matches(labels: dict, selector: str | None) -> bool:
    for term in filter(None, (selector or "").split(",")):
        key, _, value = term.partition("=")
        if labels.get(key) != value:
            return False
    return True


class FakeCluster:
    """One learner's API server. mode: "ok", "forbidden" (403 to everything but
    /version), "slow" (answers after `hang_s`)."""

    def __init__(self, bundles: list[dict], *, namespaces: list[dict] | None = None,
                 mode: str = "ok", latency_s: float = 0.0, hang_s: float = 30.0):
        self.bundles = bundles
        self.namespaces = namespaces if namespaces is not None else [drill_namespace(b) for b in bundles]
        self.mode = mode
        self.latency_s = latency_s
        self.hang_s = hang_s
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._answers = self._recorded_answers()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                server.handle(self)

            do_POST = do_PATCH = do_DELETE = do_PUT = do_GET

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    # --- what the recordings say -----------------------------------------------------
    def _recorded_answers(self) -> dict[str, list[dict]]:
        answers: dict[str, list[dict]] = {}
        for bundle in self.bundles:
            for probe in bundle["probes"].values():
                for attempt in probe["attempts"]:
                    answers.setdefault(attempt["command"], []).append(attempt)
        return answers

    def _objects(self, resource: str, namespace: str | None) -> list[dict]:
        if resource == "namespaces":
            return self.namespaces
        if resource == "nodes":      # one cluster, one set of nodes
            items = (self.bundles[0]["objects"].get("nodes") or []) if self.bundles else []
        else:
            items = [obj for bundle in self.bundles for obj in bundle["objects"].get(resource) or []
                     if namespace is None or (obj.get("metadata") or {}).get("namespace") == namespace]
        return [{k: v for k, v in copy.deepcopy(o).items() if k not in ("apiVersion", "kind")} for o in items]

    # --- HTTP --------------------------------------------------------------------------
    def handle(self, http: BaseHTTPRequestHandler) -> None:
        length = int(http.headers.get("Content-Length") or 0)
        body = http.rfile.read(length) if length else b""
        parts = urlsplit(http.path)
        path = unquote(parts.path)
        query = parse_qs(parts.query)
        with self._lock:
            self.requests.append({"method": http.command, "path": path, "query": query,
                                  "body": json.loads(body) if body else None})
        if self.latency_s:
            time.sleep(self.latency_s)
        if self.mode == "slow":
            time.sleep(self.hang_s)
        if path == "/version":
            return self._send(http, 200, self.bundles[0]["cluster"]["version"] if self.bundles else
                              {"major": "1", "minor": "32", "gitVersion": "v1.32.13"})
        if self.mode == "forbidden":
            return self._send(http, 403, FORBIDDEN)
        if http.command != "GET":
            return self._send(http, 405, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                          "message": "the fake answers reads only", "code": 405})
        if path.endswith("/exec") and http.headers.get("Upgrade", "").lower() == "websocket":
            return self._exec(http, query)
        status, payload = self._read(path, query.get("labelSelector", [None])[0])
        self._send(http, status, payload)

    def _read(self, path: str, selector: str | None) -> tuple[int, Any]:
        m = re.fullmatch(r"/apis?/(?:(?P<group>[^/]+)/)?(?P<version>v1)"
                         r"(?:/namespaces/(?P<ns>[^/]+))?/(?P<resource>[a-z]+)(?:/(?P<name>[^/]+))?", path)
        if not m or m["resource"] not in RESOURCES:
            return 404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 404,
                         "reason": "NotFound", "message": f"the server could not find the requested resource"}
        resource, namespace, name = m["resource"], m["ns"], m["name"]
        if resource == "namespaces" and namespace and not name:
            name, namespace = namespace, None
        items = self._objects(resource, namespace)
        if name:
            found = next((o for o in items if o["metadata"]["name"] == name), None)
            if found is None:
                return 404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 404,
                             "reason": "NotFound", "message": f'{resource} "{name}" not found'}
            return 200, {"apiVersion": "v1", "kind": RESOURCES[resource][3], **found}
        items = [o for o in items if _matches((o.get("metadata") or {}).get("labels") or {}, selector)]
        return 200, {"kind": f"{RESOURCES[resource][3]}List", "apiVersion": "v1",
                     "metadata": {"resourceVersion": "4711"}, "items": items}

    _send = staticmethod(send_json)

    # --- exec: replay the recorded output of each command of the batch --------------------
    def exec_output(self, argv: list[str]) -> bytes:
        """What the exec prints on stdout: the recorded answers of the script's commands."""
        script = (argv or ["", "", ""])[-1]
        out = []
        for command, mark, label in _ITEM.findall(script):
            for n, attempt in enumerate(self._answers.get(command) or []):
                text = attempt["stdout"] if attempt["exit_code"] == 0 else attempt["stderr"]
                seconds = attempt.get("seconds") or 0.0
                out.append(f"{text}\n{mark} {label} {attempt['exit_code']} {100 + n:.2f} "
                           f"{100 + n + seconds:.2f}")
        return ("\n".join(out) + "\n").encode()

    def _exec(self, http: BaseHTTPRequestHandler, query: dict) -> None:
        output = self.exec_output(query.get("command") or [])
        key = http.headers["Sec-WebSocket-Key"]
        accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        http.send_response(101, "Switching Protocols")
        http.send_header("Upgrade", "websocket")
        http.send_header("Connection", "Upgrade")
        http.send_header("Sec-WebSocket-Accept", accept)
        http.send_header("Sec-WebSocket-Protocol", "v4.channel.k8s.io")
        http.end_headers()
        for start in range(0, len(output), 32 * 1024):    # as an API server frames a stream
            http.wfile.write(frame(b"\x01" + output[start:start + 32 * 1024]))
        http.wfile.write(frame(b"\x03" + json.dumps({"metadata": {}, "status": "Success"}).encode()))
        http.wfile.write(frame(b"\x03\xe8", opcode=0x8))
        http.wfile.flush()
        http.close_connection = True


class RefusingPort:
    """A loopback port nothing listens on: connections are refused."""

    def __init__(self):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        sock.close()

    def close(self):
        pass


class SilentPort:
    """Accepts connections (the kernel's backlog) and never answers a byte."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def close(self):
        self.sock.close()
