"""`drills doctor`: every precondition of a drill, each with a one-line fix.

Each item is {"name", "ok": True | False | None (not applicable / cannot
tell), "detail", "fix"}; a failing item never stops the others.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import types
from typing import Any, Callable

from drills.config import DEFAULT_CONTEXT, default_image

# What drills does with the API, as (verb, resource, group, subresource).
RBAC_NEEDS = [
    ("create", "namespaces", "", ""), ("delete", "namespaces", "", ""),
    ("list", "namespaces", "", ""),
    ("create", "pods", "", ""), ("patch", "pods", "", ""), ("create", "pods", "", "exec"),
    ("patch", "services", "", ""), ("patch", "deployments", "apps", ""),
    ("list", "pods", "", ""), ("list", "services", "", ""), ("list", "endpoints", "", ""),
    ("list", "endpointslices", "discovery.k8s.io", ""), ("list", "deployments", "apps", ""),
    ("list", "events", "", ""), ("list", "nodes", "", ""),
]
KUBECTL_INSTALL = "install kubectl: https://kubernetes.io/docs/tasks/tools/"
KIND_NODE_LABEL = "io.x-k8s.kind.cluster"
ITEMS = ("docker", "kind", "kubectl", "context", "api", "rbac", "image", "kube-proxy")


def item(name: str, ok: bool | None, detail: str, fix: str = "") -> dict[str, Any]:
    return {"name": name, "ok": ok, "detail": detail, "fix": fix}


def kind_cluster_of(context: str) -> str | None:
    return context[len("kind-"):] if context.startswith("kind-") else None


def normalize_image(ref: str) -> str:
    """busybox:1.36 -> docker.io/library/busybox:1.36, as container runtimes list it."""
    name = ref
    first = name.split("/", 1)[0]
    if "/" not in name:
        name = f"docker.io/library/{name}"
    elif "." not in first and ":" not in first and first != "localhost":
        name = f"docker.io/{name}"
    if "@" not in name and ":" not in name.rsplit("/", 1)[-1]:
        name += ":latest"
    return name


def doctor(context: str, explicit: bool) -> list[dict[str, Any]]:
    state: dict[str, Any] = {"context": context, "explicit": explicit,
                             "kind_cluster": kind_cluster_of(context)}
    results = []
    for name in ITEMS:
        step: Callable[[dict], dict] = globals()["check_" + name.replace("-", "_")]
        try:
            results.append(step(state))
        except Exception as exc:  # a doctor reports; it does not crash
            results.append(unchecked(name, state, exc))
    return results


# What each item looks at, for the line that says it could not be looked at.
SUBJECTS = {
    "docker": "Docker Engine (kind runs the nodes in it)",
    "kind": "the kind binary",
    "kubectl": "kubectl on PATH",
    "context": "the context in the kubeconfig",
    "api": "the API server",
    "rbac": "what drills may do (RBAC)",
    "image": "the drill image on the nodes",
    "kube-proxy": "the kube-proxy DaemonSet in kube-system",
}


def unchecked(name: str, state: dict, exc: Exception) -> dict[str, Any]:
    """An item whose check broke: what could not be checked, why, and the fix."""
    why, fix = why_unchecked(exc, state["context"])
    return item(name, False, f"{SUBJECTS.get(name, name)}: could not be checked; {why}", fix)


def why_unchecked(exc: Exception, context: str) -> tuple[str, str]:
    """(why, fix) in words: never a Python class name."""
    from drills.cluster.api import ApiError
    from drills.cluster.kind import DOCKER_FIX, docker_cause
    from drills.errors import DrillsError
    from drills.untrusted import one_line

    if isinstance(exc, DrillsError):
        return exc.message, exc.hint or f"retry: drills doctor --context {context}"
    if isinstance(exc, ApiError):
        doing = exc.doing or "a request"
        answer = one_line(f"{exc.status} {exc.reason}: {exc.message}", 300)
        if exc.status in (401, 403):
            return (f"the API refused {doing} ({answer})",
                    f"ask for that permission in context {context} "
                    f"(see: kubectl --context {context} auth can-i --list)")
        return (f"the API failed {doing} ({answer})",
                f"retry; if it persists check the API server: kubectl --context {context} cluster-info")
    if type(exc).__module__.split(".")[0] == "docker":
        return f"Docker failed ({one_line(str(exc).strip() or docker_cause(exc), 300)})", DOCKER_FIX
    if isinstance(exc, subprocess.TimeoutExpired):
        return f"{exc.cmd if isinstance(exc.cmd, str) else ' '.join(map(str, exc.cmd))} did not " \
               f"answer within {exc.timeout:g} s", "retry; if it persists, check that tool by hand"
    if isinstance(exc, OSError):
        return one_line(exc.strerror or str(exc) or "an operating system error", 300), \
            "check the file or tool named, then retry"
    if isinstance(exc, ValueError):
        return f"an answer could not be read ({one_line(str(exc), 200) or 'malformed'})", \
            f"retry; if it persists, run drills doctor --context {context} with DRILLS_DEBUG=1"
    message = one_line(str(exc), 300) or "no message"
    return (f"drills failed unexpectedly ({message})",
            f"retry with DRILLS_DEBUG=1 for the details, and report it if it persists")


def check_docker(state: dict) -> dict:
    from drills.cluster.kind import DOCKER_FIX, docker_client
    from drills.errors import NoCluster

    if state["kind_cluster"] is None:
        return item("docker", None, f"not needed for context {state['context']}")
    try:
        state["docker"] = docker_client()
        version = state["docker"].version().get("Version", "?")
        return item("docker", True, f"Docker {version} is running")
    except NoCluster as exc:
        return item("docker", False, exc.message, exc.hint or DOCKER_FIX)


def check_kind(state: dict) -> dict:
    from drills.cluster.kind import KIND_INSTALL, find_kind

    if state["kind_cluster"] is None:
        return item("kind", None, f"not needed for context {state['context']}")
    found = find_kind()
    if found:
        state["kind"] = found
        return item("kind", True, found)
    return item("kind", False, "kind is not installed",
                f"'drills cluster up' downloads it, or {KIND_INSTALL}")


def check_kubectl(state: dict) -> dict:
    path = shutil.which("kubectl")
    if path is None:
        return item("kubectl", False, "kubectl is not on PATH (the drills are solved with it)",
                    KUBECTL_INSTALL)
    try:
        out = subprocess.run([path, "version", "--client", "-o", "json"], capture_output=True,
                             text=True, timeout=15, stdin=subprocess.DEVNULL).stdout
        version = (json.loads(out).get("clientVersion") or {}).get("gitVersion", "?")
    except (OSError, ValueError, subprocess.TimeoutExpired):
        version = "version unknown"
    return item("kubectl", True, f"{path} ({version})")


def check_context(state: dict) -> dict:
    from drills.cluster.session import kubeconfig_contexts, kubeconfig_paths, missing_context_hint
    from drills.errors import NoCluster

    try:
        present = state["context"] in kubeconfig_contexts(kubeconfig_paths())
    except NoCluster as exc:
        return item("context", False, exc.message, exc.hint or "")
    state["context_present"] = present
    if present:
        return item("context", True, f"{state['context']} is in the kubeconfig")
    return item("context", False, f"{state['context']} is not in the kubeconfig",
                missing_context_hint(state["context"]))


def check_api(state: dict) -> dict:
    from drills.cluster.session import connect
    from drills.errors import DrillsError

    if not state.get("context_present"):
        return item("api", None, "skipped: the context is missing")
    try:
        session = connect(state["context"], state["explicit"], timeout=5.0)
    except DrillsError as exc:
        return item("api", False, exc.message, exc.hint or "")
    state["session"] = session
    return item("api", True, f"Kubernetes {(session.version or {}).get('gitVersion', '?')} answers")


def check_rbac(state: dict) -> dict:
    session = state.get("session")
    if session is None:
        return item("rbac", None, "skipped: the API is not reachable")
    denied = []
    for verb, resource, group, sub in RBAC_NEEDS:
        allowed, _ = session.api.access_review(verb, resource, group, sub)
        if not allowed:
            denied.append(f"{verb} {resource}{'/' + sub if sub else ''}")
    if denied:
        return item("rbac", False, f"not allowed: {', '.join(denied)}",
                    f"ask for these permissions in context {state['context']}, or use drills' own "
                    "cluster: drills cluster up")
    return item("rbac", True, f"all {len(RBAC_NEEDS)} permissions drills needs are granted")


def check_image(state: dict) -> dict:
    image = default_image()
    want = normalize_image(image)
    fix = (f"drills cluster up (loads {image} into the nodes)" if state["context"] == DEFAULT_CONTEXT
           else f"make {image} pullable by the nodes, or set DRILLS_IMAGE")
    if state["kind_cluster"] and state.get("docker") is not None:
        missing = []
        nodes = state["docker"].containers.list(
            filters={"label": f"{KIND_NODE_LABEL}={state['kind_cluster']}"})
        if not nodes:
            return item("image", None, f"no kind nodes of cluster {state['kind_cluster']} in Docker")
        for node in nodes:
            code, out = node.exec_run(["crictl", "images", "-o", "json"])
            tags = {t for img in (json.loads(out or b"{}").get("images") or [])
                    for t in img.get("repoTags") or []} if code == 0 else set()
            if want not in tags:
                missing.append(node.name)
        if missing:
            return item("image", False, f"{image} is missing on {', '.join(sorted(missing))}", fix)
        return item("image", True, f"{image} is on all {len(nodes)} nodes")
    session = state.get("session")
    if session is None:
        return item("image", None, "skipped: the API is not reachable")
    nodes = session.api.list("nodes")
    missing = [n["metadata"]["name"] for n in nodes
               if not any(want in {normalize_image(x) for x in img.get("names") or []}
                          for img in (n.get("status") or {}).get("images") or [])]
    if missing:
        # status.images is capped at 50 per node, so absence is not proof
        return item("image", None, f"{image} is not listed on {', '.join(missing)} (the nodes "
                                   "may still pull it)", fix)
    return item("image", True, f"{image} is on all {len(nodes)} nodes")


def check_kube_proxy(state: dict) -> dict:
    session = state.get("session")
    if session is None:
        return item("kube-proxy", None, "skipped: the API is not reachable")
    sets = [d for d in session.api.list("daemonsets", "kube-system")
            if d["metadata"]["name"] == "kube-proxy"]
    fix = ("drills grades Service traffic; run kube-proxy (or a replacement that implements "
           "ClusterIP and NodePort), or use drills cluster up")
    if not sets:
        return item("kube-proxy", False, "no kube-proxy DaemonSet in kube-system", fix)
    status = sets[0].get("status") or {}
    ready, want = status.get("numberReady", 0), status.get("desiredNumberScheduled", 0)
    if want and ready >= want:
        return item("kube-proxy", True, f"ready on {ready} of {want} nodes")
    return item("kube-proxy", False, f"ready on {ready} of {want} nodes", fix)


class _CallableModule(types.ModuleType):
    """`from drills.cluster import doctor` yields this module (a submodule wins over
    any attribute of that name once imported), so calling it runs doctor()."""

    def __call__(self, context: str, explicit: bool) -> list[dict[str, Any]]:
        return doctor(context, explicit)


sys.modules[__name__].__class__ = _CallableModule
