"""Hostile variants of a bundle drills' collector recorded on a real cluster.

The seed bundles are byte-identical copies of /work/shared/fixtures/recorded/
(tests/fixtures/recorded/); every variant below is derived from one by hand, in
memory, and named for the one thing it breaks."""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Callable

RECORDED = Path(__file__).resolve().parents[2] / "fixtures" / "recorded"
BROKEN = RECORDED / "selector-mismatch" / "seed1-broken.json"
REFERENCE = RECORDED / "selector-mismatch" / "seed1-reference.json"


def recorded(path: Path = BROKEN) -> dict[str, Any]:
    return json.loads(path.read_text())


def put(bundle: Any, path: list | tuple, value: Any) -> Any:
    """Set the value at path in place (KeyError as the value deletes it); returns the bundle."""
    target = bundle
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return bundle


def _set(path: list, value: Any) -> Callable[[dict], Any]:
    return lambda bundle: put(bundle, path, value)


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


# name -> (change to the recorded bundle | raw text, words the one error line must hold)
VARIANTS: dict[str, tuple[Any, list[str]]] = {
    "seed-not-a-number": (_set(["drill", "seed"], "abc"), ["drill.seed"]),
    "seed-negative": (_set(["drill", "seed"], -1), ["drill.seed"]),
    "seed-bool": (_set(["drill", "seed"], True), ["drill.seed"]),
    "params-a-list": (_set(["drill", "params"], ["x"]), ["drill.params"]),
    "scenario-a-list": (_set(["drill", "scenario"], ["x"]), ["drill.scenario"]),
    "unknown-parameter": (lambda b: b["drill"]["params"].update(no_such_param=1) or b,
                          ["drill.params", "no_such_param"]),
    "unknown-level": (_set(["drill", "level"], "nightmare"), ["drill.level", "nightmare"]),
    "param-breaks-the-manifests": (lambda b: b["drill"]["params"].update(app="NOT A LABEL!") or b,
                                   ["drill.params"]),
    "namespace-not-a-name": (_set(["drill", "namespace"], "Kube System"), ["drill.namespace"]),
    "no-drill": (_set(["drill"], KeyError), ["drill"]),
    "seed-missing": (_set(["drill", "seed"], KeyError), ["drill", "seed"]),
    "params-missing": (_set(["drill", "params"], KeyError), ["drill", "params"]),
    "drill-unknown-field": (lambda b: b["drill"].update(evil=1) or b, ["drill", "evil"]),
    "unknown-object-kind": (lambda b: b["objects"].update(secrets=[]) or b, ["objects", "secrets"]),
    "unknown-top-level-field": (lambda b: b.update(payload="x") or b, ["payload"]),
    "no-objects": (_set(["objects"], KeyError), ["objects"]),
    "objects-a-list": (_set(["objects"], []), ["objects"]),
    "pods-a-string": (_set(["objects", "pods"], "x"), ["objects.pods"]),
    "pod-a-number": (lambda b: b["objects"]["pods"].__setitem__(0, 5) or b, ["objects.pods[0]"]),
    "metadata-a-string": (lambda b: b["objects"]["pods"][0].__setitem__("metadata", "x") or b,
                          ["objects.pods[0].metadata"]),
    "label-a-number": (lambda b: b["objects"]["services"][0]["metadata"].setdefault("labels", {})
                       .update(app=3) or b, ["objects.services[0].metadata.labels.app"]),
    "label-5mb": (lambda b: b["objects"]["pods"][0]["metadata"]["labels"].update(big="x" * 5_000_000)
                  or b, ["objects.pods[0].metadata.labels.big"]),
    "probe-attempts-a-dict": (lambda b: next(iter(b["probes"].values())).__setitem__("attempts", {})
                              or b, ["attempts"]),
    "exit-code-a-string": (lambda b: next(iter(b["probes"].values()))["attempts"][0]
                           .__setitem__("exit_code", "0") or b, ["exit_code"]),
    "errors-a-dict": (_set(["errors"], {}), ["errors"]),
    "version-2": (_set(["version"], 2), ["version"]),
    "not-a-bundle": (lambda b: {"hello": "world"}, ["not a drills evidence bundle"]),
    "json-array": ("[1, 2, 3]", ["not a drills evidence bundle"]),
    "nested-100k": (deep(100_000), ["deeper"]),
    "nested-200-in-a-label": (lambda b: b["objects"]["pods"][0]["metadata"].__setitem__(
        "labels", json.loads(deep(200))) or b, ["deeper"]),
    "not-json": ("{\"kind\": ", ["not readable JSON"]),
    "invalid-utf8": (b"\xff\xfe{\"kind\": 1}", ["not readable JSON"]),
    "empty-file": ("", ["not readable JSON"]),
}


def variant_bytes(name: str) -> bytes:
    change, _ = VARIANTS[name]
    if isinstance(change, bytes):
        return change
    if isinstance(change, str):
        return change.encode()
    return json.dumps(change(copy.deepcopy(recorded()))).encode()
