"""Scenario + seed -> Plan: everything a drill is, computed without a cluster.

Pure and deterministic: the same scenario, seed and settings give the same
plan, byte for byte, in any process.
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import yaml

from drills import manifests as manifest_rules
from drills.catalog import Scenario
from drills.config import default_image
from drills.errors import BadScenarioPack
from drills.params import ParamError, draw
from drills.sandbox import (PackEnvironment, PackLoader, deadline, describe, evaluate_bounded, hint_for,
                            render_bounded, template_line)
from drills.untrusted import load_yaml_all, one_line, yaml_problem

SEED_MAX = 999_999
NAMESPACE_PREFIX = "drill-"


@dataclass(frozen=True)
class CheckCall:
    """One use of a registered check in a scenario's grader."""
    id: str
    name: str
    args: dict[str, Any]
    weight: float = 1.0


@dataclass(frozen=True)
class Fix:
    name: str
    outcome: str               # "pass" or "fail"
    about: str
    steps: list[dict[str, str]]
    diagnosis: str | None = None   # for wrong fixes: the check expected to fail first


@dataclass(frozen=True)
class Plan:
    scenario: str
    title: str
    seed: int
    namespace: str
    extra_namespaces: dict[str, str]
    image: str
    level: str | None
    params: dict[str, Any]
    task: str
    hints: list[str]
    solution: list[str]
    manifests: list[dict[str, Any]]
    checks: list[CheckCall]
    broken_pass: list[str]
    broken_fail: list[str]
    broken_timeout: float
    target_minutes: float
    cluster_wide: bool = False
    fixes: dict[str, Fix] = field(default_factory=dict)
    # cluster-wide changes the runtime makes before the manifests, and undoes on reset
    cluster_setup: list[dict[str, Any]] = field(default_factory=list)

    @property
    def namespaces(self) -> list[str]:
        return [self.namespace, *self.extra_namespaces.values()]

    def manifests_yaml(self) -> str:
        return yaml.safe_dump_all(self.manifests, sort_keys=False, default_flow_style=False)

    def identity(self) -> dict[str, Any]:
        """What is needed to render this plan again (stored with evidence)."""
        return {"scenario": self.scenario, "seed": self.seed, "namespace": self.namespace,
                "image": self.image, "level": self.level, "params": self.params}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def reflow(text: str) -> str:
    """Join the lines of each prose paragraph (templates wrap lines before
    substitution, so their breaks fall in odd places); keep list items,
    indented lines and blank lines as they are."""
    out: list[str] = []
    for line in text.strip().splitlines():
        prose = line.strip() and not line[:1].isspace() and not line.lstrip().startswith(("-", "*", "#"))
        if prose and out and out[-1].strip() and not out[-1][:1].isspace() \
                and not out[-1].lstrip().startswith(("-", "*", "#")):
            out[-1] = f"{out[-1].rstrip()} {line.strip()}"
        else:
            out.append(line.rstrip())
    return "\n".join(out)


def random_seed() -> int:
    return random.SystemRandom().randint(0, SEED_MAX)


MAX_NAME = 63                 # a namespace is a DNS-1123 label
MAX_TEXT_CHARS = 64 * 1024    # one rendered text: the task, a hint, a solution step, a fix step
MAX_MANIFEST_CHARS = 1024 * 1024   # one rendered template
MAX_MANIFESTS = 100           # objects in one drill


def _bounded_name(head: str, tail: str) -> str:
    """head + tail when it fits a DNS label; else head cut short plus a hash of the whole head,
    so names that differ anywhere stay different, and the tail (seed, suffix) stays whole."""
    if len(head) + len(tail) <= MAX_NAME:
        return head + tail
    digest = hashlib.sha256(head.encode()).hexdigest()[:8]
    room = MAX_NAME - len(tail) - len(digest) - 1
    return f"{head[:room].rstrip('-')}-{digest}{tail}"


def namespace_for(scenario_id: str, seed: int, level: str | None = None) -> str:
    """drill-<scenario>[-<level>]-<seed>: each level of a seed is a drill of its own."""
    middle = f"{scenario_id}-{level}" if level else scenario_id
    return _bounded_name(f"{NAMESPACE_PREFIX}{middle}", f"-{seed}")


def derived_namespace(namespace: str, suffix: str) -> str:
    """The drill's extra namespace `suffix` (e.g. `-client`): distinct from the drill's own
    namespace even when that one is already 63 characters long."""
    name = _bounded_name(namespace, f"-{suffix}")
    if name == namespace or not manifest_rules.DNS1123_LABEL.match(name):
        from drills.errors import UsageError
        raise UsageError(f"namespace {namespace!r} leaves no distinct name for its {suffix!r} namespace",
                         "choose a shorter --namespace")
    return name


def _check_namespace(namespace: str) -> None:
    if not manifest_rules.DNS1123_LABEL.match(namespace) or len(namespace) > MAX_NAME:
        from drills.errors import UsageError
        raise UsageError(f"namespace {one_line(namespace)!r} is not a valid namespace name",
                         "use lowercase letters, digits and '-', at most 63 characters")


_ENV_OPTIONS = dict(keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
# texts may not include or import anything: an empty loader answers "not found"
_env = PackEnvironment(loader=jinja2.DictLoader({}), **_ENV_OPTIONS)


def template_library() -> Path:
    """Macros every scenario may import, e.g. {% from "workloads.j2" import backend %}."""
    return Path(__file__).with_name("templates")


@lru_cache(maxsize=64)
def _folder_env(folder: str) -> jinja2.Environment:
    """One environment per scenario folder, so its templates compile once per process."""
    return PackEnvironment(loader=PackLoader([Path(folder) / "templates", template_library()]),
                           **_ENV_OPTIONS)


def _template_env(scenario: Scenario) -> jinja2.Environment:
    return _folder_env(str(scenario.folder))


@lru_cache(maxsize=4096)
def _compiled_text(source: str) -> jinja2.Template:
    return _env.from_string(source)


@lru_cache(maxsize=4096)
def _compiled_expression(source: str):
    return _env.compile_expression(source, undefined_to_none=False)


class _FieldFailure(Exception):
    """A text of scenario.yaml failed to render; `field` is its dotted path."""

    def __init__(self, field_name: str, cause: BaseException):
        super().__init__(field_name)
        self.field = field_name
        self.cause = cause


def _render_tree(value: Any, context: dict[str, Any], field_name: str = "") -> Any:
    """Render strings inside nested data; a string that is only one expression
    keeps the expression's type, so `port: "{{ svc_port }}"` stays an int."""
    if isinstance(value, str):
        if "{{" not in value and "{%" not in value and "{#" not in value:
            return value
        try:
            stripped = value.strip()
            if stripped.startswith("{{") and stripped.endswith("}}") and stripped.count("{{") == 1:
                return evaluate_bounded(_compiled_expression(stripped[2:-2].strip()), context, MAX_TEXT_CHARS)
            return render_bounded(_compiled_text(value), context, MAX_TEXT_CHARS)
        except Exception as exc:  # noqa: BLE001 - a pack's template can raise anything; it is the pack's fault
            raise _FieldFailure(field_name, exc) from exc
    if isinstance(value, list):
        return [_render_tree(v, context, f"{field_name}.{i}") for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {k: _render_tree(v, context, f"{field_name}.{k}") for k, v in value.items()}
    return value


def _pack_error(where: Path | str, what: str, cause: BaseException | str, hint: str) -> BadScenarioPack:
    what = one_line(what)   # field names come from the pack too
    if isinstance(cause, str):
        return BadScenarioPack(f"{where}: {what}{one_line(cause)}", hint)
    return BadScenarioPack(f"{where}: {what}{one_line(describe(cause))}", hint_for(cause, hint))


def render(scenario: Scenario, seed: int, *, namespace: str | None = None,
           image: str | None = None, level: str | None = None,
           overrides: dict[str, Any] | None = None) -> Plan:
    if namespace is not None:
        _check_namespace(namespace)
    image = image or default_image()
    with deadline():
        return _render(scenario, seed, namespace, image, level, overrides)


def draw_params(scenario: Scenario, seed: int, level: str | None = None,
                overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The parameters of one drill (the level's values applied), without rendering anything else:
    what a mock exam compares to tell two tasks of one scenario apart."""
    with deadline():
        return _draw_params(scenario, seed, level, overrides)


def _draw_params(scenario: Scenario, seed: int, level: str | None,
                 overrides: dict[str, Any] | None) -> dict[str, Any]:
    meta = scenario.meta
    where = scenario.folder / "scenario.yaml"
    levels = meta.get("levels") or {}
    if level is not None and level not in levels:
        from drills.errors import UsageError
        raise UsageError(f"scenario {scenario.id} has no level {one_line(level)!r}",
                         f"choose one of: {', '.join(levels) or '(none: omit --level)'}")
    try:
        params = draw(meta["parameters"], seed, overrides)
    except ParamError as exc:
        field_name = f"parameters.{exc.parameter}" if exc.parameter else "parameters"
        raise _pack_error(where, f"field {field_name}: ", exc.reason,
                          hint_for(exc.__cause__, "fix the parameter declaration")) from exc
    if level is not None:
        try:
            level_values = _render_tree(levels[level], {**params, "seed": seed}, f"levels.{level}")
        except _FieldFailure as exc:
            raise _pack_error(where, f"field {exc.field}: ", exc.cause,
                              "every variable must be a declared parameter") from exc
        params.update({k: v for k, v in level_values.items() if k not in (overrides or {})})
    return params


def _render(scenario: Scenario, seed: int, namespace: str | None, image: str, level: str | None,
            overrides: dict[str, Any] | None) -> Plan:
    meta = scenario.meta
    where = scenario.folder / "scenario.yaml"
    namespace = namespace or namespace_for(scenario.id, seed, level)
    params = _draw_params(scenario, seed, level, overrides)

    extra = {name: derived_namespace(namespace, name) for name in meta.get("extra_namespaces", [])}
    if len({namespace, *extra.values()}) != 1 + len(extra):
        from drills.errors import UsageError
        raise UsageError(f"namespace {namespace!r} makes two of the drill's namespaces equal",
                         "choose another --namespace")
    context = {**params, "namespace": namespace, "namespaces": extra, "image": image,
               "seed": seed, "scenario": scenario.id, "level": level}

    def text(field_name: str, value: Any) -> Any:
        try:
            return _render_tree(value, context, field_name)
        except _FieldFailure as exc:
            raise _pack_error(where, f"field {exc.field}: ", exc.cause,
                              "every variable must be a declared parameter") from exc

    objects: list[dict[str, Any]] = []
    env = _template_env(scenario)
    for name in scenario.template_names():
        path = scenario.folder / "templates" / name
        try:
            source = render_bounded(env.get_template(name), context, MAX_MANIFEST_CHARS)
        except jinja2.TemplateNotFound as exc:
            raise _pack_error(path, "", f"template {exc.name} does not exist",
                              "list only existing files under 'manifests'") from exc
        except Exception as exc:  # noqa: BLE001 - a pack's template can raise anything; it is the pack's fault
            line = template_line(exc, str(path))
            raise _pack_error(path, f"line {line}: " if line else "", exc,
                              "every variable must be a declared parameter") from exc
        try:
            objects += [doc for doc in load_yaml_all(source) if doc is not None]
        except yaml.YAMLError as exc:
            raise _pack_error(path, f"renders (seed {seed}) to invalid YAML at ", yaml_problem(exc),
                              "fix the template so every seed renders valid YAML") from exc
        except RecursionError as exc:
            raise _pack_error(path, f"renders (seed {seed}) to YAML nested too deep", "",
                              "fix the template") from exc
        if len(objects) > MAX_MANIFESTS:
            raise _pack_error(path, "", f"the drill has more than {MAX_MANIFESTS} manifests",
                              "a drill needs a handful of objects, not hundreds")
    try:
        manifest_rules.validate(objects, {namespace, *extra.values()}, image)
    except manifest_rules.ManifestError as exc:
        raise _pack_error(f"{scenario.folder}/templates", f"seed {seed}: ", str(exc),
                          "fix the template so every seed renders valid objects") from exc

    checks = [CheckCall(id=c["id"], name=c.get("as", c["id"]),
                        args=text(f"checks.{c.get('as', c['id'])}", c.get("with", {})),
                        weight=float(c.get("weight", 1)))
              for c in meta["checks"]]
    def holds(field_name: str, expression: str | None) -> bool:
        if expression is None:
            return True
        try:
            return bool(evaluate_bounded(_compiled_expression(expression), context, MAX_TEXT_CHARS))
        except Exception as exc:  # noqa: BLE001 - a pack's expression can raise anything; it is the pack's fault
            raise _pack_error(where, f"field {field_name}: ", exc,
                              "write a Jinja expression over the parameters, e.g. fault == 'key'") from exc

    # a fix with `when:` exists only for the variants where its expression holds
    fixes = {name: Fix(name=name, outcome=f["outcome"], about=text(f"fixes.{name}.about", f.get("about", "")),
                       steps=text(f"fixes.{name}", f["steps"]), diagnosis=f.get("diagnosis"))
             for name, f in (meta.get("fixes") or {}).items() if holds(f"fixes.{name}.when", f.get("when"))}
    return Plan(
        scenario=scenario.id, title=meta["title"], seed=seed, namespace=namespace,
        extra_namespaces=extra, image=image, level=level, params=params,
        task=reflow(_as_text(text("task", meta["task"]))),
        hints=[_as_text(h).strip() for h in text("hints", meta["hints"])],
        solution=[_as_text(s).strip() for s in text("solution", meta["solution"])],
        manifests=objects, checks=checks,
        broken_pass=list(meta["broken"].get("pass", [])), broken_fail=list(meta["broken"]["fail"]),
        broken_timeout=float(meta["broken"].get("timeout_seconds", 90)),
        target_minutes=float(meta["target_minutes"]),
        cluster_wide=bool(meta.get("cluster_wide", False)), fixes=fixes,
        cluster_setup=text("cluster_setup", meta.get("cluster_setup") or []),
    )


def _as_text(value: Any) -> str:
    """Prose is text, even where a field is one expression that evaluates to a number."""
    return value if isinstance(value, str) else str(value)


def replay(identity: dict[str, Any]) -> Plan:
    """Render a recorded drill again, exactly (identity as Plan.identity() gives it)."""
    from drills import catalog
    return render(catalog.get(identity["scenario"]), int(identity["seed"]),
                  namespace=identity.get("namespace"), image=identity.get("image"),
                  level=identity.get("level"), overrides=identity.get("params") or {})
