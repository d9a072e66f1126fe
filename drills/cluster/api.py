"""The small slice of the Kubernetes API drills uses, as plain JSON dicts.

`KubeApi` speaks REST through the official client's connection pool (TLS,
proxies and credentials come from the kubeconfig loader) and exec through
its websocket client, and returns objects exactly as `kubectl get -o json`
shows them. Everything above this module works on dicts and can be tested
against a fake with the same methods (tests/unit/cluster/fakes.py).

The client's generated methods are avoided on purpose: their signatures
changed between client releases, while paths, verbs and JSON did not.
"""
from __future__ import annotations

import json
from typing import Any, Iterator
from urllib.parse import quote, urlencode

from drills.errors import BadScenarioPack, ClusterUnreachable

DEFAULT_TIMEOUT_S = 10.0
EXEC_MAX_BYTES = 8 * 1024 * 1024     # what exec reads at most unless told otherwise
FIELD_MANAGER = "drills"
PATCH_TYPES = {"merge": "application/merge-patch+json", "json": "application/json-patch+json"}

# resource -> (API group, version, namespaced, kind)
RESOURCES: dict[str, tuple[str, str, bool, str]] = {
    "namespaces": ("", "v1", False, "Namespace"),
    "nodes": ("", "v1", False, "Node"),
    "services": ("", "v1", True, "Service"),
    "endpoints": ("", "v1", True, "Endpoints"),
    "pods": ("", "v1", True, "Pod"),
    "events": ("", "v1", True, "Event"),
    "configmaps": ("", "v1", True, "ConfigMap"),
    "serviceaccounts": ("", "v1", True, "ServiceAccount"),
    "endpointslices": ("discovery.k8s.io", "v1", True, "EndpointSlice"),
    "deployments": ("apps", "v1", True, "Deployment"),
    "statefulsets": ("apps", "v1", True, "StatefulSet"),
    "daemonsets": ("apps", "v1", True, "DaemonSet"),
    "replicasets": ("apps", "v1", True, "ReplicaSet"),
    "networkpolicies": ("networking.k8s.io", "v1", True, "NetworkPolicy"),
    "jobs": ("batch", "v1", True, "Job"),
}
_BY_KIND = {(f"{g}/{v}" if g else v, kind): res for res, (g, v, _, kind) in RESOURCES.items()}


class ApiError(Exception):
    """The API answered with an error status (4xx/5xx)."""

    def __init__(self, status: int, reason: str, message: str, doing: str = ""):
        super().__init__(f"{status} {reason}: {message}")
        self.status = status
        self.reason = reason
        self.message = message
        self.doing = doing


def resource_for(obj: dict[str, Any]) -> str:
    key = (obj.get("apiVersion"), obj.get("kind"))
    try:
        return _BY_KIND[key]
    except KeyError:
        raise BadScenarioPack(f"{key[0]}/{key[1]} is not a kind drills can apply",
                              "use one of the kinds listed in drills/manifests.py") from None


def api_version_of(resource: str) -> str:
    group, version, _, _ = RESOURCES[resource]
    return f"{group}/{version}" if group else version


def path_for(resource: str, namespace: str | None = None, name: str | None = None) -> str:
    group, version, namespaced, _ = RESOURCES[resource]
    base = f"/apis/{group}/{version}" if group else f"/api/{version}"
    if namespaced and namespace:
        base += f"/namespaces/{quote(namespace, safe='')}"
    base += f"/{resource}"
    return base + (f"/{quote(name, safe='')}" if name else "")


def with_kind(resource: str, items: list[dict]) -> list[dict]:
    """List items come without apiVersion/kind; kubectl -o json adds them back."""
    kind = RESOURCES[resource][3]
    version = api_version_of(resource)
    return [{"apiVersion": version, "kind": kind, **item} for item in items]


def unreachable(context: str, cause: str) -> ClusterUnreachable:
    from drills.config import DEFAULT_CONTEXT
    hint = ("is Docker running? see 'drills cluster status', or 'drills cluster up'"
            if context == DEFAULT_CONTEXT
            else f"check that the API server of context {context} is up: "
                 f"kubectl --context {context} cluster-info")
    return ClusterUnreachable(f"context {context}: the API server is not reachable ({cause})", hint)


def as_drills_error(exc: ApiError, context: str):
    """An API error nobody handled, as the DrillsError the CLI prints."""
    doing = f" {exc.doing}" if exc.doing else ""
    if exc.status in (401, 403) and "PodSecurity" in exc.message:
        return BadScenarioPack(f"the API refused{doing}: {exc.message}",
                               "drill pods must satisfy the 'restricted' Pod Security level")
    if exc.status in (401, 403):
        return ClusterUnreachable(f"context {context}: the API refused{doing} "
                                  f"({exc.status} {exc.reason}: {exc.message})",
                                  f"check RBAC/credentials for context {context}")
    if exc.status in (400, 422):
        return BadScenarioPack(f"the API rejected{doing}: {exc.message}",
                               "fix the scenario's manifests")
    return ClusterUnreachable(f"context {context}: the API failed{doing} "
                              f"({exc.status} {exc.reason}: {exc.message})",
                              f"retry; if it persists check the API server of context {context}")


class KubeApi:
    """REST and exec against one API server, configured from a kubeconfig."""

    def __init__(self, configuration: Any, context: str):
        from kubernetes.client import rest

        self.configuration = configuration
        self.context = context
        self._pool = rest.RESTClientObject(configuration).pool_manager

    # --- plumbing ------------------------------------------------------------

    def _auth_headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        for setting in (self.configuration.auth_settings() or {}).values():
            if setting.get("in") == "header" and setting.get("value"):
                headers[setting["key"]] = setting["value"]
        return headers

    def request(self, method: str, path: str, *, query: dict[str, Any] | None = None,
                body: Any = None, content_type: str = "application/json",
                timeout: float = DEFAULT_TIMEOUT_S, retries: Any = None, doing: str = "") -> Any:
        import urllib3

        url = self.configuration.host.rstrip("/") + path
        if query:
            url += "?" + urlencode({k: v for k, v in query.items() if v is not None})
        headers = {"Accept": "application/json", "User-Agent": "drills",
                   **self._auth_headers()}
        data = None
        if body is not None:
            headers["Content-Type"] = content_type
            data = json.dumps(body).encode()
        if retries is None:
            # One retry of a dropped keep-alive connection; never of a sent POST/PATCH.
            retries = urllib3.Retry(total=1, connect=1, read=1, status=0, redirect=0)
        try:
            resp = self._pool.request(method, url, body=data, headers=headers,
                                      timeout=urllib3.Timeout(total=timeout),
                                      retries=retries, preload_content=True)
        except urllib3.exceptions.HTTPError as exc:
            raise unreachable(self.context, _transport_cause(exc)) from None
        except OSError as exc:
            raise unreachable(self.context, str(exc) or type(exc).__name__) from None
        payload = resp.data or b""
        if resp.status >= 400:
            raise _api_error(resp.status, resp.reason or "", payload, doing)
        if not payload:
            return {}
        try:
            return json.loads(payload)
        except ValueError:
            raise unreachable(self.context, f"{method} {path} answered with non-JSON") from None

    # --- the verbs drills uses -------------------------------------------------

    def version(self, timeout: float = DEFAULT_TIMEOUT_S) -> dict:
        return self.request("GET", "/version", timeout=timeout, retries=False,
                            doing="/version")

    def list(self, resource: str, namespace: str | None = None,
             label_selector: str | None = None) -> list[dict]:
        data = self.request("GET", path_for(resource, namespace),
                            query={"labelSelector": label_selector}, doing=f"listing {resource}")
        return with_kind(resource, data.get("items") or [])

    def watch_pods(self, namespaces: list[str], timeout: float) -> Iterator[list[dict]]:
        """The pods of these namespaces as listed, then again after every change the
        API streams (one watch per namespace), and at least once a second."""
        import queue
        import threading

        import urllib3

        state: dict[tuple[str, str], dict] = {}
        versions: dict[str, str] = {}
        for ns in namespaces:
            data = self.request("GET", path_for("pods", ns), doing="listing pods")
            versions[ns] = (data.get("metadata") or {}).get("resourceVersion") or ""
            for pod in with_kind("pods", data.get("items") or []):
                state[(ns, pod["metadata"]["name"])] = pod
        yield list(state.values())
        events: queue.Queue = queue.Queue()
        responses: list[Any] = []

        def follow(ns: str) -> None:
            query = {"watch": "1", "resourceVersion": versions[ns],
                     "timeoutSeconds": str(max(1, int(timeout) + 1))}
            url = self.configuration.host.rstrip("/") + path_for("pods", ns) + "?" + urlencode(query)
            try:
                resp = self._pool.request("GET", url, headers={"Accept": "application/json",
                                                               **self._auth_headers()},
                                          timeout=urllib3.Timeout(connect=5, read=timeout + 5),
                                          retries=False, preload_content=False)
                responses.append(resp)
                if resp.status >= 400:
                    raise _api_error(resp.status, resp.reason or "", resp.read(), "watching pods")
                buffer = b""
                for chunk in resp.stream(4096):
                    buffer += chunk
                    while b"\n" in buffer:
                        line, buffer = buffer.split(b"\n", 1)
                        if line.strip():
                            events.put((ns, json.loads(line)))
            except Exception as exc:  # the caller falls back to listing
                events.put((ns, exc))
            events.put((ns, None))

        threads = [threading.Thread(target=follow, args=(ns,), daemon=True) for ns in namespaces]
        for thread in threads:
            thread.start()
        open_streams = len(threads)
        try:
            while open_streams:
                try:
                    ns, event = events.get(timeout=1.0)
                except queue.Empty:
                    yield list(state.values())
                    continue
                if event is None:
                    open_streams -= 1
                    continue
                if isinstance(event, Exception) or event.get("type") == "ERROR":
                    return            # expired or refused: the caller lists again
                pod = event.get("object") or {}
                key = (ns, (pod.get("metadata") or {}).get("name"))
                if event.get("type") == "DELETED":
                    state.pop(key, None)
                elif event.get("type") in ("ADDED", "MODIFIED"):
                    state[key] = {"apiVersion": "v1", "kind": "Pod", **pod}
                else:
                    continue          # BOOKMARK
                yield list(state.values())
        finally:
            for resp in responses:
                try:
                    resp.close()          # a stream cut short never goes back to the pool
                    resp.release_conn()
                except Exception:
                    pass

    def get(self, resource: str, name: str, namespace: str | None = None) -> dict | None:
        try:
            return self.request("GET", path_for(resource, namespace, name),
                                doing=f"reading {resource} {name}")
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    def create(self, resource: str, body: dict, namespace: str | None = None) -> dict:
        return self.request("POST", path_for(resource, namespace), body=body,
                            doing=f"creating {RESOURCES[resource][3]} {body['metadata']['name']}")

    def apply(self, obj: dict, namespace: str | None = None, *,
              manager: str = FIELD_MANAGER) -> dict:
        """Server-side apply (creates or updates), taking over conflicting fields."""
        resource = resource_for(obj)
        name = obj["metadata"]["name"]
        return self.request("PATCH", path_for(resource, namespace, name),
                            query={"fieldManager": manager, "force": "true"}, body=obj,
                            content_type="application/apply-patch+yaml",
                            doing=f"applying {obj['kind']} {name}")

    def patch(self, resource: str, name: str, body: Any, namespace: str | None = None, *,
              patch_type: str = "merge") -> dict:
        """A JSON merge patch (RFC 7386, dict body) or JSON patch (RFC 6902, list body)."""
        return self.request("PATCH", path_for(resource, namespace, name), body=body,
                            query={"fieldManager": FIELD_MANAGER},
                            content_type=PATCH_TYPES[patch_type],
                            doing=f"patching {RESOURCES[resource][3]} {name}")

    def delete(self, resource: str, name: str, namespace: str | None = None) -> bool:
        try:
            self.request("DELETE", path_for(resource, namespace, name),
                         body={"kind": "DeleteOptions", "apiVersion": "v1",
                               "propagationPolicy": "Background"},
                         doing=f"deleting {RESOURCES[resource][3]} {name}")
            return True
        except ApiError as exc:
            if exc.status == 404:
                return False
            if exc.status == 409:   # a namespace already being deleted says Conflict
                return True
            raise

    def access_review(self, verb: str, resource: str, group: str = "",
                      subresource: str = "", namespace: str = "") -> tuple[bool, str]:
        body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                "spec": {"resourceAttributes": {"verb": verb, "resource": resource,
                                                "group": group, "subresource": subresource,
                                                "namespace": namespace}}}
        status = self.request("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                              body=body, doing="asking what drills may do").get("status") or {}
        return bool(status.get("allowed")), status.get("reason") or ""

    def exec(self, namespace: str, pod: str, argv: list[str], *, container: str | None = None,
             timeout: float = 20.0, max_bytes: int = EXEC_MAX_BYTES) -> tuple[int, str, str]:
        """Run argv in a pod; (exit code, stdout, stderr). Raises ExecFailed when
        the command could not be run, did not finish within timeout, or printed
        more than max_bytes (stdout and stderr together; reading stops there, so
        a pod that floods the stream cannot fill drills' memory)."""
        from kubernetes.stream import ws_client

        query = [("command", arg) for arg in argv]
        query += [("stdout", "true"), ("stderr", "true"), ("stdin", "false"), ("tty", "false")]
        if container:
            query.append(("container", container))
        url = (self.configuration.host.rstrip("/")
               + f"{path_for('pods', namespace, pod)}/exec?{urlencode(query)}")
        headers = {k.lower(): v for k, v in self._auth_headers().items()}
        try:
            client = ws_client.WSClient(self.configuration, ws_client.get_websocket_url(url),
                                        headers, False)
        except Exception as exc:  # websocket handshake: 403, 404, TLS, refused
            status = getattr(exc, "status_code", None)
            why = (f"exec refused with HTTP {status}" if status
                   else (str(exc) or type(exc).__name__))
            if status == 403:
                why += f" (check RBAC for pods/exec in context {self.context})"
            raise ExecFailed(why) from None
        try:
            channels = _read_channels(client.sock, timeout, max_bytes)
            stdout, stderr, status = (channels[c].decode("utf-8", "replace") for c in (
                ws_client.STDOUT_CHANNEL, ws_client.STDERR_CHANNEL, ws_client.ERROR_CHANNEL))
            return _exit_code(status), stdout, stderr
        except ExecFailed:
            raise
        except Exception as exc:  # connection lost mid-stream
            raise ExecFailed(f"exec stream broke: {exc or type(exc).__name__}") from None
        finally:
            try:
                client.close(timeout=0)     # no waiting for a close handshake that may never come
            except Exception:
                pass



def _read_channels(sock: Any, timeout: float, max_bytes: int) -> dict[int, bytes]:
    """The exec stream's frames by channel (1 stdout, 2 stderr, 3 status) until the
    server closes it, within timeout and max_bytes (the websocket client's own
    reader keeps everything it is sent)."""
    import time

    from websocket import ABNF, WebSocketConnectionClosedException, WebSocketTimeoutException

    chunks: dict[int, list[bytes]] = {1: [], 2: [], 3: []}
    size = 0
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise ExecFailed(f"the probe command did not finish within {timeout:g} s")
        sock.settimeout(left)
        try:
            opcode, frame = sock.recv_data_frame(True)
        except (WebSocketTimeoutException, TimeoutError):
            raise ExecFailed(f"the probe command did not finish within {timeout:g} s") from None
        except WebSocketConnectionClosedException:
            break
        if opcode == ABNF.OPCODE_CLOSE:
            break
        data = frame.data if isinstance(frame.data, bytes) else str(frame.data).encode()
        if opcode not in (ABNF.OPCODE_BINARY, ABNF.OPCODE_TEXT) or not data:
            continue
        channel, payload = data[0], data[1:]
        if channel not in chunks:       # stdin echo, resize, v5 close-channel
            continue
        size += len(payload)
        if size > max_bytes:
            raise ExecFailed(f"the command printed more than {max_bytes // 1024} KiB, more than "
                             "drills' probe script can print; drills stopped reading")
        chunks[channel].append(payload)
    return {channel: b"".join(parts) for channel, parts in chunks.items()}


def _exit_code(status: str) -> int:
    """The exit code in the exec's final Status (channel 3), as kubectl reads it."""
    try:
        data = json.loads(status)
        if data.get("status") == "Success":
            return 0
        return int(data["details"]["causes"][0]["message"])
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise ExecFailed(f"exec ended without an exit status ({type(exc).__name__}: "
                         f"{str(exc)[:80]})") from None


class ExecFailed(Exception):
    """A command could not be run in a pod (infrastructure, not the learner)."""


def _api_error(status: int, reason: str, payload: bytes, doing: str) -> ApiError:
    message = payload.decode("utf-8", "replace").strip()
    try:
        data = json.loads(payload)
        if isinstance(data, dict):
            message = data.get("message") or message
            reason = data.get("reason") or reason
    except ValueError:
        pass
    return ApiError(status, reason, message[:500], doing)


def _transport_cause(exc: Exception) -> str:
    import urllib3

    inner = getattr(exc, "reason", None) or exc
    # NewConnectionError subclasses ConnectTimeoutError, so it is asked first
    if isinstance(inner, urllib3.exceptions.NewConnectionError) or "refused" in str(inner):
        return "connection refused" if "refused" in str(inner) else f"cannot connect: {inner}"
    if isinstance(inner, (urllib3.exceptions.ConnectTimeoutError,
                          urllib3.exceptions.ReadTimeoutError)) or "timed out" in str(inner):
        return "timed out"
    if isinstance(inner, urllib3.exceptions.SSLError) or "SSL" in type(inner).__name__:
        return f"TLS failed: {inner}"
    return str(inner) or type(inner).__name__
