"""KubeApi.exec over a real websocket, against a minimal local server that speaks
the API server's exec protocol (v4.channel.k8s.io: one channel byte per frame;
channel 1 stdout, 2 stderr, 3 the final status)."""
from __future__ import annotations

import base64
import hashlib
import json
import socket
import struct
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from drills.cluster.api import ExecFailed, KubeApi

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
SUCCESS = {"metadata": {}, "status": "Success"}
EXIT_1 = {"metadata": {}, "status": "Failure", "reason": "NonZeroExitCode",
          "message": "command terminated with non-zero exit code: error executing command "
                     "[sh -c ...], exit code 1",
          "details": {"causes": [{"reason": "ExitCode", "message": "1"}]}}


def frame(payload: bytes, opcode: int = 0x2) -> bytes:
    head = bytes([0x80 | opcode])
    if len(payload) < 126:
        head += bytes([len(payload)])
    elif len(payload) < 65536:
        head += bytes([126]) + struct.pack("!H", len(payload))
    else:
        head += bytes([127]) + struct.pack("!Q", len(payload))
    return head + payload


class ExecServer:
    """Accepts one websocket per test; `script` is a list of (channel, bytes) to send,
    or the string "403" to refuse the handshake, or "hang" to never finish."""

    def __init__(self, script):
        self.script = script
        self.request: dict = {}
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        conn, _ = self.sock.accept()
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(4096)
            lines = data.split(b"\r\n\r\n")[0].decode().split("\r\n")
            headers = {k.lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
            self.request = {"target": lines[0].split(" ")[1], "headers": headers}
            if self.script == "403":
                conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                return
            accept = base64.b64encode(hashlib.sha1(
                (headers["sec-websocket-key"] + GUID).encode()).digest()).decode()
            conn.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n"
                          "Sec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n").encode())
            if self.script == "hang":
                time.sleep(3)
                return
            try:
                for channel, payload in self.script:
                    conn.sendall(frame(bytes([channel]) + payload))
                conn.sendall(frame(b"\x03\xe8", opcode=0x8))      # close, 1000
            except (BrokenPipeError, ConnectionResetError):
                return     # the client hung up after the status frame; the test judges what it got
            time.sleep(0.2)

    def close(self):
        self.sock.close()


class Config:
    """The Configuration fields KubeApi and the websocket client read."""
    def __init__(self, host):
        self.host = host
        self.verify_ssl = False
        self.ssl_ca_cert = self.cert_file = self.key_file = self.ca_cert_data = None
        self.assert_hostname = self.tls_server_name = self.proxy = self.no_proxy = None
        self.proxy_headers = self.proxy_ssl_context = self.socket_options = None
        self.retries = None
        self.connection_pool_maxsize = 4

    def auth_settings(self):
        return {"BearerToken": {"in": "header", "key": "authorization", "value": "Bearer t0k"}}


@pytest.fixture
def serve():
    servers = []

    def start(script):
        servers.append(ExecServer(script))
        return servers[-1], KubeApi(Config(servers[-1].url), "lab")
    yield start
    for s in servers:
        s.close()


def test_exec_returns_output_and_exit_code(serve):
    out = b"web-8559b74f6d-4v956\n\n@@drills-attempt p0 0 10.00 10.02\n"
    server, api = serve([(1, out[:20]), (1, out[20:]), (3, json.dumps(SUCCESS).encode())])
    rc, stdout, stderr = api.exec("drill-x-1", "drills-probe", ["sh", "-c", "echo 'a b'; exit 0"],
                                  container="probe", timeout=5)
    assert (rc, stdout, stderr) == (0, out.decode(), "")
    target = urlsplit(server.request["target"])
    assert target.path == "/api/v1/namespaces/drill-x-1/pods/drills-probe/exec"
    query = parse_qs(target.query)
    assert query["command"] == ["sh", "-c", "echo 'a b'; exit 0"]
    assert query["container"] == ["probe"] and query["stdout"] == ["true"]
    assert server.request["headers"]["authorization"] == "Bearer t0k"


def test_a_failing_command_gives_its_exit_code_and_stderr(serve):
    server, api = serve([(2, b"sh: wget: not found\n"), (3, json.dumps(EXIT_1).encode())])
    assert api.exec("ns", "pod", ["sh", "-c", "wget"], timeout=5) == (1, "", "sh: wget: not found\n")


def test_a_refused_exec_is_an_exec_failure_naming_rbac(serve):
    server, api = serve("403")
    with pytest.raises(ExecFailed) as caught:
        api.exec("ns", "pod", ["true"], timeout=5)
    assert "403" in str(caught.value) and "pods/exec" in str(caught.value)


def test_an_exec_that_does_not_finish_is_cut_off(serve):
    server, api = serve("hang")
    started = time.monotonic()
    with pytest.raises(ExecFailed) as caught:
        api.exec("ns", "pod", ["sleep", "100"], timeout=0.5)
    assert time.monotonic() - started < 1.5
    assert "did not finish within 0.5 s" in str(caught.value)


def test_a_stream_without_a_status_is_an_exec_failure(serve):
    server, api = serve([(1, b"partial")])
    with pytest.raises(ExecFailed):
        api.exec("ns", "pod", ["true"], timeout=5)


def test_nothing_listening_is_an_exec_failure():
    dead = KubeApi(Config("http://127.0.0.1:9"), "lab")
    with pytest.raises(ExecFailed):
        dead.exec("ns", "pod", ["true"], timeout=2)
