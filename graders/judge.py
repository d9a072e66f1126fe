"""Judge an evidence bundle against a plan: run the scenario's checks in order.

Pure: no cluster, no clock. The order of a scenario's checks is its
troubleshooting path, so the first check that is not PASS is the diagnosis.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from drills.errors import BadScenarioPack
from drills.evidence import Evidence
from drills.graders.registry import ERROR, FAIL, PASS, REGISTRY, STAGE_NAMES, Verdict, load_all
from drills.probes import ProbeSpec
from drills.render import CheckCall, Plan


@dataclass(frozen=True)
class CheckResult:
    check: str          # registered id, e.g. service.selector-matches-pods
    name: str           # the instance name in the scenario (id unless 'as' is set)
    title: str
    stage: str
    status: str
    subject: str
    expected: str
    observed: str
    hint: str
    weight: float

    @property
    def message(self) -> str:
        if self.status == PASS:
            return f"{self.subject}: {self.observed}"
        return f"{self.subject}: expected {self.expected}; observed {self.observed}"


@dataclass(frozen=True)
class Report:
    scenario: str
    seed: int
    namespace: str
    results: list[CheckResult]
    collected_at: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        statuses = {r.status for r in self.results}
        return FAIL if FAIL in statuses else ERROR if ERROR in statuses else PASS

    @property
    def diagnosis(self) -> CheckResult | None:
        return next((r for r in self.results if r.status != PASS), None)

    @property
    def score(self) -> float:
        total = sum(r.weight for r in self.results)
        got = sum(r.weight for r in self.results if r.status == PASS)
        return round(100.0 * got / total, 1) if total else 0.0

    def by_name(self, name: str) -> CheckResult:
        return next(r for r in self.results if r.name == name)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(status=self.status, score=self.score,
                 diagnosis=self.diagnosis.name if self.diagnosis else None)
        for r, row in zip(self.results, d["results"]):
            row["message"] = r.message
        return d


def _check_for(call: CheckCall):
    if call.id not in REGISTRY:   # import the check modules once, not on every call
        load_all()
    try:
        return REGISTRY[call.id]
    except KeyError:
        raise BadScenarioPack(f"scenario uses unknown check {call.id!r}",
                              f"known checks: {', '.join(sorted(REGISTRY))}") from None


def validate_plan(plan: Plan) -> None:
    """Every check the plan names exists and accepts the arguments given."""
    for call in plan.checks:
        chk = _check_for(call)
        try:
            chk.bind(call.args)
        except TypeError as exc:
            raise BadScenarioPack(f"scenario {plan.scenario}: check {call.name}: {exc}",
                                  "fix its 'with:' arguments in scenario.yaml") from exc


def required_probes(plan: Plan) -> list[ProbeSpec]:
    """Every probe the plan's checks read, each once, in check order."""
    seen: dict[str, ProbeSpec] = {}
    for call in plan.checks:
        chk = _check_for(call)
        if chk.probes is not None:
            for spec in chk.probes(**call.args):
                seen.setdefault(spec.key, spec)
    return list(seen.values())


def run_check(call: CheckCall, ev: Evidence) -> CheckResult:
    chk = _check_for(call)
    try:
        verdict = chk.fn(ev, **call.args)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        # Evidence of an unexpected shape cannot decide; it is never the learner's FAIL.
        verdict = Verdict(ERROR, call.name, "evidence of the usual shape",
                          f"the check could not read it ({type(exc).__name__}: {exc})")
    return CheckResult(check=chk.id, name=call.name, title=chk.title,
                       stage=STAGE_NAMES.get(chk.stage, str(chk.stage)), status=verdict.status,
                       subject=verdict.subject, expected=verdict.expected,
                       observed=verdict.observed, hint=verdict.hint, weight=call.weight)


def judge(plan: Plan, bundle: dict[str, Any], only: list[str] | None = None) -> Report:
    ev = Evidence(bundle, planned=plan.manifests)
    calls = [c for c in plan.checks if only is None or c.name in only]
    return Report(scenario=plan.scenario, seed=plan.seed, namespace=plan.namespace,
                  results=[run_check(c, ev) for c in calls],
                  collected_at=bundle.get("collected_at"))


def broken_state_shown(plan: Plan, bundle: dict[str, Any]) -> tuple[bool, str]:
    """Whether the evidence shows the scenario's fault, and why not if it does not."""
    report = judge(plan, bundle, only=plan.broken_pass + plan.broken_fail)
    for name in plan.broken_pass:
        r = report.by_name(name)
        if r.status != PASS:
            return False, f"{r.name} should pass before the fault shows: {r.message}"
    for name in plan.broken_fail:
        r = report.by_name(name)
        if r.status != FAIL:
            return False, f"{r.name} should fail while broken, but is {r.status}: {r.message}"
    return True, "fault verified"
