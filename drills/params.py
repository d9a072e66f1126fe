"""Seeded parameter drawing: every random choice of a drill comes from here.

A scenario declares its parameters in order; each is drawn from one
`random.Random(seed)`, so a seed reproduces the whole drill. Typos imitate
what people really type (a doubled or dropped letter, swapped neighbours, a
case slip, a plausible but wrong key), never random noise.
"""
from __future__ import annotations

import random
import re
from functools import lru_cache
from importlib import resources
from typing import Any, Callable

import jinja2

from drills.sandbox import PackEnvironment, describe, render_bounded
from drills.untrusted import one_line

LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")

SERVICE_PORTS = [80, 8000, 8080, 8888, 9000, 9090, 3000, 5000]
CONTAINER_PORTS = [8080, 8081, 8443, 8000, 3000, 5000, 5678, 9376, 7070, 6060]
NODEPORT_RANGE = (30000, 32767)

# Keys a tired engineer writes instead of the real one.
KEY_SLIPS = {
    "app": ["apps", "application", "app-name", "name"],
    "tier": ["tiers", "layer", "level"],
    "component": ["components", "comp", "module"],
    "role": ["roles", "rol", "function"],
    "service": ["svc", "services", "app"],
}

MAX_REDRAWS = 200


class ParamError(ValueError):
    """A parameter declaration that cannot be drawn (bad pack, not bad luck)."""

    def __init__(self, reason: str, parameter: str | None = None):
        super().__init__(f"parameter {parameter!r}: {reason}" if parameter else reason)
        self.reason = reason
        self.parameter = parameter


GENERATORS = ("choice", "words", "int", "port", "nodeport", "typo", "key_slip", "value")
WORD_LIST_NAME = re.compile(r"^[a-z0-9_]{1,40}$")


def word_list_names() -> list[str]:
    folder = resources.files("drills").joinpath("words")
    return sorted(p.name[:-4] for p in folder.iterdir() if p.name.endswith(".txt"))


@lru_cache(maxsize=None)
def word_list(name: str) -> tuple[str, ...]:
    if not WORD_LIST_NAME.match(name) or name not in word_list_names():
        raise ParamError(f"no word list {name!r} (known: {', '.join(word_list_names())})")
    text = resources.files("drills").joinpath("words", f"{name}.txt").read_text()
    return tuple(w.strip() for w in text.splitlines() if w.strip())


# --- realistic typos -------------------------------------------------------

def _doubled(word: str, rng: random.Random) -> str:
    i = rng.randrange(len(word))
    return word[: i + 1] + word[i] + word[i + 1 :]


def _dropped(word: str, rng: random.Random) -> str:
    if len(word) < 3:
        return word
    i = rng.randrange(1, len(word))  # keep the first letter, people rarely lose it
    return word[:i] + word[i + 1 :]


def _swapped(word: str, rng: random.Random) -> str:
    pairs = [i for i in range(len(word) - 1) if word[i] != word[i + 1]]
    if not pairs:
        return word
    i = rng.choice(pairs)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def _case(word: str, rng: random.Random) -> str:
    return word[:1].upper() + word[1:] if word[:1].islower() else word.lower()


TYPO_STYLES: dict[str, Callable[[str, random.Random], str]] = {
    "double": _doubled,
    "drop": _dropped,
    "swap": _swapped,
    "case": _case,
}


def typo(word: str, rng: random.Random, styles: list[str] | None = None,
         avoid: set[str] | frozenset[str] = frozenset()) -> str:
    """A one-slip variant of `word` that is still a valid label value."""
    styles = styles or list(TYPO_STYLES)
    for _ in range(MAX_REDRAWS):
        style = rng.choice(styles)
        out = TYPO_STYLES[style](word, rng)
        if out != word and out not in avoid and LABEL_VALUE.match(out):
            return out
    raise ParamError(f"cannot make a typo of {word!r} with styles {styles}")


def key_slip(key: str, rng: random.Random, avoid: set[str] | frozenset[str] = frozenset()) -> str:
    """A plausible wrong label key: a known slip for common keys, else a typo."""
    options = [k for k in KEY_SLIPS.get(key, []) if k not in avoid and k != key]
    if options:
        return rng.choice(options)
    return typo(key, rng, ["double", "drop", "swap"], avoid=avoid)


# --- drawing ---------------------------------------------------------------

MAX_PARAMETER_CHARS = 4096   # a drawn value names things; it is never a document
_env = PackEnvironment(loader=jinja2.DictLoader({}), keep_trailing_newline=False)


@lru_cache(maxsize=1024)
def _compiled(template: str) -> jinja2.Template:
    return _env.from_string(template)


def _render_value(template: str, params: dict[str, Any]) -> str:
    return render_bounded(_compiled(template), params, MAX_PARAMETER_CHARS)


def check_declarations(declarations: dict[str, dict]) -> None:
    """What can be known about the declarations without drawing: one generator each, existing
    word lists, ordered int ranges, and references only to parameters declared before."""
    seen: list[str] = []
    for name, spec in declarations.items():
        kinds = [k for k in GENERATORS if k in spec]
        if len(kinds) != 1:
            raise ParamError(f"declares {'no generator' if not kinds else 'several: ' + ', '.join(kinds)}; "
                             f"use exactly one of {', '.join(GENERATORS)}", name)
        if "words" in spec:
            try:
                word_list(spec["words"])
            except ParamError as exc:
                raise ParamError(exc.reason, name) from exc
        if "int" in spec and spec["int"][0] > spec["int"][1]:
            raise ParamError(f"int range {spec['int']} is empty (write [low, high])", name)
        for key in ("typo", "key_slip"):
            if key in spec and spec[key] not in seen:
                raise ParamError(f"'{key}' names {spec[key]!r}, which is not declared before it", name)
        for other in spec.get("not", []):
            if other not in seen:
                raise ParamError(f"'not' names {other!r}, which is not declared before it", name)
        if "styles" in spec and "typo" not in spec:
            raise ParamError("'styles' belongs to a 'typo' parameter", name)
        seen.append(name)


def _excluded(spec: dict, params: dict[str, Any]) -> set:
    out = set()
    for name in spec.get("not", []):
        if name not in params:
            raise ParamError(f"'not' names {name!r}, which is not drawn before it")
        out.add(params[name])
    return out


def _draw_one(name: str, spec: dict, params: dict[str, Any], rng: random.Random) -> Any:
    avoid = _excluded(spec, params)

    def redraw(pick: Callable[[], Any]) -> Any:
        for _ in range(MAX_REDRAWS):
            value = pick()
            if value not in avoid:
                return value
        raise ParamError("every candidate is excluded by 'not'", name)

    if "choice" in spec:
        options = spec["choice"]
        return redraw(lambda: rng.choice(options))
    if "words" in spec:
        options = word_list(spec["words"])
        return redraw(lambda: rng.choice(options))
    if "int" in spec:
        lo, hi = spec["int"]
        return redraw(lambda: rng.randint(lo, hi))
    if "port" in spec:
        pool = {"service": SERVICE_PORTS, "container": CONTAINER_PORTS}[spec["port"]]
        return redraw(lambda: rng.choice(pool))
    if "nodeport" in spec:
        return redraw(lambda: rng.randint(*NODEPORT_RANGE))
    if "typo" in spec:
        source = params[spec["typo"]]
        return typo(str(source), rng, spec.get("styles"), avoid={str(a) for a in avoid})
    if "key_slip" in spec:
        return key_slip(str(params[spec["key_slip"]]), rng, avoid={str(a) for a in avoid})
    if "value" in spec:
        value = spec["value"]
        return _render_value(value, params) if isinstance(value, str) else value
    raise ParamError(f"has no known generator: {sorted(spec)}", name)


def draw(declarations: dict[str, dict], seed: int,
         overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Draw every declared parameter in order from one seeded generator.

    Overrides pin a parameter (tests pin the values a recorded cluster used);
    the generator still advances as if it had drawn, so the other draws stay
    those of the seed.
    """
    rng = random.Random(seed)
    overrides = overrides or {}
    params: dict[str, Any] = {}
    for name, spec in declarations.items():
        try:
            value = _draw_one(name, spec, params, rng)
        except ParamError as exc:
            if exc.parameter:
                raise
            raise ParamError(exc.reason, name) from exc
        except KeyError as exc:
            raise ParamError(f"names {exc}, which is not declared before it", name) from exc
        except Exception as exc:  # noqa: BLE001 - a pack's `value` template can raise anything
            raise ParamError(one_line(describe(exc)), name) from exc
        params[name] = overrides.get(name, value)
    unknown = set(overrides) - set(params)
    if unknown:
        raise ParamError(f"unknown parameter(s) to override: {', '.join(sorted(unknown))}")
    return params
