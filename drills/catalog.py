"""Find scenario folders and validate their metadata against the schema.

A scenario is any folder holding a `scenario.yaml`: the built-in ones ship in
the package (`drills.scenarios`), and more packs can be added with
DRILLS_SCENARIO_PATH (folders separated by the OS path separator).
"""
from __future__ import annotations

import difflib
import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from drills.errors import BadScenarioPack, UnknownScenario

METADATA = "scenario.yaml"
TEMPLATE_SUFFIX = ".yaml.j2"


@dataclass(frozen=True)
class Scenario:
    id: str
    folder: Path
    meta: dict[str, Any] = field(repr=False, hash=False, compare=False)

    @property
    def title(self) -> str:
        return self.meta["title"]

    @property
    def checks(self) -> list[dict[str, Any]]:
        return self.meta["checks"]

    def template_names(self) -> list[str]:
        declared = self.meta.get("manifests")
        if declared:
            return list(declared)
        return sorted(p.name for p in (self.folder / "templates").glob(f"*{TEMPLATE_SUFFIX}"))

    def variant_count(self) -> int:
        """How many distinct drills the parameters can generate (an estimate for
        free-form draws such as typos, exact for choices and ranges)."""
        count = 1
        for spec in self.meta["parameters"].values():
            if "choice" in spec:
                count *= len(spec["choice"])
            elif "int" in spec:
                count *= spec["int"][1] - spec["int"][0] + 1
            elif "words" in spec:
                from drills.params import word_list
                count *= len(word_list(spec["words"]))
            elif "port" in spec:
                from drills.params import CONTAINER_PORTS, SERVICE_PORTS
                count *= len(SERVICE_PORTS if spec["port"] == "service" else CONTAINER_PORTS)
            elif "nodeport" in spec:
                count *= 2768
            elif "typo" in spec or "key_slip" in spec:
                count *= 3
        return count


def builtin_root() -> Path:
    return Path(str(resources.files("drills.scenarios")))


def search_path() -> list[Path]:
    roots = [builtin_root()]
    extra = os.environ.get("DRILLS_SCENARIO_PATH", "")
    roots += [Path(p).expanduser() for p in extra.split(os.pathsep) if p.strip()]
    return roots


@lru_cache(maxsize=1)
def _validator():
    import jsonschema  # deferred: only validation needs it
    schema = json.loads(resources.files("drills").joinpath("schema", "scenario.schema.json").read_text())
    return jsonschema.Draft202012Validator(schema)


def _validate(meta: Any, source: Path) -> None:
    if not isinstance(meta, dict):
        raise BadScenarioPack(f"{source}: the top level must be a mapping",
                              "see scenarios/selector-mismatch/scenario.yaml for the format")
    errors = sorted(_validator().iter_errors(meta), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        where = ".".join(str(p) for p in err.absolute_path) or "(top level)"
        raise BadScenarioPack(f"{source}: field {where}: {err.message}",
                              "fix that field; the schema is drills/schema/scenario.schema.json")
    if meta["id"] != source.parent.name:
        raise BadScenarioPack(f"{source}: field id: {meta['id']!r} differs from its folder name "
                              f"{source.parent.name!r}", "rename the folder or the id so they match")
    names = [c.get("as", c["id"]) for c in meta["checks"]]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise BadScenarioPack(f"{source}: field checks: {', '.join(dupes)} used twice",
                              "give repeated checks distinct 'as' names")
    broken = meta["broken"]
    for name in broken.get("pass", []) + broken["fail"]:
        if name not in names:
            raise BadScenarioPack(f"{source}: field broken: {name!r} is not one of the checks",
                                  f"use one of: {', '.join(names)}")


def load_folder(folder: Path) -> Scenario:
    source = folder / METADATA
    try:
        stat = source.stat()
    except OSError as exc:
        raise BadScenarioPack(f"{source}: cannot be read ({exc.strerror})",
                              "check the folder's permissions") from exc
    return _load(source, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=256)
def _load(source: Path, mtime_ns: int, size: int) -> Scenario:
    """Parse and validate once per file version (keyed by mtime and size)."""
    try:
        meta = yaml.load(source.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise BadScenarioPack(f"{source}:{where} is not valid YAML",
                              "fix the YAML syntax there") from exc
    except OSError as exc:
        raise BadScenarioPack(f"{source}: cannot be read ({exc.strerror})",
                              "check the folder's permissions") from exc
    _validate(meta, source)
    return Scenario(id=meta["id"], folder=source.parent, meta=meta)


def discover() -> dict[str, Scenario]:
    """All scenarios on the search path; a later pack may not shadow an earlier id."""
    found: dict[str, Scenario] = {}
    for root in search_path():
        if not root.is_dir():
            raise BadScenarioPack(f"scenario pack {root} is not a folder",
                                  "fix DRILLS_SCENARIO_PATH")
        for meta_file in sorted(root.glob(f"*/{METADATA}")):
            scenario = load_folder(meta_file.parent)
            if scenario.id in found:
                raise BadScenarioPack(
                    f"scenario id {scenario.id!r} is defined twice: {found[scenario.id].folder} "
                    f"and {scenario.folder}", "rename one of the folders")
            found[scenario.id] = scenario
    return found


def get(scenario_id: str) -> Scenario:
    scenarios = discover()
    if scenario_id in scenarios:
        return scenarios[scenario_id]
    close = difflib.get_close_matches(scenario_id, list(scenarios), n=3, cutoff=0.5)
    hint = (f"did you mean {' or '.join(close)}?" if close
            else "run 'drills list' to see the scenarios")
    raise UnknownScenario(f"unknown scenario {scenario_id!r}", hint)
