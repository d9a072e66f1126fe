"""Static validation of rendered manifests, before anything could be applied.

It catches what a scenario author can get wrong in a template: unknown kinds,
names the API would reject, ports out of range, bad labels, a second image.
"""
from __future__ import annotations

import re
from typing import Any, Iterable

KNOWN_KINDS = {
    ("v1", "Service"), ("v1", "Pod"), ("v1", "ConfigMap"), ("v1", "Endpoints"),
    ("v1", "ServiceAccount"),
    ("apps/v1", "Deployment"), ("apps/v1", "StatefulSet"), ("apps/v1", "DaemonSet"),
    ("apps/v1", "ReplicaSet"),
    ("discovery.k8s.io/v1", "EndpointSlice"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("batch/v1", "Job"),
}
POD_TEMPLATE_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
IANA_SVC_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
NODEPORT_MIN, NODEPORT_MAX = 30000, 32767


class ManifestError(ValueError):
    pass


def valid_label_key(key: str) -> bool:
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not DNS1123_SUBDOMAIN.match(prefix)):
        return False
    return 0 < len(name) <= 63 and bool(LABEL_NAME.match(name))


def valid_label_value(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= 63 and bool(LABEL_VALUE.match(value))


def valid_port_name(name: str) -> bool:
    return (isinstance(name, str) and 0 < len(name) <= 15 and bool(IANA_SVC_NAME.match(name))
            and "--" not in name and any(c.isalpha() for c in name))


def _labels(where: str, labels: Any) -> None:
    if labels is None:
        return
    if not isinstance(labels, dict):
        raise ManifestError(f"{where}: must be a mapping of labels")
    for key, value in labels.items():
        if not valid_label_key(str(key)):
            raise ManifestError(f"{where}: {key!r} is not a valid label key")
        if not valid_label_value(value):
            raise ManifestError(f"{where}: value {value!r} of {key} is not a valid label value "
                                "(quote numbers and booleans)")


def _port_number(where: str, value: Any, lo: int = 1, hi: int = 65535) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise ManifestError(f"{where}: {value!r} is not a port in {lo}-{hi}")


def _pod_spec(where: str, spec: dict, image: str) -> None:
    containers = (spec or {}).get("containers") or []
    if not containers:
        raise ManifestError(f"{where}: has no containers")
    for c in containers + list(spec.get("initContainers") or []):
        cwhere = f"{where} container {c.get('name')}"
        if not DNS1123_LABEL.match(str(c.get("name", ""))):
            raise ManifestError(f"{cwhere}: name is not a DNS-1123 label")
        if c.get("image") != image:
            raise ManifestError(f"{cwhere}: image {c.get('image')!r}; every drill workload uses "
                                f"the one configured image {image!r}")
        for p in c.get("ports") or []:
            _port_number(f"{cwhere} containerPort", p.get("containerPort"))
            if "name" in p and not valid_port_name(p["name"]):
                raise ManifestError(f"{cwhere}: port name {p['name']!r} is not a valid IANA service name")


def _service(where: str, spec: dict) -> None:
    stype = spec.get("type", "ClusterIP")
    if stype not in {"ClusterIP", "NodePort", "LoadBalancer", "ExternalName"}:
        raise ManifestError(f"{where}: unknown type {stype!r}")
    if stype == "ExternalName":
        if not DNS1123_SUBDOMAIN.match(str(spec.get("externalName", ""))):
            raise ManifestError(f"{where}: externalName must be a DNS name")
        return
    _labels(f"{where} selector", spec.get("selector"))
    ports = spec.get("ports") or []
    if not ports:
        raise ManifestError(f"{where}: has no ports")
    for p in ports:
        _port_number(f"{where} port", p.get("port"))
        target = p.get("targetPort", p.get("port"))
        if isinstance(target, str):
            if not valid_port_name(target):
                raise ManifestError(f"{where}: targetPort {target!r} is not a valid port name")
        else:
            _port_number(f"{where} targetPort", target)
        if "nodePort" in p:
            if stype == "ClusterIP":
                raise ManifestError(f"{where}: nodePort on a ClusterIP Service")
            _port_number(f"{where} nodePort", p["nodePort"], NODEPORT_MIN, NODEPORT_MAX)
        if len(ports) > 1 and not p.get("name"):
            raise ManifestError(f"{where}: every port of a multi-port Service needs a name")


def validate(objects: Iterable[dict], namespaces: set[str], image: str) -> None:
    for obj in objects:
        if not isinstance(obj, dict):
            raise ManifestError(f"a manifest document is a {type(obj).__name__}, not a mapping")
        api, kind = obj.get("apiVersion"), obj.get("kind")
        if (api, kind) not in KNOWN_KINDS:
            raise ManifestError(f"{api}/{kind} is not a kind drills deploys")
        meta = obj.get("metadata") or {}
        name = str(meta.get("name", ""))
        where = f"{kind} {name or '(unnamed)'}"
        pattern = DNS1035_LABEL if kind == "Service" else DNS1123_SUBDOMAIN
        if not pattern.match(name) or len(name) > (63 if kind == "Service" else 253):
            raise ManifestError(f"{where}: name is not a valid {kind} name")
        if meta.get("namespace") not in (None, *namespaces):
            raise ManifestError(f"{where}: namespace {meta['namespace']!r} is not one of the drill's "
                                f"namespaces {sorted(namespaces)}")
        _labels(f"{where} labels", meta.get("labels"))
        spec = obj.get("spec") or {}
        if kind == "Service":
            _service(where, spec)
        elif kind == "Pod":
            _pod_spec(where, spec, image)
        elif kind in POD_TEMPLATE_KINDS:
            template = spec.get("template") or {}
            _labels(f"{where} pod template labels", (template.get("metadata") or {}).get("labels"))
            selector = (spec.get("selector") or {}).get("matchLabels")
            if kind != "Job":
                _labels(f"{where} selector", selector)
                tlabels = (template.get("metadata") or {}).get("labels") or {}
                if not selector or any(tlabels.get(k) != v for k, v in selector.items()):
                    raise ManifestError(f"{where}: selector {selector} does not match its pod "
                                        f"template labels {tlabels}")
            _pod_spec(f"{where} pod template", template.get("spec") or {}, image)
