"""pytest plugin: every scenario folder judged fair on evidence a real cluster recorded.

A file named `scenarios.fairness` makes pytest collect, for every scenario folder on the search
path (the built-ins and each pack on DRILLS_SCENARIO_PATH) and every recorded seed (seed 1 when
none is recorded) and level:

    <scenario>::seed<N>[-<level>]::broken        judged FAIL, diagnosed as `broken:` declares
    <scenario>::seed<N>[-<level>]::<fix>         judged as the fix declares, on its own recording
    <scenario>::seed<N>[-<level>]::infra-error   judged ERROR, never FAIL

A fix whose rendered steps no longer hash to its recording's `fix_hash` fails as stale, and a
missing recording fails naming the command that records it, so no fix changes without evidence.
Recordings of the built-ins live in tests/fixtures/recorded/, a pack's in `<pack>/recorded/`.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from drills import catalog
from drills.errors import DrillsError
from drills.fingerprint import fix_digest
from drills.graders.judge import broken_state_shown, judge, required_probes
from drills.graders.registry import ERROR, FAIL, PASS
from drills.render import Plan, render
from tests.fixtures import recordings as R

SENTINEL = "scenarios.fairness"
OWED = "OWED.json"      # {scenario or scenario/case: why}: recordings owed (missing ones xfail)
EXPECTED = {"pass": PASS, "fail": FAIL}


class Unfair(Exception):
    """A fairness item failed; its message is the whole report."""


def pytest_addoption(parser):
    parser.getgroup("fairness").addoption(
        "--fairness-no-builtins", action="store_true",
        help="judge only the scenario packs on DRILLS_SCENARIO_PATH, not the built-in scenarios")


def pytest_collect_file(file_path, parent):
    if file_path.name == SENTINEL:
        return Catalog.from_parent(parent, path=file_path)
    return None


def scenario_roots(config) -> list[tuple[Path, Path]]:
    """(folder holding scenario folders, folder holding their recordings)."""
    roots = [] if config.getoption("fairness_no_builtins") else [(catalog.builtin_root(), R.RECORDED)]
    extra = os.environ.get("DRILLS_SCENARIO_PATH", "")
    roots += [(Path(p).expanduser(), Path(p).expanduser() / "recorded")
              for p in extra.split(os.pathsep) if p.strip()]
    return roots


@lru_cache(maxsize=None)
def recordings_at(root: Path) -> R.Recordings:
    return R.Recordings(root)


@lru_cache(maxsize=None)
def owed_at(root: Path) -> dict[str, str]:
    path = root / OWED
    return R.read_json(path) if path.is_file() else {}


class Catalog(pytest.File):
    def collect(self):
        for root, recorded in scenario_roots(self.config):
            if not root.is_dir():
                yield Broken.from_parent(self, name=str(root), why=f"scenario pack {root} is not a folder")
                continue
            for meta in sorted(root.glob(f"*/{catalog.METADATA}")):
                yield ScenarioNode.from_parent(self, name=meta.parent.name, folder=meta.parent,
                                               recorded=recorded)


class ScenarioNode(pytest.Collector):
    def __init__(self, *, folder: Path, recorded: Path, **kw):
        super().__init__(**kw)
        self.folder = folder
        self.recorded = recorded

    def collect(self):
        try:
            scenario = catalog.load_folder(self.folder)
        except DrillsError as exc:
            yield Broken.from_parent(self, name="scenario.yaml", why=str(exc))
            return
        recs = recordings_at(self.recorded)
        rows = recs.rows(scenario.id)
        levels = [None, *(scenario.meta.get("levels") or {})]
        for level in levels:
            seeds = sorted({int(r["seed"]) for r in rows.values() if r.get("level") == level}) or [1]
            for seed in seeds:
                name = f"seed{seed}-{level}" if level else f"seed{seed}"
                yield SeedNode.from_parent(self, name=name, scenario=scenario, seed=seed, level=level,
                                           recs=recs, first_seed=(level, seed) == (None, seeds[0]))
        for row_key, row in sorted(rows.items()):
            if row.get("level") not in levels:
                yield Broken.from_parent(self, name=row_key.split("/", 1)[1], why=(
                    f"{recs.path(row_key)}: recorded for level {row.get('level')!r}, which "
                    f"{scenario.id} no longer declares: delete the recording and its INDEX row"))


class SeedNode(pytest.Collector):
    def __init__(self, *, scenario, seed: int, level: str | None, recs: R.Recordings, first_seed: bool,
                 **kw):
        super().__init__(**kw)
        self.scenario, self.seed, self.level, self.recs = scenario, seed, level, recs
        self.first_seed = first_seed     # one infrastructure-error case per scenario

    def collect(self):
        try:
            plan = render(self.scenario, self.seed, level=self.level)
        except DrillsError as exc:
            yield Broken.from_parent(self, name="render", why=str(exc))
            return
        cases = [R.BROKEN, *plan.fixes] + ([R.INFRA_ERROR] if self.first_seed else [])
        owed_list = owed_at(self.recs.root)
        for case in cases:
            item = Fairness.from_parent(self, name=case, plan=plan, case=case, recs=self.recs)
            row = self.recs.index.get(item.row_key)
            owed = owed_list.get(self.scenario.id) or owed_list.get(f"{self.scenario.id}/{case}")
            if case in plan.fixes and row and row.get("error") and not self.recs.has_bundle(item.row_key):
                item.add_marker(pytest.mark.xfail(strict=True, reason=(
                    f"its recording failed: {row['error']} -- re-record: {item.command}")))
            elif owed and row is None:
                item.add_marker(pytest.mark.xfail(strict=True, reason=(
                    f"recordings owed ({self.recs.root.name}/{OWED}) -- record: {item.command}")))
            yield item
        prefix = R.stem(self.seed, self.level, "")
        for row_key, row in sorted(self.recs.rows(self.scenario.id).items()):
            case = row_key.split("/", 1)[1][len(prefix):]
            if row_key.split("/", 1)[1].startswith(prefix) and row.get("level") == self.level \
                    and int(row["seed"]) == self.seed and case not in cases:
                yield Broken.from_parent(self, name=case, why=(
                    f"{self.recs.path(row_key)}: a recording of {case!r}, which {self.scenario.id} "
                    f"no longer declares: delete the recording and its INDEX row"))


class FairnessItem(pytest.Item):
    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, Unfair):
            return f"{self.nodeid.split('::', 1)[1]}: {excinfo.value}"
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, self.nodeid.split("::", 1)[1]


class Broken(FairnessItem):
    """Something that keeps a scenario or a recording from being judged at all."""

    def __init__(self, *, why: str, **kw):
        super().__init__(**kw)
        self.why = why

    def runtest(self):
        raise Unfair(self.why)


class Fairness(FairnessItem):
    def __init__(self, *, plan: Plan, case: str, recs: R.Recordings, **kw):
        super().__init__(**kw)
        self.plan, self.case, self.recs = plan, case, recs
        self.row_key = R.key(plan.scenario, plan.seed, plan.level, case)
        self.command = R.record_command(recs.root, plan.scenario, plan.seed, plan.level, case)

    def runtest(self):
        plan, case = self.plan, self.case
        row = self.recs.index.get(self.row_key)
        what = {R.BROKEN: "the broken state", R.INFRA_ERROR: "the infrastructure-error case"}.get(
            case, f"fix {case!r}")
        if row is None:
            raise Unfair(f"no recording of {what} ({self.recs.path(self.row_key)}): record it with "
                         f"{self.command}")
        if not self.recs.has_bundle(self.row_key):
            because = f"its recording failed ({row['error']})" if row.get("error") else \
                f"INDEX.json lists it but {self.recs.path(self.row_key)} does not exist"
            raise Unfair(f"no recorded bundle of {what}: {because}; record it with {self.command}")
        bundle = self.recs.shared(self.row_key)
        hand_made = row.get("hand_made") or "hand_made" in bundle
        if hand_made and case != R.INFRA_ERROR:
            raise Unfair(f"{what} is judged on a hand-made bundle ({row.get('why') or bundle.get('hand_made')}); "
                         f"only a recording may stand for it: {self.command}")
        if hand_made and not (row.get("hand_made") and row.get("why") and bundle.get("hand_made")):
            raise Unfair(f"{self.recs.path(self.row_key)}: a hand-made bundle says so in the file "
                         f"(hand_made) and in its INDEX row (hand_made: true, why)")
        drill = bundle.get("drill") or {}
        if (drill.get("params"), drill.get("namespace"), drill.get("level")) != \
                (plan.params, plan.namespace, plan.level):
            raise Unfair(f"stale, re-record: {self.command} (the recording was made for other "
                         f"parameters than seed {plan.seed} renders today)")
        if case in plan.fixes:
            now = fix_digest(plan.fixes[case])
            if row.get("fix_hash") != now:
                raise Unfair(f"stale, re-record: {self.command} (fix {case!r}: its steps hash to {now}, "
                             f"its recording to {row.get('fix_hash')})")
        missing = {s.key for s in required_probes(plan)} - set(bundle.get("probes") or {})
        if missing:
            raise Unfair(f"the recording lacks probes the checks read: {sorted(missing)}; "
                         f"re-record: {self.command}")
        report = judge(plan, bundle)
        self.judged(report, bundle)

    def judged(self, report, bundle: dict[str, Any]) -> None:
        plan, case = self.plan, self.case
        seen = ", ".join(f"{r.name}={r.status}" for r in report.results)
        first = report.diagnosis
        said = f"{first.name}: {first.message}" if first else "every check passes"
        if case == R.BROKEN:
            # `broken:` lists what must fail and pass; the diagnosis is the first of those failures on
            # the path, or an earlier check the fault also breaks (never one declared passing)
            recorded = self.recs.index[self.row_key].get("diagnosis")
            if report.status != FAIL or first.status != FAIL or first.name in plan.broken_pass \
                    or (recorded and first.name != recorded):
                raise Unfair(f"the broken state: expected FAIL diagnosed by a check `broken:` does not "
                             f"declare passing{f' ({recorded}, as recorded)' if recorded else ''}; "
                             f"observed {report.status}, {said}")
            shown, why = broken_state_shown(plan, bundle)
            if not shown:
                raise Unfair(f"the broken state does not show as `broken:` declares: {why}")
            return
        if case == R.INFRA_ERROR:
            if report.status != ERROR or FAIL in {r.status for r in report.results}:
                raise Unfair(f"infrastructure trouble: expected ERROR and no FAIL; observed {seen}")
            return
        fix = plan.fixes[case]
        if report.status != EXPECTED[fix.outcome]:
            raise Unfair(f"fix {case!r} is declared {fix.outcome}; observed {report.status}, {said}")
        if fix.outcome == "pass":
            return
        if first.name != fix.diagnosis:
            raise Unfair(f"wrong fix {case!r}: expected diagnosis {fix.diagnosis}; observed {said}")
        if not (first.subject and first.expected and first.observed and first.observed != first.expected
                and "kubectl" in first.hint):
            raise Unfair(f"wrong fix {case!r}: the diagnosis must name subject, expected, observed and a "
                         f"kubectl command; observed {first.message!r} hint {first.hint!r}")
