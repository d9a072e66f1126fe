"""The drill lifecycle, in one place for every verb, the e2e suite and the benchmarks:

    render -> verify plan -> deploy -> verify broken -> clock -> collect -> judge -> record

`prepare` renders and validates; `deploy` runs the cluster runtime with the fault
check as a callback (the runtime never imports graders); `open_drill` starts the
clock in the store with the scenario's content hash and the rendered plan;
`grade` collects and judges; `record` stores the attempt; `plan_of` gives the
plan a stored drill is graded with. Cluster I/O stays in drills.cluster.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

from drills.errors import NoActiveDrill, UsageError

Progress = Callable[[str], None]


def _quiet(phase: str) -> None:
    return None


# --- render and verify the plan -------------------------------------------------------

def prepare(scenario_id: str, seed: int | None = None, level: str | None = None):
    """The validated plan of a scenario at a seed (random when None)."""
    from drills import catalog
    from drills.graders.judge import validate_plan
    from drills.render import random_seed, render

    plan = render(catalog.get(scenario_id), random_seed() if seed is None else seed, level=level)
    validate_plan(plan)
    return plan


def scenario_hash(scenario_id: str) -> str | None:
    """drills.fingerprint.scenario_digest of the scenario's folder (None: no such scenario)."""
    from drills import catalog
    from drills.errors import UnknownScenario
    from drills.fingerprint import scenario_digest

    try:
        return scenario_digest(catalog.get(scenario_id).folder)
    except UnknownScenario:
        return None


def plan_to_dict(plan) -> dict[str, Any]:
    return plan.to_dict()


def plan_from_dict(data: dict[str, Any]):
    """A Plan again from Plan.to_dict() (as stored with a drill)."""
    from drills.render import CheckCall, Fix, Plan

    fields = {f.name for f in dataclasses.fields(Plan)}
    values = {k: v for k, v in data.items() if k in fields}
    values["checks"] = [CheckCall(**c) for c in values.get("checks") or []]
    values["fixes"] = {name: Fix(**f) for name, f in (values.get("fixes") or {}).items()}
    return Plan(**values)


# --- verify broken: the callback the runtime takes ---------------------------------------

def api_check_names(plan) -> list[str]:
    """The plan's checks that read only API objects (judged without probes)."""
    from drills.graders.registry import REGISTRY, load_all
    load_all()
    return [c.name for c in plan.checks if c.id in REGISTRY and REGISTRY[c.id].probes is None]


def fault_check(plan):
    """How the runtime tells that a bundle shows the plan's fault (drills.cluster.start.FaultCheck)."""
    from drills.cluster.start import FaultCheck
    from drills.graders.judge import broken_state_shown, required_probes

    wanted = set(plan.broken_pass) | set(plan.broken_fail)
    broken_checks = [c for c in plan.checks if c.name in wanted]
    api_names = set(api_check_names(plan)) & wanted
    api_plan = dataclasses.replace(plan, broken_pass=[n for n in plan.broken_pass if n in api_names],
                                   broken_fail=[n for n in plan.broken_fail if n in api_names])

    def shown(bundle: dict, api_only: bool) -> tuple[bool, str]:
        return broken_state_shown(api_plan if api_only else plan, bundle)

    return FaultCheck(shown=shown,
                      probes=required_probes(dataclasses.replace(plan, checks=broken_checks)))


# --- deploy, clock ----------------------------------------------------------------------------

def deploy(session, plan, progress: Progress = _quiet, timings=None) -> dict[str, Any]:
    """Deploy the broken setup and verify the fault (no clock yet). The result holds
    the namespace, verified_at, the broken bundle and the phase timings."""
    from drills import cluster
    from drills.cluster.objects import SCENARIO_HASH_ANNOTATION
    digest = scenario_hash(plan.scenario)
    return cluster.start_drill(session, plan, progress, verify=fault_check(plan), timings=timings,
                               annotations={SCENARIO_HASH_ANNOTATION: digest} if digest else None)


def open_drill(store, plan, context: str, started_at: str, exam_id: int | None = None) -> int:
    """Start the clock: store the drill with its scenario hash and rendered plan."""
    for stale in store.open_drills(context):
        if stale.namespace == plan.namespace:   # its namespace was deleted by hand: close it
            store.end(stale.id)
    return store.add_drill(plan.identity(), context, plan.target_minutes, started_at,
                           exam_id=exam_id, scenario_hash=scenario_hash(plan.scenario),
                           plan=plan_to_dict(plan))


def start(store, session, plan, progress: Progress = _quiet, timings=None) -> tuple[int, dict]:
    """deploy + open_drill: the clock starts once the fault is verified."""
    result = deploy(session, plan, progress, timings)
    return open_drill(store, plan, session.context, result["verified_at"]), result


# --- the plan a stored drill is graded with ----------------------------------------------

@dataclasses.dataclass(frozen=True)
class GradedPlan:
    plan: Any
    changed: str | None = None      # one line when the scenario changed since start


def plan_of(record) -> GradedPlan:
    """The plan to grade a stored drill with: rendered again when its scenario is
    unchanged since start; the plan recorded at start when it changed; refused
    when it changed and no plan was recorded (drills from before plans were stored)."""
    from drills.render import replay

    current = scenario_hash(record.scenario)
    if record.scenario_hash is None or current == record.scenario_hash:
        if current is None and record.plan is None:
            from drills.errors import UnknownScenario
            raise UnknownScenario(f"scenario {record.scenario} of drill {record.namespace} no longer "
                                  "exists", f"close the drill with 'drills reset {record.namespace}'")
        if current is not None:
            return GradedPlan(replay(record.identity()))
    what = "no longer exists" if current is None else "changed since this drill started"
    if record.plan is None:
        raise UsageError(f"scenario {record.scenario} {what}, and the drill has no plan recorded "
                         "at start to grade with", f"start it again: drills reset {record.namespace}"
                         f" && drills start {record.scenario}")
    return GradedPlan(plan_from_dict(record.plan),
                      f"scenario {record.scenario} {what}; grading with the plan recorded at start")


def check_unchanged(plan, started_hash: str | None) -> None:
    """For drills known only from the cluster (drills grade --namespace): refuse to
    grade one whose scenario changed since start, since no plan of its own is at hand."""
    if started_hash and scenario_hash(plan.scenario) not in (None, started_hash):
        raise UsageError(f"scenario {plan.scenario} changed since drill {plan.namespace} started, "
                         "so today's grader is not the one it was started with",
                         "grade it with the drills version that started it, or start it again")


# --- collect, judge, record --------------------------------------------------------------

def collect(session, plan, *, api_only: bool = False, **options) -> dict[str, Any]:
    from drills import cluster
    from drills.graders.judge import required_probes
    return cluster.collect_evidence(session, plan, [] if api_only else required_probes(plan),
                                    api_only=api_only, **options)


def judge(plan, bundle: dict, only: list[str] | None = None):
    from drills.graders.judge import judge as _judge
    return _judge(plan, bundle, only=only)


def grade(session, plan):
    """Collect full evidence (API objects and probes) of a running drill and judge it."""
    from drills.cluster import drill_present
    if not drill_present(session, plan.namespace):
        raise NoActiveDrill(f"namespace {plan.namespace} of drill {plan.scenario} no longer exists "
                            f"on context {session.context}",
                            f"close it with 'drills reset {plan.namespace}' and start a new one")
    bundle = collect(session, plan)
    return bundle, judge(plan, bundle)


def record(store, drill, bundle: dict, report) -> bool:
    """Store the attempt; a first PASS stops the clock at collection time. Returns solved."""
    at = bundle.get("collected_at")
    store.add_attempt(drill.id, at, report.to_dict())
    if report.status == "PASS" and not drill.solved_at:
        store.mark_solved(drill.id, at)
        return True
    return False


def reset(session, namespaces: list[str] | None, progress: Progress = _quiet,
          wait: bool = True) -> list[str]:
    """Delete drill namespaces; with wait, until they are gone and any cluster-wide
    restore has taken effect."""
    from drills import cluster
    return cluster.reset_drills(session, namespaces, wait=wait, progress=progress)


# --- fixes (the e2e suite, record mode and the benchmarks) --------------------------------

SETTLE_MIN_S = 10.0       # a wrong fix must stay wrong this long after its rollout...
SETTLE_STREAK = 3         # ...and give this many identical verdicts in a row
SETTLE_TIMEOUT_S = 90.0


def apply_fix(session, plan, fix) -> None:
    """Run a declared fix's steps as a learner would (drills.cluster.apply_fix)."""
    from drills import cluster
    cluster.apply_fix(session, plan, fix)


def verdict(report) -> tuple[str, str | None]:
    return report.status, report.diagnosis.name if report.diagnosis else None


def settle(session, plan, *, min_seconds: float = SETTLE_MIN_S, streak: int = SETTLE_STREAK,
           timeout: float = SETTLE_TIMEOUT_S, poll: float = 1.0,
           clock: Callable[[], float] | None = None, pause: Callable[[float], None] | None = None):
    """Grade until the verdict settles: `streak` identical verdicts in a row, and
    (unless they are PASS: a fix that works keeps working) at least `min_seconds`
    after the fix landed, so a wrong fix is judged once it stays wrong. Gives up
    after `timeout`. Returns (bundle, report, verdicts seen)."""
    import time
    clock = clock or time.monotonic
    pause = pause or time.sleep
    landed = clock()
    seen: list[tuple[str, str | None]] = []
    while True:
        bundle, report = grade(session, plan)
        seen.append(verdict(report))
        same = len(seen) >= streak and len(set(seen[-streak:])) == 1
        if same and (report.status == "PASS" or clock() - landed >= min_seconds):
            return bundle, report, seen
        if clock() - landed >= timeout:
            return bundle, report, seen
        pause(poll)
