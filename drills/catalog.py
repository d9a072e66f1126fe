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


from drills.errors import BadScenarioPack, UnknownScenario
from drills.untrusted import MAX_PACK_FILE_BYTES, FileProblem, load_yaml_file, one_line

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


def search_path() -> list[Path | BadScenarioPack]:
    """The folders to search; an entry that cannot even be named (~nouser) is its error."""
    roots: list[Path | BadScenarioPack] = [builtin_root()]
    for entry in os.environ.get("DRILLS_SCENARIO_PATH", "").split(os.pathsep):
        if not entry.strip():
            continue
        try:
            roots.append(Path(entry).expanduser())
        except RuntimeError:   # "~user" of a user that does not exist
            roots.append(BadScenarioPack(f"scenario pack {one_line(entry)!r} names an unknown user's home",
                                         "fix DRILLS_SCENARIO_PATH"))
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
        raise BadScenarioPack(f"{source}: field {one_line(where)}: {one_line(err.message)}",
                              "fix that field; the schema is drills/schema/scenario.schema.json")
    if meta["id"] != source.parent.name:
        raise BadScenarioPack(f"{source}: field id: {meta['id']!r} differs from its folder name "
                              f"{one_line(source.parent.name)!r}", "rename the folder or the id so they match")
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
    from drills.params import ParamError, check_declarations
    try:
        check_declarations(meta["parameters"])
    except ParamError as exc:
        raise BadScenarioPack(f"{source}: field parameters.{exc.parameter}: {one_line(exc.reason)}",
                              "fix the parameter declaration") from exc
    for level, values in (meta.get("levels") or {}).items():
        unknown = sorted(set(values) - set(meta["parameters"]))
        if unknown:
            raise BadScenarioPack(f"{source}: field levels.{level}: {one_line(', '.join(unknown))} "
                                  "is not a declared parameter", "levels may only change declared parameters")


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
        meta = load_yaml_file(source, MAX_PACK_FILE_BYTES)
    except FileProblem as exc:
        raise BadScenarioPack(f"{source} {exc}", "fix the file there: a few KiB of UTF-8 YAML") from exc
    _validate(meta, source)
    return Scenario(id=meta["id"], folder=source.parent, meta=meta)


@dataclass(frozen=True)
class Catalog:
    """The scenarios that load, and one error for each folder that does not."""
    scenarios: dict[str, Scenario]
    broken: dict[str, BadScenarioPack]      # scenario folder name -> why it is skipped
    problems: list[BadScenarioPack]         # every reason something was skipped, in path order


def scan() -> Catalog:
    """All scenarios on the search path. A broken folder, a missing pack or a second use of an id
    is skipped and recorded, so one bad pack never hides the others (a later pack may not
    shadow an earlier id)."""
    found: dict[str, Scenario] = {}
    broken: dict[str, BadScenarioPack] = {}
    problems: list[BadScenarioPack] = []
    for root in search_path():
        if isinstance(root, BadScenarioPack):
            problems.append(root)
            continue
        if not root.is_dir():
            problems.append(BadScenarioPack(f"scenario pack {one_line(root)} is not a folder",
                                            "fix DRILLS_SCENARIO_PATH"))
            continue
        for meta_file in sorted(root.glob(f"*/{METADATA}")):
            try:
                scenario = load_folder(meta_file.parent)
            except BadScenarioPack as exc:
                broken.setdefault(meta_file.parent.name, exc)
                problems.append(exc)
                continue
            if scenario.id in found:
                problems.append(BadScenarioPack(
                    f"scenario id {scenario.id!r} is defined twice: {found[scenario.id].folder} "
                    f"and {scenario.folder}; the second is skipped", "rename one of the folders"))
                continue
            found[scenario.id] = scenario
    return Catalog(found, {k: v for k, v in broken.items() if k not in found}, problems)


def discover() -> dict[str, Scenario]:
    """The scenarios that load (see scan() for the ones that do not)."""
    return scan().scenarios


def problems() -> list[BadScenarioPack]:
    return scan().problems


def get(scenario_id: str) -> Scenario:
    found = scan()
    if scenario_id in found.scenarios:
        return found.scenarios[scenario_id]
    if scenario_id in found.broken:
        raise found.broken[scenario_id]
    close = difflib.get_close_matches(scenario_id, list(found.scenarios), n=3, cutoff=0.5)
    hint = (f"did you mean {' or '.join(close)}?" if close
            else "run 'drills list' to see the scenarios")
    raise UnknownScenario(f"unknown scenario {one_line(scenario_id)!r}", hint)
