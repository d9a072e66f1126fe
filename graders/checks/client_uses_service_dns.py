"""client.uses-service-dns: a client workload's configured URL names the
Service by a DNS name that resolves to it from the client's own namespace,
on the Service's port."""
from __future__ import annotations

from drills.graders.checks._client import (env_source, is_ip, lookup_order, parse_target,
                                           require_client, service_for, service_name_parts)
from drills.graders.checks._common import as_int, decides, require_kinds
from drills.graders.registry import STAGE_REACH, check, failed, passed


def _meaning(host: str, tried: list[str], resolved: tuple[str, str] | None, namespace: str) -> str:
    """What the host name means to the client's resolver, in words."""
    if resolved:
        return f"it resolves to Service {resolved[0]} of namespace {resolved[1]}"
    meant = next((parts for name in tried if (parts := service_name_parts(name))), None)
    if meant:
        via = ("names " if host.rstrip(".") == f"{meant[0]}.{meant[1]}.svc.cluster.local"
               else f"from namespace {namespace}, {host} means ")
        return f"{via}Service {meant[0]} of namespace {meant[1]}, which does not exist"
    return f"{host} is no Service's name (those read <service>.<namespace>.svc.cluster.local)"


@check("client.uses-service-dns", "The client names the Service by a DNS name valid where it runs",
       stage=STAGE_REACH)
@decides
def client_uses_service_dns(ev, workload, namespace, env, service, service_namespace, port,
                            kind="Deployment"):
    fqdn = f"{service}.{service_namespace}.svc.cluster.local"
    want_port = as_int(port)
    subject = f"{kind} {workload} in namespace {namespace}"
    want = f"{env} naming {fqdn} (or {service}.{service_namespace}) on port {want_port}"
    client = require_client(ev, workload, namespace, kind, subject, want)
    require_kinds(ev, subject, want, "services")
    value, source = env_source(client, env)
    hint = f"kubectl -n {namespace} set env {kind.lower()}/{workload} --list"
    if value is None:
        if source.startswith("no env"):
            return failed(subject, want, f"{source} in its containers", hint)
        return passed(subject, want, f"{source}, which drills does not read; the client's "
                      "readiness shows whether it works")
    target = parse_target(value)
    shown = f"{env}={value}"
    if target.scheme != "http":
        return failed(subject, want, f"{shown}: scheme {target.scheme or '(none)'}, but the Service "
                      "serves plain HTTP", hint)
    svc = ev.service(service, service_namespace) or {}
    cluster_ip = (svc.get("spec") or {}).get("clusterIP")
    if is_ip(target.host):
        what = "the Service's ClusterIP" if target.host == cluster_ip else "an IP address"
        return failed(subject, want, f"{shown} uses {what}, which changes when the Service is "
                      "recreated; use the Service's DNS name", hint)
    tried = lookup_order(target.host, namespace)
    resolved = next((found for name in tried if (found := service_for(name, ev))), None)
    if resolved != (service, service_namespace):
        return failed(subject, want, f"{shown}: {_meaning(target.host, tried, resolved, namespace)}",
                      hint)
    if target.port != want_port:
        return failed(subject, want, f"{shown}: port {target.port}, but Service {service} opens "
                      f"{want_port}", hint)
    return passed(subject, want, f"{shown} resolves to Service {service} of namespace "
                  f"{service_namespace}, port {want_port}")
