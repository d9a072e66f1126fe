"""Look-ups for checks about a client workload that may live in another drill
namespace: the workload, its pods, and the URL it is configured with.

Nothing here registers a check (the module name starts with "_").
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from drills.evidence import Evidence, labels_of, name_of, selector_matches
from drills.graders.checks._common import (LearnerFault, Undecidable, WORKLOAD_KINDS,
                                           require_kinds)
from drills.graders.registry import failed, undecided

CLUSTER_DOMAIN = "cluster.local"
DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Client:
    kind: str
    name: str
    namespace: str
    live: dict
    pods: list[dict]

    @property
    def title(self) -> str:
        return f"{self.kind} {self.name} in namespace {self.namespace}"

    @property
    def containers(self) -> list[dict]:
        template = (self.live.get("spec") or {}).get("template") or {}
        return list((template.get("spec") or {}).get("containers") or [])


def require_client(ev: Evidence, workload: str, namespace: str, kind: str,
                   subject: str, expected: str) -> Client:
    collection = WORKLOAD_KINDS.get(kind)
    if collection is None:
        raise Undecidable(undecided(subject, expected, f"drills cannot read workloads of kind {kind}"))
    require_kinds(ev, subject, expected, collection, "pods")
    if not ev.objects("pods", namespace) and not ev.objects(collection, namespace):
        # Even the probe pod lives there: an empty namespace means it was not collected.
        raise Undecidable(undecided(subject, expected,
                                    f"the evidence holds nothing from namespace {namespace}",
                                    "collect again with 'drills check'"))
    live = ev.get(collection, workload, namespace)
    if live is None:
        raise LearnerFault(failed(subject, expected, f"no {kind} {workload} in namespace {namespace}",
                                  f"kubectl -n {namespace} get {collection}"))
    selector = ((live.get("spec") or {}).get("selector") or {}).get("matchLabels")
    pods = sorted((p for p in ev.pods(namespace) if selector_matches(selector, labels_of(p))),
                  key=name_of)
    return Client(kind, workload, namespace, live, pods)


def env_source(client: Client, env: str) -> tuple[str | None, str]:
    """(value, where it comes from); value is None when it is not a literal."""
    for container in client.containers:
        for var in container.get("env") or []:
            if var.get("name") == env:
                if "value" in var:
                    return str(var.get("value") or ""), f"env {env}"
                ref = var.get("valueFrom") or {}
                source = next(iter(ref), "valueFrom")
                target = (ref.get(source) or {}).get("name", "")
                return None, f"env {env} from {source} {target}".strip()
        if container.get("envFrom"):
            return None, f"envFrom {container['envFrom']}"
    return None, f"no env {env}"


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int | None


def parse_target(url: str) -> Target:
    parts = urlsplit(url if "://" in url else f"http://{url}")
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return Target(scheme, (parts.hostname or "").lower(), port or DEFAULT_PORTS.get(scheme))


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def lookup_order(host: str, from_namespace: str) -> list[str]:
    """The names a pod's resolver tries for `host` (ClusterFirst DNS policy,
    ndots 5, search <ns>.svc.cluster.local svc.cluster.local cluster.local)."""
    if host.endswith("."):
        return [host.rstrip(".")]
    search = [f"{from_namespace}.svc.{CLUSTER_DOMAIN}", f"svc.{CLUSTER_DOMAIN}", CLUSTER_DOMAIN]
    expanded = [f"{host}.{domain}" for domain in search]
    return [host, *expanded] if host.count(".") >= 5 else [*expanded, host]


def service_name_parts(name: str) -> tuple[str, str] | None:
    """(service, namespace) when `name` has the form <service>.<namespace>.svc.cluster.local."""
    suffix = f".svc.{CLUSTER_DOMAIN}"
    if not name.endswith(suffix):
        return None
    parts = name[: -len(suffix)].split(".")
    return (parts[0], parts[1]) if len(parts) == 2 and all(parts) else None


def service_for(name: str, ev: Evidence) -> tuple[str, str] | None:
    """(service, namespace) when `name` is a Service's in-cluster name that the
    evidence shows to exist."""
    parts = service_name_parts(name)
    if parts is None:
        return None
    service, namespace = parts
    exists = any(name_of(s) == service and (s.get("metadata") or {}).get("namespace") == namespace
                 for s in ev.objects("services", None))
    return (service, namespace) if exists else None
