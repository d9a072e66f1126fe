"""The evidence bundle: what was collected from the cluster, as plain JSON.

It is the contract between collecting (drills.cluster) and judging
(drills.graders). Shape, version 1:

    {
      "kind": "drills.evidence", "version": 1,
      "drill": {"scenario", "seed", "namespace", "image", "level", "params"},
      "context": "kind-drills", "collected_at": "2026-11-30T03:00:00Z",
      "cluster": {"version": {...}},            # as /version returns it
      "objects": {                             # as `kubectl get -o json` items
        "services": [], "endpoints": [], "endpointslices": [], "pods": [],
        "deployments": [], "statefulsets": [], "daemonsets": [],
        "events": [], "nodes": []
      },
      "probes": {"<ProbeSpec.key>": {"kind", "target", "namespace",
                  "error": null | "why the probe could not run (infrastructure)",
                  "unresolved": null | "why no target could be formed from the
                                         learner's objects (e.g. no ClusterIP)",
                  "truncated"?: true when some attempt's output was cut,
                  "attempts": [{"command", "exit_code", "stdout", "stderr",
                                "seconds", "outcome", "answered_by", "detail",
                                "node"?, "names"?, "addresses"?, "cnames"?,
                                "truncated"?}]}},   # stdout/stderr at most
                                                    # drills.probes.OUTPUT_LIMIT
      "errors": [{"source": "pods", "message": "..."}]   # what could not be read
    }

`Evidence` wraps a bundle with the look-ups checks need; it never talks to
a cluster.
"""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

from drills.errors import BadEvidence

BUNDLE_KIND = "drills.evidence"
BUNDLE_VERSION = 1
OBJECT_KINDS = ("services", "endpoints", "endpointslices", "pods", "deployments",
                "statefulsets", "daemonsets", "events", "nodes")


MAX_BUNDLE_BYTES = 64 * 1024 * 1024   # recorded bundles are ~200 KB
MAX_DEPTH = 64                        # recorded bundles nest 17 levels deep
MAX_STRING = 1024 * 1024              # the longest recorded string is ~1.3 KB
FIX_BUNDLE = "pass a file written by 'drills check --save-evidence'"


def load_bundle(path: str | Path) -> dict[str, Any]:
    """Read and validate a bundle; anything malformed is one BadEvidence line."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BUNDLE_BYTES + 1)
    except FileNotFoundError as exc:
        raise BadEvidence(f"evidence file {path} does not exist",
                          "save one with 'drills check --save-evidence FILE'") from exc
    except OSError as exc:
        raise BadEvidence(f"evidence file {path} cannot be read ({exc.strerror or exc})",
                          FIX_BUNDLE) from exc
    if len(raw) > MAX_BUNDLE_BYTES:
        raise BadEvidence(f"evidence file {path} is larger than {MAX_BUNDLE_BYTES // 2**20} MiB",
                          FIX_BUNDLE)
    try:
        data = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise BadEvidence(f"evidence file {path} nests deeper than {MAX_DEPTH} levels",
                          FIX_BUNDLE) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadEvidence(f"evidence file {path} is not readable JSON ({_short(str(exc), 120)})",
                          FIX_BUNDLE) from None
    check_bundle(data, f"evidence file {path}")
    return data


def check_bundle(data: Any, source: str = "evidence") -> None:
    """The bundle's structure, before any check sees it: kind and version first
    (so a foreign file is named as such), then bounds, then the JSON Schema."""
    if not isinstance(data, dict) or data.get("kind") != BUNDLE_KIND:
        raise BadEvidence(f"{source} is not a drills evidence bundle", FIX_BUNDLE)
    if data.get("version") != BUNDLE_VERSION:
        raise BadEvidence(f"{source}: field version: expected {BUNDLE_VERSION}; observed "
                          f"{_short(repr(data.get('version')))}", "collect it again with this drills")
    _check_bounds(data, source)
    error = _first_schema_error(data)
    if error is not None:
        raise BadEvidence(f"{source}: field {_field(error.absolute_path)}: {_describe(error)}",
                          FIX_BUNDLE)


def _check_bounds(data: Any, source: str) -> None:
    """Depth and string length anywhere in the bundle, without recursion."""
    stack: list[tuple[Any, int, tuple]] = [(data, 1, ())]
    while stack:
        value, depth, where = stack.pop()
        if depth > MAX_DEPTH:
            raise BadEvidence(f"{source}: field {_field(where[:8])}...: nests deeper than "
                              f"{MAX_DEPTH} levels", FIX_BUNDLE)
        if isinstance(value, dict):
            for key, item in value.items():
                if len(key) > MAX_STRING:
                    raise BadEvidence(f"{source}: field {_field(where)}: a key is longer than "
                                      f"{MAX_STRING} characters", FIX_BUNDLE)
                stack.append((item, depth + 1, (*where, key)))
        elif isinstance(value, list):
            stack.extend((item, depth + 1, (*where, i)) for i, item in enumerate(value))
        elif isinstance(value, str) and len(value) > MAX_STRING:
            raise BadEvidence(f"{source}: field {_field(where)}: expected at most {MAX_STRING} "
                              f"characters; observed {len(value)}", FIX_BUNDLE)


@lru_cache(maxsize=1)
def _validator():
    import jsonschema  # deferred: only reading a bundle needs it
    schema = json.loads(resources.files("drills").joinpath("schema", "evidence.schema.json").read_text())
    return jsonschema.Draft202012Validator(schema)


def identity_validator():
    """The schema of a drill's identity alone (also what a namespace annotation holds)."""
    import jsonschema
    schema = _validator().schema
    return jsonschema.Draft202012Validator({"$defs": schema["$defs"], "$ref": "#/$defs/identity"})


def _first_schema_error(data: Any):
    import jsonschema
    return jsonschema.exceptions.best_match(_validator().iter_errors(data))


def _field(path: Iterable) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return _short(out, 200) or "(top level)"


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer",
               float: "number", type(None): "null"}


def _describe(error: Any) -> str:
    """'expected ...; observed ...' without echoing a huge or hostile value in full."""
    kind, wanted, value = error.validator, error.validator_value, error.instance
    observed = _short(repr(value))
    if kind == "type":
        wanted = " or ".join(wanted) if isinstance(wanted, list) else wanted
        return f"expected {wanted}; observed {_JSON_TYPES.get(type(value), 'value')} {observed}"
    if kind in ("maxLength", "minLength"):
        return f"expected {'at most' if kind == 'maxLength' else 'at least'} {wanted} characters; " \
               f"observed {len(value)}"
    if kind in ("maxItems", "maxProperties"):
        return f"expected at most {wanted} entries; observed {len(value)}"
    if kind in ("minimum", "maximum"):
        return f"expected a number {'>=' if kind == 'minimum' else '<='} {wanted}; observed {observed}"
    if kind == "const":
        return f"expected {wanted!r}; observed {observed}"
    if kind == "enum":
        return f"expected one of {_short(', '.join(map(str, wanted)), 200)}; observed {observed}"
    if kind == "pattern":
        return f"expected a value matching {wanted}; observed {observed}"
    if kind == "required":
        missing = [k for k in wanted if k not in value]
        return f"expected field(s) {', '.join(missing)}; observed none"
    if kind == "additionalProperties" and isinstance(value, dict):
        known = set((error.schema or {}).get("properties") or {})
        extra = sorted(str(k) for k in value if k not in known)
        return f"expected no other fields; observed {_short(', '.join(extra), 120)}"
    if kind == "propertyNames":
        return f"expected known field names; observed {observed}"
    return _short(error.message, 200)


def replay_bundle(bundle: dict[str, Any], source: str):
    """The plan a (validated) bundle belongs to. Values the bundle brings are the
    bundle's fault (BadEvidence); a scenario that does not render on its own seed
    is the pack's (BadScenarioPack), so it is rendered once without them first."""
    from drills import catalog
    from drills.errors import DrillsError, UnknownScenario
    from drills.render import render

    drill = bundle["drill"]
    try:
        scenario = catalog.get(drill["scenario"])
    except UnknownScenario as exc:
        raise UnknownScenario(f"{source}: field drill.scenario: {exc.message}", exc.hint) from None
    levels = scenario.meta.get("levels") or {}
    level = drill.get("level")
    if level is not None and level not in levels:
        raise BadEvidence(f"{source}: field drill.level: expected one of "
                          f"{', '.join(levels) or '(none)'}; observed {_short(repr(level))}", FIX_BUNDLE)
    declared = set(scenario.meta.get("parameters") or {})
    unknown = sorted(set(drill["params"]) - declared)
    if unknown:
        raise BadEvidence(f"{source}: field drill.params: scenario {scenario.id} has no parameter "
                          f"{_short(', '.join(unknown), 120)}", FIX_BUNDLE)
    render(scenario, drill["seed"], namespace=drill["namespace"], image=drill["image"], level=level)
    try:
        return render(scenario, drill["seed"], namespace=drill["namespace"], image=drill["image"],
                      level=level, overrides=drill["params"])
    except DrillsError as exc:
        raise BadEvidence(f"{source}: field drill.params: the scenario does not render with these "
                          f"values ({_short(exc.message, 200)})", FIX_BUNDLE) from None


# --- small facts about API objects ------------------------------------------

def name_of(obj: dict) -> str:
    return (obj.get("metadata") or {}).get("name", "")


def namespace_of(obj: dict) -> str | None:
    return (obj.get("metadata") or {}).get("namespace")


def labels_of(obj: dict) -> dict[str, str]:
    return dict((obj.get("metadata") or {}).get("labels") or {})


def selector_matches(selector: dict[str, str] | None, labels: dict[str, str]) -> bool:
    """Service-style equality selector; an empty or missing selector selects nothing."""
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def format_labels(labels: dict[str, str] | None) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted((labels or {}).items())) or "(none)"


def pod_condition(pod: dict, kind: str) -> bool:
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind:
            return cond.get("status") == "True"
    return False


def pod_ready(pod: dict) -> bool:
    return pod_condition(pod, "Ready") and not pod_terminating(pod)


def pod_running(pod: dict) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running" and not pod_terminating(pod)


def pod_terminating(pod: dict) -> bool:
    return bool((pod.get("metadata") or {}).get("deletionTimestamp"))


def container_ports(pod_or_template: dict) -> list[dict[str, Any]]:
    """Every declared container port of a pod (or pod template) with its container."""
    spec = pod_or_template.get("spec") or {}
    out = []
    for c in spec.get("containers") or []:
        for p in c.get("ports") or []:
            out.append({"container": c.get("name"), "containerPort": p.get("containerPort"),
                        "name": p.get("name"), "protocol": p.get("protocol", "TCP")})
    return out


def owner_chain_names(pod: dict) -> list[str]:
    return [ref.get("name", "") for ref in (pod.get("metadata") or {}).get("ownerReferences") or []]


class Evidence:
    """Read-only view of one bundle, plus the objects the plan deployed."""

    def __init__(self, bundle: dict[str, Any], planned: Iterable[dict] = ()):
        self.bundle = bundle
        self.drill = bundle.get("drill") or {}
        self.namespace: str = self.drill.get("namespace", "")
        self._objects = bundle.get("objects") or {}
        self.planned = list(planned)

    # objects
    def objects(self, kind: str, namespace: str | None = "") -> list[dict]:
        """Objects of a kind; namespace "" means the drill's own namespace,
        None means every namespace in the bundle."""
        items = self._objects.get(kind) or []
        if namespace is None or kind == "nodes":
            return list(items)
        ns = namespace or self.namespace
        return [o for o in items if namespace_of(o) in (ns, None)]

    def collected(self, kind: str) -> bool:
        """Whether the bundle holds that kind at all (an empty list counts)."""
        return isinstance(self._objects.get(kind), list)

    def get(self, kind: str, name: str, namespace: str = "") -> dict | None:
        return next((o for o in self.objects(kind, namespace) if name_of(o) == name), None)

    def service(self, name: str, namespace: str = "") -> dict | None:
        return self.get("services", name, namespace)

    def pods(self, namespace: str = "", include_terminating: bool = False) -> list[dict]:
        return [p for p in self.objects("pods", namespace)
                if include_terminating or not pod_terminating(p)]

    def pods_matching(self, selector: dict[str, str] | None, namespace: str = "") -> list[dict]:
        return [p for p in self.pods(namespace) if selector_matches(selector, labels_of(p))]

    def endpointslices_for(self, service: str, namespace: str = "") -> list[dict]:
        return [s for s in self.objects("endpointslices", namespace)
                if labels_of(s).get("kubernetes.io/service-name") == service]

    def node_addresses(self) -> dict[str, str]:
        """Node name -> InternalIP."""
        out = {}
        for node in self.objects("nodes"):
            for addr in (node.get("status") or {}).get("addresses") or []:
                if addr.get("type") == "InternalIP":
                    out[name_of(node)] = addr.get("address")
        return out

    def events(self, namespace: str = "") -> list[dict]:
        return self.objects("events", namespace)

    # probes
    def probe(self, key: str) -> dict | None:
        return (self.bundle.get("probes") or {}).get(key)

    @property
    def errors(self) -> list[dict]:
        return list(self.bundle.get("errors") or [])

    # the plan
    def planned_object(self, kind: str, name: str) -> dict | None:
        return next((o for o in self.planned if o.get("kind") == kind and name_of(o) == name), None)
