"""What a learner's cluster says about itself, verified before drills acts on it.

A learner controls every object and annotation in their cluster. drills still
acts only on namespaces that carry its label, and a drill annotation counts only
when it agrees with the namespace that carries it: its main namespace is that
namespace, its extra namespaces are the ones drills derives for it and carry the
label, its image is drills' configured image, and scenario, seed, level and
params re-render to exactly those namespaces and params. Anything else is
UnsafeTarget (exit 12) naming the namespace.
"""
from __future__ import annotations

import json
from typing import Any

from drills.cluster import objects as O
from drills.errors import UnknownScenario, UnsafeTarget


def require_labelled(api: Any, namespace: str) -> dict | None:
    """The namespace if drills may act in it, None if it does not exist;
    one without drills' label (or a protected one) is refused."""
    ns = api.get("namespaces", namespace)
    if ns is not None:
        O.refuse_unless_drill_namespace(ns)
    return ns


def _refuse(namespace: str, why: str) -> UnsafeTarget:
    return UnsafeTarget(f"namespace {namespace} carries drills' label, but {why}; drills will "
                        "not grade or probe it",
                        f"drills acts only on drills it started; inspect it with "
                        f"kubectl get namespace {namespace} -o yaml")


def annotated_identity(ns: dict) -> dict[str, Any]:
    """The drill annotation, well-typed (the same schema as an evidence bundle's drill)."""
    from drills.evidence import _describe, _field, identity_validator

    name = ns["metadata"]["name"]
    raw = ((ns.get("metadata") or {}).get("annotations") or {}).get(O.DRILL_ANNOTATION)
    if not raw:
        raise _refuse(name, f"it has no {O.DRILL_ANNOTATION} annotation")
    if len(raw) > 64 * 1024:
        raise _refuse(name, f"its {O.DRILL_ANNOTATION} annotation is {len(raw)} characters long")
    try:
        identity = json.loads(raw)
    except (ValueError, RecursionError):
        raise _refuse(name, f"its {O.DRILL_ANNOTATION} annotation is not JSON") from None
    import jsonschema
    error = jsonschema.exceptions.best_match(identity_validator().iter_errors(identity))
    if error is not None:
        where = _field(error.absolute_path)
        where = "" if where == "(top level)" else f" field {where}"
        raise _refuse(name, f"its {O.DRILL_ANNOTATION} annotation{where} is not drills' "
                            f"({_describe(error)})")
    return identity


def verified_plan(api: Any, namespace: str, image: str):
    """The plan of the drill in `namespace`, rendered from verified facts only."""
    from drills import catalog
    from drills.render import namespace_for, render

    ns = require_labelled(api, namespace)
    if ns is None:
        raise _refuse(namespace, "it no longer exists")
    identity = annotated_identity(ns)
    if identity["namespace"] != namespace:
        raise _refuse(namespace, f"its drill annotation names namespace {identity['namespace']}, "
                                 "not the namespace that carries it")
    if identity["image"] != image:
        raise UnsafeTarget(f"namespace {namespace}: its drill annotation names image "
                           f"{identity['image'][:100]!r}, not drills' configured image {image}; drills "
                           "will not run it", "if that is your mirror, set DRILLS_IMAGE to it")
    labels = ns["metadata"].get("labels") or {}
    if labels.get(O.SCENARIO_LABEL) != identity["scenario"] or \
            labels.get(O.SEED_LABEL) != str(identity["seed"]):
        raise _refuse(namespace, f"its {O.SCENARIO_LABEL}/{O.SEED_LABEL} labels disagree with its "
                                 "drill annotation")
    try:
        scenario = catalog.get(identity["scenario"])
    except UnknownScenario as exc:
        raise UnknownScenario(f"namespace {namespace}: {exc.message}", exc.hint) from None
    level = identity.get("level")
    if level is not None and level not in (scenario.meta.get("levels") or {}):
        raise _refuse(namespace, f"its drill annotation names level {level!r}, which scenario "
                                 f"{scenario.id} does not have")
    derived = namespace_for(scenario.id, identity["seed"], level)
    if derived != namespace:
        raise _refuse(namespace, f"scenario {scenario.id} seed {identity['seed']} runs in namespace "
                                 f"{derived}, not in this one")
    plan = render(scenario, identity["seed"], namespace=namespace, image=image, level=level)
    if plan.params != identity["params"]:
        raise _refuse(namespace, f"its drill annotation's params differ from what scenario "
                                 f"{scenario.id} seed {identity['seed']} draws")
    for extra in plan.extra_namespaces.values():
        other = require_labelled(api, extra)       # an extra the learner deleted is graded as gone
        if other is None:
            continue
        raw = ((other["metadata"].get("annotations") or {}).get(O.DRILL_ANNOTATION))
        try:
            points_at = json.loads(raw).get("namespace") if raw else None
        except (ValueError, AttributeError, RecursionError):
            points_at = None
        if points_at != namespace:
            raise _refuse(extra, f"it is not an extra namespace of drill {namespace}")
    return plan
