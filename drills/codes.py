"""Drill codes: short, typeable names of one drill or one mock exam, for a class.

A code is nine symbols of Crockford's base 32 (digits and capitals without
I, L, O, U), shown as ``XXXX-XXXXX``:

    scenario (3)  level (1)  seed (4)  check (1)

- scenario: derived from the scenario id alone (sha256), so a code means the
  same drill on every machine whatever packs are installed beside it; the
  value 0 is reserved for exams. Two ids of one catalog with the same short
  code are refused (see `short_codes`).
- level: 0 for none, else 1 + the level's position in the scenario's
  ``levels:``; for an exam, the number of tasks.
- seed: 0..999999 in four symbols (32**4 > SEED_MAX).
- check: makes sum(a**k * v_k) over GF(32) zero (a = x, the field's
  generator). A single substituted symbol changes the sum by a**k * d, an
  adjacent transposition by a**k * (1 + a) * d: both nonzero, so every such
  typo is caught (the linear form of the Damm check).

Pure: decoding needs the catalog only to resolve the scenario.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from drills.errors import BadScenarioPack, UsageError
from drills.render import SEED_MAX

if TYPE_CHECKING:
    from drills.catalog import Scenario

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
# what people type for the letters the alphabet leaves out
_READ_AS = {"O": "0", "I": "1", "L": "1"}
SCENARIO_SYMBOLS = 3
LENGTH = SCENARIO_SYMBOLS + 1 + 4 + 1
EXAM_SLOT = 0
MAX_EXAM_TASKS = len(ALPHABET) - 1
_FIELD_POLY = 0b100101        # x^5 + x^2 + 1, irreducible over GF(2)


def _times_a(value: int) -> int:
    value <<= 1
    return value ^ _FIELD_POLY if value & 0b100000 else value


def _syndrome(values: list[int]) -> int:
    """Horner's rule: sum of a**(n-1-k) * v_k in GF(32); addition is XOR."""
    total = 0
    for value in values:
        total = _times_a(total) ^ value
    return total


def check_symbol(body: str) -> str:
    """The symbol that makes body + symbol a valid code."""
    return ALPHABET[_times_a(_syndrome([_VALUE[c] for c in body]))]


def is_valid(code: str) -> bool:
    return len(code) == LENGTH and all(c in _VALUE for c in code) \
        and _syndrome([_VALUE[c] for c in code]) == 0


def _number(value: int, symbols: int) -> str:
    out = ""
    for _ in range(symbols):
        value, digit = divmod(value, len(ALPHABET))
        out = ALPHABET[digit] + out
    return out


def _value(text: str) -> int:
    number = 0
    for c in text:
        number = number * len(ALPHABET) + _VALUE[c]
    return number


def scenario_slot(scenario_id: str) -> int:
    """The scenario's short code as a number, from its id alone (never the exam slot)."""
    digest = int.from_bytes(hashlib.sha256(scenario_id.encode()).digest()[:4], "big")
    return 1 + digest % (len(ALPHABET) ** SCENARIO_SYMBOLS - 1)


def short_codes(scenarios: dict[str, "Scenario"]) -> dict[str, str]:
    """Short code -> scenario id for a catalog; refuses two ids with one code."""
    codes: dict[str, str] = {}
    for scenario_id in sorted(scenarios):
        short = _number(scenario_slot(scenario_id), SCENARIO_SYMBOLS)
        if short in codes:
            raise BadScenarioPack(f"scenarios {codes[short]} and {scenario_id} share the drill code "
                                  f"prefix {short}", "rename one of them (drill codes derive from ids)")
        codes[short] = scenario_id
    return codes


def display(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def normalise(text: str) -> str:
    """What a learner typed, as code symbols: no dashes or spaces, upper case,
    and O/I/L read as the symbols they are mistaken for."""
    cleaned = "".join(c for c in text.upper() if c not in "- \t")
    return "".join(_READ_AS.get(c, c) for c in cleaned)


@dataclass(frozen=True)
class DrillCode:
    """A decoded code: one drill (scenario, level, seed) or one exam (count, seed)."""
    seed: int
    scenario: str | None = None
    level: str | None = None
    exam_count: int | None = None

    @property
    def is_exam(self) -> bool:
        return self.exam_count is not None


def _encode(slot: int, middle: int, seed: int) -> str:
    if not 0 <= seed <= SEED_MAX:
        raise UsageError(f"seed {seed} is outside 0..{SEED_MAX}", f"choose a seed in 0..{SEED_MAX}")
    body = _number(slot, SCENARIO_SYMBOLS) + ALPHABET[middle] + _number(seed, 4)
    return body + check_symbol(body)


def drill_code(scenario: "Scenario", seed: int, level: str | None = None) -> str:
    levels = list(scenario.meta.get("levels") or {})
    if level is not None and level not in levels:
        raise UsageError(f"scenario {scenario.id} has no level {level!r}",
                         f"choose one of: {', '.join(levels) or '(none: omit --level)'}")
    if len(levels) >= len(ALPHABET):
        raise BadScenarioPack(f"scenario {scenario.id} declares {len(levels)} levels; "
                              f"drill codes hold at most {len(ALPHABET) - 1}", "declare fewer levels")
    middle = 0 if level is None else levels.index(level) + 1
    return _encode(scenario_slot(scenario.id), middle, seed)


def exam_code(count: int, seed: int) -> str:
    if not 1 <= count <= MAX_EXAM_TASKS:
        raise UsageError(f"an exam code holds 1 to {MAX_EXAM_TASKS} tasks, not {count}",
                         f"pass --count between 1 and {MAX_EXAM_TASKS}")
    return _encode(EXAM_SLOT, count, seed)


def code_for_identity(identity: dict, scenarios: dict[str, "Scenario"] | None = None) -> str | None:
    """The code of a running or recorded drill, or None if its scenario is unknown
    here or its seed or level cannot be coded (e.g. a hand-edited annotation)."""
    if scenarios is None:
        from drills import catalog
        scenarios = catalog.discover()
    scenario = scenarios.get(str(identity.get("scenario")))
    try:
        return display(drill_code(scenario, int(identity["seed"]), identity.get("level"))) \
            if scenario else None
    except (UsageError, BadScenarioPack, KeyError, TypeError, ValueError):
        return None


def _decode_valid(code: str, scenarios: dict[str, "Scenario"]) -> DrillCode | None:
    """A code whose check symbol is right, decoded; None if it names nothing here."""
    slot, middle, seed = _value(code[:SCENARIO_SYMBOLS]), _VALUE[code[SCENARIO_SYMBOLS]], \
        _value(code[SCENARIO_SYMBOLS + 1:-1])
    if seed > SEED_MAX:
        return None
    if slot == EXAM_SLOT:
        return DrillCode(seed=seed, exam_count=middle) if middle >= 1 else None
    scenario_id = short_codes(scenarios).get(code[:SCENARIO_SYMBOLS])
    if scenario_id is None:
        return None
    levels = list(scenarios[scenario_id].meta.get("levels") or {})
    if middle > len(levels):
        return None
    return DrillCode(seed=seed, scenario=scenario_id, level=levels[middle - 1] if middle else None)


def one_typo_away(code: str) -> list[str]:
    """Every valid code one substituted symbol or one adjacent swap away."""
    found: list[str] = []
    for i in range(len(code)):
        for c in ALPHABET:
            if c != code[i]:
                candidate = code[:i] + c + code[i + 1:]
                if is_valid(candidate):
                    found.append(candidate)
    for i in range(len(code) - 1):
        if code[i] != code[i + 1]:
            candidate = code[:i] + code[i + 1] + code[i] + code[i + 2:]
            if is_valid(candidate):
                found.append(candidate)
    return found


def decode(text: str, scenarios: dict[str, "Scenario"] | None = None) -> DrillCode:
    """The drill or exam a typed code names; UsageError (with the codes one typo
    away that name something) when the check symbol or the content is wrong."""
    if scenarios is None:
        from drills import catalog
        scenarios = catalog.discover()
    code = normalise(text)
    shown = text.strip()
    bad = sorted({c for c in code if c not in _VALUE})
    if bad or len(code) != LENGTH:
        why = (f"has symbols {''.join(bad)!r} no code uses" if bad
               else f"has {len(code)} symbols, not {LENGTH}")
        raise UsageError(f"drill code {shown!r} {why}",
                         "copy it exactly as the instructor gave it, e.g. 4K7M-0A3QX")
    if is_valid(code):
        decoded = _decode_valid(code, scenarios)
        if decoded is None:
            raise UsageError(f"drill code {shown!r} names no scenario of this drills installation",
                             "ask the instructor which scenario pack it needs (DRILLS_SCENARIO_PATH)")
        return decoded
    near = [display(c) for c in one_typo_away(code) if _decode_valid(c, scenarios)]
    hint = (f"did you mean {' or '.join(near)}?" if near
            else "check it against the code the instructor gave")
    raise UsageError(f"drill code {shown!r} is mistyped (its check symbol does not match)", hint)


def describe(decoded: DrillCode) -> str:
    """The command the code stands for, for messages."""
    if decoded.is_exam:
        return f"drills exam start --count {decoded.exam_count} --seed {decoded.seed}"
    level = f" --level {decoded.level}" if decoded.level else ""
    return f"drills start {decoded.scenario} --seed {decoded.seed}{level}"


def drill_from_code(code: str, scenario_id: str | None, seed: int | None,
                    level: str | None) -> tuple[str, int, str | None]:
    """(scenario, seed, level) of `drills start --code`; a code fixes all three."""
    if scenario_id or seed is not None or level:
        raise UsageError("--code already names the scenario, seed and level",
                         "pass only --code CODE")
    decoded = decode(code)
    if decoded.is_exam:
        raise UsageError(f"{display(normalise(code))} is an exam code",
                         f"start it with 'drills exam start --code {display(normalise(code))}'")
    return decoded.scenario, decoded.seed, decoded.level


def exam_from_code(code: str, count: int | None, seed: int | None) -> tuple[int, int]:
    """(count, seed) of `drills exam start --code`."""
    if count is not None or seed is not None:
        raise UsageError("--code already names the exam's tasks and seed", "pass only --code CODE")
    decoded = decode(code)
    if not decoded.is_exam:
        raise UsageError(f"{display(normalise(code))} is the code of one drill, not of an exam",
                         f"start it with 'drills start --code {display(normalise(code))}'")
    return decoded.exam_count, decoded.seed
