"""A fake of the small API surface drills.cluster uses, fed with real shapes.

`FakeKube` has KubeApi's methods and keeps objects as plain dicts. Objects
that a cluster's controllers would make (pods, EndpointSlices, Endpoints,
events) come from tests/fixtures/real-cluster/ (what a real v1.32 cluster
returned), copied into the drill's namespace by `FixtureWorld` after a few
API calls, the way a controller answers a moment after an apply.

`ShimExec` runs the probe batch script for real in /bin/sh, with `wget` and
`nslookup` replaced by shims printing recorded busybox output.
"""
from __future__ import annotations

import copy
import itertools
import json
import os
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from drills.cluster.api import ApiError, ExecFailed, RESOURCES, resource_for, with_kind
from drills.render import CheckCall, Fix, Plan

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "real-cluster"
FIXTURE_KINDS = {"pods": "pods", "endpointslices.discovery.k8s.io": "endpointslices",
                 "endpoints": "endpoints", "events": "events", "services": "services",
                 "deployments": "deployments", "nodes": "nodes"}

# Real busybox 1.36 output (tests/fixtures/real-cluster/*/probes.json)
REFUSED = (1, "", "wget: can't connect to remote host (198.19.162.221): Connection refused\n")
TIMED_OUT = (1, "", "wget: download timed out\n")
BAD_ADDRESS = (1, "", "wget: bad address 'nope:80'\n")
NOT_FOUND = (1, "", "wget: server returned error: HTTP/1.1 404 Not Found\n")


def ok(pod: str) -> tuple[int, str, str]:
    return (0, pod + "\n", "")


def real(case: str) -> dict[str, Any]:
    """objects.json of one recorded state, under the bundle's kind names."""
    raw = json.loads((REAL / case / "objects.json").read_text())
    out = {FIXTURE_KINDS[k]: v for k, v in raw.items() if k in FIXTURE_KINDS}
    out["version"] = raw["version"]
    return out


def real_probes(case: str) -> list[dict]:
    return json.loads((REAL / case / "probes.json").read_text())


def _matches(labels: dict, selector: str | None) -> bool:
    if not selector:
        return True
    for term in selector.split(","):
        key, eq, value = term.partition("=")
        if eq and labels.get(key) != value:
            return False
        if not eq and key not in labels:
            return False
    return True


class FakeKube:
    def __init__(self, version: dict | None = None):
        self.objects: dict[tuple[str, str, str], dict] = {}
        self.calls: list[tuple] = []
        self.version_info = version or real("selector-mismatch-broken")["version"]
        self.list_errors: dict[str, Exception] = {}
        self.apply_errors: list[Exception] = []      # raised by the next applies, in order
        self.exec_fn: Callable[..., tuple[int, str, str]] | None = None
        self.controllers: list[Callable[["FakeKube"], None]] = []
        self.terminating_gets = 0                     # gets a deleted namespace stays visible
        self.denied: set[tuple[str, str, str]] = set()
        self._uid = itertools.count(1)

    # helpers for tests
    def put(self, obj: dict, namespace: str | None = None, resource: str | None = None) -> dict:
        obj = copy.deepcopy(obj)
        resource = resource or resource_for(obj)
        meta = obj.setdefault("metadata", {})
        if RESOURCES[resource][2]:
            meta["namespace"] = namespace or meta.get("namespace")
        else:
            meta.pop("namespace", None)
        meta.setdefault("uid", f"uid-{next(self._uid)}")
        meta.setdefault("creationTimestamp", "2026-11-30T03:00:00Z")
        self.objects[(resource, meta.get("namespace") or "", meta["name"])] = obj
        return obj

    def names(self, resource: str, namespace: str | None = None) -> list[str]:
        return sorted(n for (r, ns, n) in self.objects if r == resource
                      and (namespace is None or ns == namespace))

    def _tick(self) -> None:
        for controller in list(self.controllers):
            controller(self)

    # the KubeApi surface
    def version(self, timeout: float = 10.0) -> dict:
        self.calls.append(("version",))
        return dict(self.version_info)

    def list(self, resource: str, namespace: str | None = None,
             label_selector: str | None = None) -> list[dict]:
        self.calls.append(("list", resource, namespace))
        self._tick()
        if resource in self.list_errors:
            raise self.list_errors[resource]
        items = [copy.deepcopy(o) for (r, ns, _), o in sorted(self.objects.items())
                 if r == resource and (namespace is None or ns == namespace)
                 and _matches((o.get("metadata") or {}).get("labels") or {}, label_selector)]
        return with_kind(resource, [{k: v for k, v in o.items() if k not in ("apiVersion", "kind")}
                                    for o in items])

    def get(self, resource: str, name: str, namespace: str | None = None) -> dict | None:
        self.calls.append(("get", resource, namespace, name))
        self._tick()
        obj = self.objects.get((resource, namespace or "", name))
        if obj is not None and resource == "namespaces" and obj["metadata"].get("deletionTimestamp"):
            obj["_gets_left"] = obj.get("_gets_left", self.terminating_gets) - 1
            if obj["_gets_left"] < 0:
                self._drop_namespace(name)
                return None
        return copy.deepcopy({k: v for k, v in obj.items() if k != "_gets_left"}) if obj else None

    def create(self, resource: str, body: dict, namespace: str | None = None) -> dict:
        self.calls.append(("create", resource, namespace, body["metadata"]["name"]))
        key = (resource, namespace or "", body["metadata"]["name"])
        if key in self.objects:
            raise ApiError(409, "AlreadyExists", f"{resource} \"{key[2]}\" already exists")
        obj = self.put(body, namespace, resource)
        if resource == "namespaces":
            obj["status"] = {"phase": "Active"}
        return copy.deepcopy(obj)

    def apply(self, obj: dict, namespace: str | None = None, *, manager: str = "drills") -> dict:
        self.calls.append(("apply", obj["kind"], namespace, obj["metadata"]["name"]))
        if self.apply_errors:
            raise self.apply_errors.pop(0)
        if namespace and ("namespaces", "", namespace) not in self.objects:
            raise ApiError(404, "NotFound", f"namespaces \"{namespace}\" not found")
        resource = resource_for(obj)
        previous = self.objects.get((resource, namespace or "", obj["metadata"]["name"]))
        merged = copy.deepcopy(obj)
        if previous and "status" in previous:
            merged["status"] = previous["status"]
        return copy.deepcopy(self.put(merged, namespace))

    def delete(self, resource: str, name: str, namespace: str | None = None) -> bool:
        self.calls.append(("delete", resource, namespace, name))
        key = (resource, namespace or "", name)
        if key not in self.objects:
            return False
        if resource == "namespaces":
            self.objects[key]["metadata"]["deletionTimestamp"] = "2026-11-30T03:10:00Z"
            self.objects[key]["status"] = {"phase": "Terminating"}
            if self.terminating_gets <= 0:
                self._drop_namespace(name)
        else:
            del self.objects[key]
        return True

    def _drop_namespace(self, name: str) -> None:
        for key in [k for k in self.objects if k[1] == name or k == ("namespaces", "", name)]:
            del self.objects[key]

    def access_review(self, verb, resource, group="", subresource="", namespace=""):
        return (verb, resource, subresource) not in self.denied, ""

    def exec(self, namespace, pod, argv, *, container=None, timeout=20.0, max_bytes=None):
        self.calls.append(("exec", namespace, pod))
        if self.exec_fn is None:
            raise ExecFailed("no exec in this fake")
        return self.exec_fn(namespace, pod, argv, timeout)


@dataclass
class Session:
    """Stands in for drills.cluster.session.Session."""
    api: FakeKube
    context: str = "kind-drills"
    kubeconfig: str = "/nonexistent/kubeconfig"
    version: dict | None = None
    explicit: bool = False


# --- controllers ---------------------------------------------------------------

RUNNING_PROBE_STATUS = real("selector-mismatch-broken")["pods"][0]["status"]


def kubelet(fake: FakeKube) -> None:
    """Pods drills creates itself (the probe pod) start running at once."""
    for (resource, ns, name), obj in fake.objects.items():
        if resource == "pods" and "status" not in obj:
            status = copy.deepcopy(RUNNING_PROBE_STATUS)
            for cs in status["containerStatuses"]:
                cs["name"] = obj["spec"]["containers"][0]["name"]
            obj["status"] = status


@dataclass
class FixtureWorld:
    """Once a Deployment of the fixture exists in a namespace, and `delay`
    more API calls have passed, the fixture's pods, EndpointSlices, Endpoints
    and events appear there (namespace rewritten); nodes exist from the start."""
    case: str
    delay: int = 2
    seen: dict[str, int] = field(default_factory=dict)
    done: set[str] = field(default_factory=set)

    def __call__(self, fake: FakeKube) -> None:
        data = real(self.case)
        if not fake.names("nodes"):
            for node in data["nodes"]:
                fake.put(node)
        deployments = {d["metadata"]["name"] for d in data["deployments"]}
        for (resource, ns, name) in list(fake.objects):
            if resource != "deployments" or name not in deployments or ns in self.done:
                continue
            self.seen[ns] = self.seen.get(ns, 0) + 1
            if self.seen[ns] <= self.delay:
                continue
            self.done.add(ns)
            for kind in ("pods", "endpointslices", "endpoints", "events"):
                for obj in data[kind]:
                    if kind == "pods" and obj["metadata"]["name"] == "probe":
                        continue  # drills brings its own probe pod
                    fake.put(_renamespaced(obj, ns), ns)


def _renamespaced(obj: dict, ns: str) -> dict:
    text = json.dumps(obj)
    old = obj["metadata"].get("namespace")
    return json.loads(text.replace(f'"{old}"', f'"{ns}"')) if old else json.loads(text)


# --- exec: the batch script run for real with shimmed busybox tools ---------------------

class ShimExec:
    """exec_fn running `sh -c script` locally. `answers` maps a URL (or a DNS
    name) to recorded (rc, stdout, stderr) triples, used in order and the last
    one repeated; unknown URLs answer like busybox does for an unknown name."""

    def __init__(self, tmp_path: Path, answers: dict[str, list[tuple[int, str, str]]],
                 cycle: bool = False):
        self.dir = tmp_path / "shims"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.state = tmp_path / "shim-state"
        self.state.mkdir(exist_ok=True)
        self.scripts: list[str] = []
        self.answers = answers
        self.cycle = cycle
        self._write()

    def set(self, answers: dict[str, list[tuple[int, str, str]]]) -> None:
        self.answers = answers
        for f in self.state.iterdir():
            f.unlink()
        self._write()

    def _write(self) -> None:
        cases = []
        for n, (target, triples) in enumerate(self.answers.items()):
            for i, (rc, out, err) in enumerate(triples):
                (self.dir / f"r{n}.{i}").write_text(
                    f"printf '%s' {shlex.quote(out)}; printf '%s' {shlex.quote(err)} >&2; exit {rc}\n")
            pick = (f"i=$((c % {len(triples)}))" if self.cycle
                    else f"i=$c; [ $i -ge {len(triples)} ] && i={len(triples) - 1}")
            cases.append(f"  {shlex.quote(target)}) k={n}; {pick} ;;")
        body = "\n".join(cases)
        for tool, unknown in (("wget", "echo \"wget: bad address '${t#http://}'\" >&2; exit 1"),
                              ("nslookup", "echo \"** server can't find $t: NXDOMAIN\"; exit 1")):
            script = self.dir / tool
            script.write_text(
                "#!/bin/sh\nfor a; do t=$a; done\n"
                f"f={shlex.quote(str(self.state))}/\"$(echo \"$t\" | cksum | cut -d' ' -f1)\"\n"
                "c=$(cat \"$f\" 2>/dev/null || echo 0); echo $((c+1)) > \"$f\"\n"
                f"case \"$t\" in\n{body}\n  *) {unknown} ;;\nesac\n"
                f"exec sh {shlex.quote(str(self.dir))}/r$k.$i\n")
            script.chmod(0o755)

    def __call__(self, namespace: str, pod: str, argv: list[str], timeout: float):
        self.scripts.append(argv[-1])
        env = {**os.environ, "PATH": f"{self.dir}:{os.environ['PATH']}"}
        try:
            done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ExecFailed(f"the probe command did not finish within {timeout:g} s") from None
        return done.returncode, done.stdout, done.stderr


# --- plans ---------------------------------------------------------------------------

def deployment(name: str = "web", labels: dict | None = None, replicas: int = 2,
               port: int = 8080, image: str = "busybox:1.36") -> dict:
    labels = labels or {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "labels": dict(labels)},
            "spec": {"replicas": replicas, "selector": {"matchLabels": dict(labels)},
                     "template": {"metadata": {"labels": dict(labels)},
                                  "spec": {"containers": [{"name": name, "image": image,
                                                           "ports": [{"containerPort": port}]}]}}}}


def service(name: str = "web", selector: dict | None = None, port: int = 80, target: Any = 8080,
            type: str = "ClusterIP") -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"type": type, "selector": selector or {"app": "webb"},
                     "ports": [{"port": port, "targetPort": target, "protocol": "TCP"}]}}


def make_plan(namespace: str = "drill-selector-mismatch-7", *, manifests: list | None = None,
              extra: dict | None = None, timeout: float = 5.0, cluster_wide: bool = False,
              checks: list[CheckCall] | None = None, fixes: dict[str, Fix] | None = None,
              broken_pass: list[str] | None = None, broken_fail: list[str] | None = None) -> Plan:
    return Plan(scenario="selector-mismatch", title="t", seed=7, namespace=namespace,
                extra_namespaces=dict(extra or {}), image="busybox:1.36", level=None,
                params={"app": "web"}, task="t", hints=[], solution=[],
                manifests=manifests if manifests is not None else [deployment(), service()],
                checks=checks or [], broken_pass=broken_pass or [],
                broken_fail=broken_fail or ["x"], broken_timeout=timeout,
                target_minutes=4, cluster_wide=cluster_wide, fixes=fixes or {})
