"""Scenario + seed -> Plan: everything a drill is, computed without a cluster.

Pure and deterministic: the same scenario, seed and settings give the same
plan, byte for byte, in any process.
"""
from __future__ import annotations

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

SEED_MAX = 999_999
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster
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


def namespace_for(scenario_id: str, seed: int, level: str | None = None) -> str:
    """drill-<scenario>[-<level>]-<seed>: each level of a seed is a drill of its own."""
    middle = f"{scenario_id}-{level}" if level else scenario_id
    return f"{NAMESPACE_PREFIX}{middle}-{seed}"[:63].rstrip("-")


_ENV_OPTIONS = dict(undefined=jinja2.StrictUndefined, autoescape=False,
                   keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
_env = jinja2.Environment(**_ENV_OPTIONS)


def template_library() -> Path:
    """Macros every scenario may import, e.g. {% from "workloads.j2" import backend %}."""
    return Path(__file__).with_name("templates")


@lru_cache(maxsize=64)
def _folder_env(folder: str) -> jinja2.Environment:
    """One environment per scenario folder, so its templates compile once per process."""
    loader = jinja2.FileSystemLoader([str(Path(folder) / "templates"), str(template_library())])
    return jinja2.Environment(loader=loader, **_ENV_OPTIONS)


def _template_env(scenario: Scenario) -> jinja2.Environment:
    return _folder_env(str(scenario.folder))


@lru_cache(maxsize=4096)
def _compiled_text(source: str) -> jinja2.Template:
    return _env.from_string(source)


@lru_cache(maxsize=4096)
def _compiled_expression(source: str):
    return _env.compile_expression(source, undefined_to_none=False)


def _render_tree(value: Any, context: dict[str, Any]) -> Any:
    """Render strings inside nested data; a string that is only one expression
    keeps the expression's type, so `port: "{{ svc_port }}"` stays an int."""
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("{{") and stripped.endswith("}}") and stripped.count("{{") == 1:
            return _compiled_expression(stripped[2:-2].strip())(**context)
        return _compiled_text(value).render(**context) if "{{" in value or "{%" in value else value
    if isinstance(value, list):
        return [_render_tree(v, context) for v in value]
    if isinstance(value, dict):
        return {k: _render_tree(v, context) for k, v in value.items()}
    return value


def draw_params(scenario: Scenario, seed: int, level: str | None = None,
                overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The parameters of one drill (the level's overrides applied), without rendering anything else."""
    meta = scenario.meta
    levels = meta.get("levels") or {}
    if level is not None and level not in levels:
        from drills.errors import UsageError
        raise UsageError(f"scenario {scenario.id} has no level {level!r}",
                         f"choose one of: {', '.join(levels) or '(none: omit --level)'}")
    try:
        params = draw(meta["parameters"], seed, overrides)
        if level is not None:
            level_values = _render_tree(levels[level], {**params, "seed": seed})
            params.update({k: v for k, v in level_values.items() if k not in (overrides or {})})
    except (ParamError, jinja2.TemplateError) as exc:
        raise BadScenarioPack(f"{scenario.folder / 'scenario.yaml'}: field parameters: {exc}",
                              "fix the parameter declaration") from exc
    return params


def render(scenario: Scenario, seed: int, *, namespace: str | None = None,
           image: str | None = None, level: str | None = None,
           overrides: dict[str, Any] | None = None) -> Plan:
    meta = scenario.meta
    where = scenario.folder / "scenario.yaml"
    namespace = namespace or namespace_for(scenario.id, seed, level)
    if not manifest_rules.DNS1123_LABEL.match(namespace) or len(namespace) > 63:
        raise BadScenarioPack(f"namespace {namespace!r} is not a valid namespace name",
                              "use lowercase letters, digits and '-', at most 63 characters")
    image = image or default_image()
    params = draw_params(scenario, seed, level, overrides)

    extra = {name: f"{namespace}-{name}"[:63].rstrip("-") for name in meta.get("extra_namespaces", [])}
    context = {**params, "namespace": namespace, "namespaces": extra, "image": image,
               "seed": seed, "scenario": scenario.id, "level": level}

    def text(field_name: str, value: Any) -> Any:
        try:
            return _render_tree(value, context)
        except jinja2.TemplateError as exc:
            raise BadScenarioPack(f"{where}: field {field_name}: {exc}",
                                  "every variable must be a declared parameter") from exc

    objects: list[dict[str, Any]] = []
    env = _template_env(scenario)
    for name in scenario.template_names():
        path = scenario.folder / "templates" / name
        try:
            source = env.get_template(name).render(**context)
        except jinja2.TemplateNotFound as exc:
            raise BadScenarioPack(f"{path}: template {exc.name} does not exist",
                                  "list only existing files under 'manifests'") from exc
        except jinja2.TemplateError as exc:
            line = getattr(exc, "lineno", None)
            raise BadScenarioPack(f"{path}{f' line {line}' if line else ''}: {exc}",
                                  "every variable must be a declared parameter") from exc
        try:
            objects += [doc for doc in yaml.load_all(source, Loader=_YAML_LOADER) if doc is not None]
        except yaml.YAMLError as exc:
            raise BadScenarioPack(f"{path}: renders to invalid YAML ({exc})",
                                  f"try 'drills render {scenario.id} --seed {seed}'") from exc
    try:
        manifest_rules.validate(objects, {namespace, *extra.values()}, image)
    except manifest_rules.ManifestError as exc:
        raise BadScenarioPack(f"{scenario.folder}/templates, seed {seed}: {exc}",
                              "fix the template so every seed renders valid objects") from exc

    checks = [CheckCall(id=c["id"], name=c.get("as", c["id"]),
                        args=text(f"checks.{c.get('as', c['id'])}", c.get("with", {})),
                        weight=float(c.get("weight", 1)))
              for c in meta["checks"]]
    fixes = {name: Fix(name=name, outcome=f["outcome"], about=text(f"fixes.{name}.about", f.get("about", "")),
                       steps=text(f"fixes.{name}", f["steps"]), diagnosis=f.get("diagnosis"))
             for name, f in (meta.get("fixes") or {}).items()}
    return Plan(
        scenario=scenario.id, title=meta["title"], seed=seed, namespace=namespace,
        extra_namespaces=extra, image=image, level=level, params=params,
        task=reflow(text("task", meta["task"])),
        hints=[h.strip() for h in text("hints", meta["hints"])],
        solution=[s.strip() for s in text("solution", meta["solution"])],
        manifests=objects, checks=checks,
        broken_pass=list(meta["broken"].get("pass", [])), broken_fail=list(meta["broken"]["fail"]),
        broken_timeout=float(meta["broken"].get("timeout_seconds", 90)),
        target_minutes=float(meta["target_minutes"]),
        cluster_wide=bool(meta.get("cluster_wide", False)), fixes=fixes,
        cluster_setup=text("cluster_setup", meta.get("cluster_setup") or []),
    )


def replay(identity: dict[str, Any]) -> Plan:
    """Render a recorded drill again, exactly (identity as Plan.identity() gives it)."""
    from drills import catalog
    return render(catalog.get(identity["scenario"]), int(identity["seed"]),
                  namespace=identity.get("namespace"), image=identity.get("image"),
                  level=identity.get("level"), overrides=identity.get("params") or {})
