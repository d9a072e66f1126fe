"""The drill you most need next: a pure, deterministic choice from the history.

Nothing here reads a clock, a file or a cluster: the catalog, the history and
`now` come in as plain values, so the same history on the same day always
gives the same answer (and can be tested).

How the choice is made, in order of tiers:
1. weak: what you last did badly (not solved, solution viewed, hints used,
   or slower than the target) comes back at once;
2. new: scenarios never practised, in troubleshooting-path order (the stage
   where a scenario's fault shows: Service, Endpoints, targetPort, traffic),
   and then the higher levels of a levelled scenario once unlocked;
3. due: what you solved well, after an interval that grows with every good
   solve (spaced repetition) and resets after a bad one;
4. later: everything else, soonest due first.
Within a tier, the check stages you fail most pull their scenarios forward.
"""
from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Sequence

from drills.ui import duration

GOOD, BAD = "good", "bad"
WEAK, NEW, DUE, LATER = 0, 1, 2, 3
TIER_NAMES = {WEAK: "weak", NEW: "new", DUE: "due", LATER: "later"}
DIFFICULTY = {"easy": 0, "medium": 1, "hard": 2}

# Spaced repetition in the manner of SM-2: the first good solve comes back after a day,
# each further one after the previous interval times the ease; a bad one resets both.
FIRST_INTERVAL_DAYS = 1.0
START_EASE, MIN_EASE, MAX_EASE = 2.5, 1.3, 3.0
FAST_RATIO = 0.5          # a solve in half the target time raises the ease
SEED_SPACE = 1_000_000    # drills.render.SEED_MAX + 1
SEED_TRIES = 400

_REFERENCE = re.compile(r"^\{\{\s*(\w+)\s*\}\}$")
VARIANT_PARAMS = ("faults", "fault")   # the parameter that names a drill's fault variant


@dataclass(frozen=True)
class ScenarioInfo:
    """What the coach needs from a catalog entry."""
    id: str
    group: str
    difficulty: str
    target_minutes: float
    stage: str                    # where along the path its fault shows (see path_stage)
    position: int                 # that stage's place on the path (1 = service)
    levels: tuple[str | None, ...] = (None,)
    variants: dict[str | None, tuple[str, ...]] = field(default_factory=dict)
    variant_param: str | None = None


@dataclass(frozen=True)
class Attempt:
    """One `drills check`: its status and (stage, status, check name) per check."""
    at: datetime
    status: str
    diagnosis: str | None = None
    checks: tuple[tuple[str, str, str], ...] = ()

    @property
    def failed_stage(self) -> str | None:
        """The stage of the first failing check: where along the path this attempt stopped."""
        if self.status != "FAIL":
            return None
        for stage, status, name in self.checks:
            if status == "FAIL" and (self.diagnosis in (None, name)):
                return stage
        return None


@dataclass(frozen=True)
class Practice:
    """One past drill."""
    scenario: str
    started_at: datetime
    target_seconds: float
    solved_seconds: float | None = None
    ended: bool = True
    level: str | None = None
    seed: int = 0
    variant: str | None = None
    hints: int = 0
    solution_viewed: bool = False
    attempts: tuple[Attempt, ...] = ()

    @property
    def outcome(self) -> str | None:
        """good: solved within target with no help; bad: anything else; None: still running."""
        if self.solved_seconds is None:
            return None if not self.ended else BAD
        if self.solution_viewed or self.hints or self.solved_seconds > self.target_seconds:
            return BAD
        return GOOD

    @property
    def ratio(self) -> float | None:
        return None if self.solved_seconds is None else self.solved_seconds / self.target_seconds


def chronological(p: Practice) -> tuple:
    """Oldest first; ties broken by content, so the input order never matters."""
    return p.started_at, p.seed, repr(p)


@dataclass(frozen=True)
class Schedule:
    streak: int                   # good solves in a row, most recent last
    ease: float
    interval_days: float          # 0 after a bad drill: it is due at once
    last_at: datetime | None

    @property
    def due_at(self) -> datetime | None:
        return None if self.last_at is None else self.last_at + timedelta(days=self.interval_days)


@dataclass(frozen=True)
class Suggestion:
    scenario: str
    level: str | None
    tier: int
    variant: str | None
    seed: int
    reason: str
    due_at: datetime | None = None
    interval_days: float | None = None

    @property
    def command(self) -> list[str]:
        argv = ["drills", "start", self.scenario, "--seed", str(self.seed)]
        return argv + (["--level", self.level] if self.level else [])

    def to_dict(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "level": self.level, "tier": TIER_NAMES[self.tier],
                "variant": self.variant, "seed": self.seed, "reason": self.reason,
                "due_at": self.due_at.isoformat() if self.due_at else None,
                "interval_days": self.interval_days, "command": " ".join(self.command)}


# --- the catalog -----------------------------------------------------------------

def path_stage(fail_stages: Iterable[int], traffic: int) -> int:
    """Where a scenario's lesson sits on the path: the deepest stage before traffic
    at which its broken drill fails, or traffic when only traffic fails."""
    before = [s for s in fail_stages if s < traffic]
    return max(before) if before else traffic


def known_variants(parameters: dict[str, Any], levels: dict[str, Any]) -> tuple[str | None, dict]:
    """The variant parameter and, per level, the values it can take, read from the
    declarations: a `choice`, or a value that is just `{{ other }}` of a choice."""
    name = next((n for n in VARIANT_PARAMS if n in parameters), None)
    if name is None:
        return None, {}

    def choices(spec: Any, depth: int = 0) -> tuple[str, ...]:
        if depth > 5:
            return ()
        if isinstance(spec, dict) and "choice" in spec:
            return tuple(dict.fromkeys(str(c) for c in spec["choice"]))
        text = spec.get("value") if isinstance(spec, dict) else spec
        match = _REFERENCE.match(text.strip()) if isinstance(text, str) else None
        return choices(parameters.get(match.group(1)), depth + 1) if match else ()

    out: dict[str | None, tuple[str, ...]] = {None: choices(parameters[name])}
    for level, overrides in levels.items():
        spec = overrides.get(name, parameters[name]) if isinstance(overrides, dict) else parameters[name]
        out[level] = choices(spec)
    return name, out


def catalog_info(scenarios: dict[str, Any]) -> list[ScenarioInfo]:
    """ScenarioInfo of every catalog scenario (drills.catalog.Scenario objects)."""
    from drills.graders.registry import STAGE_NAMES, STAGE_REACH, load_all
    registry = load_all()
    infos = []
    for scenario in scenarios.values():
        meta = scenario.meta
        names = {c.get("as", c["id"]): c["id"] for c in meta["checks"]}
        stages = [registry[names[n]].stage for n in meta["broken"]["fail"]
                  if n in names and names[n] in registry]
        position = path_stage(stages, STAGE_REACH)
        levels = meta.get("levels") or {}
        param, variants = known_variants(meta["parameters"], levels)
        infos.append(ScenarioInfo(
            id=scenario.id, group=meta["group"], difficulty=meta["difficulty"],
            target_minutes=float(meta["target_minutes"]), stage=STAGE_NAMES.get(position, str(position)),
            position=position, levels=(None, *levels), variants=variants, variant_param=param))
    return infos


def path_order(infos: Sequence[ScenarioInfo]) -> list[ScenarioInfo]:
    """The troubleshooting path: by stage, then easy before hard; a group whose
    lessons start earlier on the path comes first within a stage."""
    group_start: dict[str, int] = {}
    for info in infos:
        group_start[info.group] = min(group_start.get(info.group, info.position), info.position)
    return sorted(infos, key=lambda i: (i.position, DIFFICULTY.get(i.difficulty, 9),
                                        group_start[i.group], i.group, i.target_minutes, i.id))


# --- the history -------------------------------------------------------------------

def schedule(practices: Sequence[Practice]) -> Schedule:
    """Spaced repetition over one item's finished drills, oldest first."""
    streak, ease, interval, last = 0, START_EASE, 0.0, None
    for p in practices:
        if p.outcome is None:
            continue
        last = p.started_at
        if p.outcome == GOOD:
            streak += 1
            if p.ratio is not None and p.ratio <= FAST_RATIO:
                ease = min(MAX_EASE, ease + 0.15)
            interval = FIRST_INTERVAL_DAYS if streak == 1 else interval * ease
        else:
            streak, ease, interval = 0, max(MIN_EASE, ease - 0.2), 0.0
    return Schedule(streak, ease, interval, last)


def stage_failures(history: Iterable[Practice]) -> dict[str, tuple[int, int]]:
    """Per check stage: (attempts that stopped there, attempts that graded it)."""
    counts: dict[str, list[int]] = {}
    for p in history:
        for a in p.attempts:
            for stage in dict.fromkeys(s for s, _, _ in a.checks):
                counts.setdefault(stage, [0, 0])[1] += 1
            failed = a.failed_stage
            if failed is not None:
                counts.setdefault(failed, [0, 0])[0] += 1
    return {stage: (f, n) for stage, (f, n) in counts.items()}


def _weakness(fails: int, graded: int) -> float:
    return fails / (graded + 1)   # +1: one failure in one try is not yet a pattern


def _units(x: float) -> int:
    """Scores in integer micro-units: equal increments keep orders exactly."""
    return round(x * 1_000_000)


def days_ago(then: datetime, now: datetime) -> str:
    days = (now.date() - then.date()).days
    return "today" if days <= 0 else "yesterday" if days == 1 else f"{days} days ago"


def _and(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _days(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") + (" day" if value == 1 else " days")


@dataclass
class _Item:
    info: ScenarioInfo
    level: str | None
    practices: list[Practice]

    @property
    def key(self) -> str:
        return self.info.id if self.level is None else f"{self.info.id} --level {self.level}"

    def finished(self) -> list[Practice]:
        return [p for p in self.practices if p.outcome is not None]


def _last_drill_words(p: Practice, now: datetime) -> str:
    when = days_ago(p.started_at, now)
    if p.solved_seconds is None:
        return f"last drill not solved, {when}"
    words = f"last solved in {duration(p.solved_seconds)} against {duration(p.target_seconds)}, {when}"
    help_used = ([f"{p.hints} hint{'s' if p.hints != 1 else ''}"] if p.hints else []) \
        + (["the solution"] if p.solution_viewed else [])
    return words + (f", with {_and(help_used)}" if help_used else "")


def _unlocked(info: ScenarioInfo, level_index: int, by_level: dict[str | None, list[Practice]]) -> bool:
    """A level opens once the level before it is mastered: for the base level, every
    single fault (variant) solved within target; for higher ones, one good solve."""
    if level_index == 0:
        return True
    below = info.levels[level_index - 1]
    good = [p for p in by_level.get(below, []) if p.outcome == GOOD]
    if level_index == 1 and info.variants.get(below):
        return set(info.variants[below]) <= {p.variant for p in good}
    return bool(good)


def _choose_variant(item: _Item) -> tuple[str | None, list[str]]:
    """Never-seen variants first, then the one last done badly, then the least recent."""
    known = item.info.variants.get(item.level, ())
    seen = [p.variant for p in item.practices]
    unseen = [v for v in known if v not in seen]
    if unseen:
        return unseen[0], unseen
    if not known:
        return None, []
    last: dict[str, Practice] = {}
    for p in item.finished():
        last[p.variant] = p
    bad = [v for v in known if v in last and last[v].outcome == BAD]
    if bad:
        return max(bad, key=lambda v: last[v].started_at), []
    never_finished = [v for v in known if v not in last]
    if never_finished:
        return never_finished[0], []
    return min(known, key=lambda v: last[v].started_at), []


def choose_seed(scenario: str, level: str | None, variant: str | None, used: set[int], now: datetime,
                variant_of: Callable[[int], str | None] | None) -> int:
    """A seed not used before that draws the wanted variant, the same all day long."""
    start = zlib.crc32(f"{scenario}/{level}/{variant}/{now.date().isoformat()}".encode()) % SEED_SPACE
    fallback = None
    for step in range(SEED_TRIES):
        seed = (start + step * 7919) % SEED_SPACE
        if seed in used:
            continue
        fallback = seed if fallback is None else fallback
        if variant is None or variant_of is None or variant_of(seed) == variant:
            return seed
    return start if fallback is None else fallback


def rank(catalog: Sequence[ScenarioInfo], history: Sequence[Practice], now: datetime,
         variant_of: Callable[[str, str | None, int], str | None] | None = None) -> list[Suggestion]:
    """Every drill worth doing, the most needed first."""
    ordered = path_order(catalog)
    path_index = {info.id: n for n, info in enumerate(ordered)}
    by_scenario: dict[str, dict[str | None, list[Practice]]] = {}
    for p in sorted(history, key=chronological):
        by_scenario.setdefault(p.scenario, {}).setdefault(p.level, []).append(p)
    failures = stage_failures(history)

    ranked: list[tuple[tuple, Suggestion]] = []
    for info in ordered:
        levels = by_scenario.get(info.id, {})
        for level_index, level in enumerate(info.levels):
            practices = levels.get(level, [])
            if not practices and not _unlocked(info, level_index, levels):
                continue
            item = _Item(info, level, practices)
            key, suggestion = _assess(item, level_index, path_index[info.id], failures, now, variant_of)
            ranked.append((key, suggestion))
    return [s for _, s in sorted(ranked, key=lambda pair: pair[0])]


def next_drill(catalog: Sequence[ScenarioInfo], history: Sequence[Practice], now: datetime,
               variant_of: Callable[[str, str | None, int], str | None] | None = None) -> Suggestion | None:
    ranked = rank(catalog, history, now, variant_of)
    return ranked[0] if ranked else None


def _assess(item: _Item, level_index: int, path_index: int, failures: dict[str, tuple[int, int]],
            now: datetime, variant_of) -> tuple[tuple, Suggestion]:
    info = item.info
    finished = item.finished()
    sched = schedule(finished)
    fails, graded = failures.get(info.stage, (0, 0))
    pull = _weakness(fails, graded)
    reasons: list[str] = []
    score = 0.0
    if not finished:
        tier = NEW
        if level_index == 0:
            reasons.append(f"never practised; {info.stage} stage of the troubleshooting path "
                           f"({info.group})")
        else:
            below = info.levels[level_index - 1]
            reasons.append(f"level {item.level} unlocked: "
                           + ("every single fault solved within target" if level_index == 1
                              else f"level {below} solved within target"))
    else:
        last = finished[-1]
        reasons.append(_last_drill_words(last, now))
        if last.outcome == BAD:
            tier = WEAK
            bad_share = sum(p.outcome == BAD for p in finished) / len(finished)
            score = (3.0 if last.solved_seconds is None else 0.0) + (2.0 if last.solution_viewed else 0.0) \
                + 0.5 * min(last.hints, 4) + min(3.0, max(0.0, (last.ratio or 0.0) - 1.0)) + bad_share
        else:
            due = sched.due_at
            tier = DUE if due <= now else LATER
            seconds_per_interval = max(sched.interval_days, FIRST_INTERVAL_DAYS) * 86400
            score = (now - due).total_seconds() / seconds_per_interval
            solved_well = "solved well" if sched.streak == 1 else f"{sched.streak} good solves in a row"
            if tier == DUE:
                reasons.append(f"{solved_well}, due for review (interval {_days(sched.interval_days)})")
            else:
                reasons.append(f"{solved_well}, not due before {due.date().isoformat()}")
    if fails:
        reasons.append(f"{info.stage} stage failed in {fails} of {graded} checks")
    variant, unseen = _choose_variant(item)
    if unseen and finished:
        reasons.append(f"{_and(unseen)} variant{'s' if len(unseen) > 1 else ''} never seen")
    used = {p.seed for p in item.practices}
    pick = (lambda seed: variant_of(info.id, item.level, seed)) if variant_of else None
    seed = choose_seed(info.id, item.level, variant, used, now, pick)
    key = (tier, level_index if tier == NEW else 0, -(_units(score) + _units(2.0 * pull)), path_index)
    suggestion = Suggestion(info.id, item.level, tier, variant, seed, f"{item.key}: " + "; ".join(reasons),
                            due_at=sched.due_at if finished else None,
                            interval_days=sched.interval_days if finished else None)
    return key, suggestion


# --- from the store ------------------------------------------------------------------

def attempt_from_row(row: dict[str, Any], default_at: datetime) -> Attempt:
    """One attempt of Store.practice_log() as an Attempt."""
    from drills.store import parse_iso
    return Attempt(parse_iso(row["at"]) if row["at"] else default_at, row["status"], row["diagnosis"],
                   tuple(tuple(c) for c in row["checks"]))


def practices_from_log(log: Iterable[dict[str, Any]], infos: Sequence[ScenarioInfo],
                       now: datetime) -> list[Practice]:
    """Store.practice_log() rows as Practice values (drills of unknown scenarios are skipped)."""
    from drills.store import parse_iso
    known = {i.id: i for i in infos}
    out = []
    for row in log:
        info = known.get(row["scenario"])
        if info is None:
            continue
        started = parse_iso(row["started_at"])
        solved = ((parse_iso(row["solved_at"]) - started).total_seconds() if row["solved_at"] else None)
        variant = row["params"].get(info.variant_param) if info.variant_param else None
        attempts = tuple(attempt_from_row(a, started) for a in row["attempts"])
        out.append(Practice(
            scenario=row["scenario"], started_at=started, target_seconds=row["target_minutes"] * 60,
            solved_seconds=None if solved is None else max(0.0, solved),
            ended=row["ended_at"] is not None or row["state"] != "active",
            level=row["level"], seed=row["seed"], variant=None if variant is None else str(variant),
            hints=row["hints"], solution_viewed=row["solution_viewed"], attempts=attempts))
    return out


def variant_renderer(scenarios: dict[str, Any]) -> Callable[[str, str | None, int], str | None]:
    """variant_of(scenario, level, seed): the variant a seed really draws. The base level
    needs only the parameter draw; a level's overrides need the full render."""
    def variant_of(scenario_id: str, level: str | None, seed: int) -> str | None:
        scenario = scenarios[scenario_id]
        if level is None:
            from drills.params import draw
            params = draw(scenario.meta["parameters"], seed)
        else:
            from drills.render import render
            params = render(scenario, seed, level=level).params
        name = next((n for n in VARIANT_PARAMS if n in params), None)
        return None if name is None else str(params[name])
    return variant_of
