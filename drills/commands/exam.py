"""drills exam: a timed mock exam of several drills under one clock."""
from __future__ import annotations

import click

from drills.commands._common import (connect, context_option, drill_plan, exit_code_for, grade_live,
                                     json_option, open_store, record_attempt)
from drills.errors import NoActiveDrill, UsageError
from drills.render import SEED_MAX


@click.group("exam")
def command() -> None:
    """Timed mock exam: several weighted tasks, one clock, one score."""


def _open_exam(store, context: str) -> dict:
    exam = store.open_exam(context)
    if exam is None:
        raise NoActiveDrill(f"no exam is running on context {context}",
                            "start one with 'drills exam start'")
    return exam


def _remaining(exam: dict) -> float:
    from drills.store import parse_iso, utcnow
    return exam["minutes"] * 60 - (utcnow() - parse_iso(exam["started_at"])).total_seconds()


@command.command("start")
@click.option("--count", type=click.IntRange(1, 50), default=4, show_default=True, help="Number of tasks.")
@click.option("--minutes", type=click.FloatRange(1, 240), help="Exam time (default: from the tasks' targets).")
@click.option("--seed", type=click.IntRange(0, SEED_MAX), help="Reproduce an exam.")
@context_option
def start(count: int, minutes: float | None, seed: int | None, context_flag: str | None) -> int:
    """Deploy every task of a new exam and start its clock."""
    from drills import catalog, cluster, lifecycle
    from drills.config import chosen_context
    from drills.exam import PASS_MARK, compose, default_minutes
    from drills.render import random_seed
    from drills.store import iso, utcnow
    from drills.ui import assemble, err, out, print_plain, progress_of

    context, explicit = chosen_context(context_flag)
    store = open_store()
    if store.open_exam(context):
        raise UsageError(f"an exam is already running on context {context}",
                         "finish it with 'drills exam end'")
    scenarios = catalog.discover()
    seed = random_seed() if seed is None else seed
    tasks = compose(scenarios, seed, count)
    plans = [lifecycle.prepare(t.scenario, t.seed) for t in tasks]
    minutes = minutes or default_minutes(tasks, scenarios)
    started = []
    with err.status("checking the cluster") as spinner:
        if not explicit and not cluster.cluster_status().get("exists"):
            cluster.cluster_up(progress=progress_of(spinner))
        session = connect(context_flag)
        try:
            for task, plan in zip(tasks, plans):
                progress = progress_of(spinner)
                progress(f"task {task.number}/{len(tasks)}: {plan.scenario}")
                lifecycle.deploy(session, plan, lambda p, n=task.number: progress(f"task {n}: {p}"))
                started.append(plan)
        except BaseException:
            spinner.update("cleaning up the tasks already deployed")
            lifecycle.reset(session, [ns for p in started for ns in p.namespaces], wait=False)
            raise
    now = iso(utcnow())   # one clock for all tasks, started once every fault is verified
    exam_id = store.add_exam(seed, context, minutes, now)
    for plan in plans:
        lifecycle.open_drill(store, plan, context, now, exam_id=exam_id)
    out.rule(f"[bold]Mock exam (seed {seed}): {len(tasks)} tasks, {minutes:g} minutes, pass mark {PASS_MARK:g}%[/]")
    for task, plan in zip(tasks, plans):
        out.rule(assemble(f"Task {task.number} ({task.weight}%-weight) · namespace {plan.namespace}"))
        print_plain(plan.task)
    out.rule()
    out.print(assemble(f"Context: {context}. Check progress with 'drills exam check'; "
                       "finish with 'drills exam end'."))
    return 0


def _grade_exam(store, exam: dict, context_flag: str | None):
    from drills import catalog
    from drills.exam import weighted_score
    scenarios = catalog.discover()
    session = connect(context_flag)
    rows = []
    for record in store.exam_drills(exam["id"]):
        plan = drill_plan(record)
        bundle, report = grade_live(session, plan)
        record_attempt(store, record, bundle, report)
        rows.append((record, report, scenarios[record.scenario].meta["exam_weight"]))
    return rows, weighted_score([(w, r.score) for _, r, w in rows])


def _print_exam(rows, total: float, remaining: float, as_json: bool) -> None:
    from drills.exam import PASS_MARK
    if as_json:
        from drills.ui import print_json
        print_json({"score": total, "pass_mark": PASS_MARK, "passed": total >= PASS_MARK,
                    "remaining_seconds": round(remaining), "tasks": [
                        {**r.to_dict(), "weight": w, "namespace": rec.namespace} for rec, r, w in rows]})
        return
    from drills.ui import duration, out, print_rows, status_text
    tasks = [{"task": number, "scenario": rec.scenario, "weight": weight, "report": report}
             for number, (rec, report, weight) in enumerate(rows, start=1)]
    print_rows(tasks, as_json=False, title="mock exam", heading=2, empty="No tasks.", wrap=("diagnosis",),
               columns=("task", "scenario", "weight", "result", "score", "diagnosis"),
               cells=lambda t: (str(t["task"]), t["scenario"], str(t["weight"]), status_text(t["report"].status),
                                f"{t['report'].score:g}%",
                                t["report"].diagnosis.message if t["report"].diagnosis else ""))
    verdict = "[bold green]pass[/]" if total >= PASS_MARK else "[bold red]below the pass mark[/]"
    left = f"{duration(remaining)} left" if remaining > 0 else "time is up"
    out.print(f"Score {total:g}% ({verdict}, pass mark {PASS_MARK:g}%). {left}.")


@command.command("check")
@context_option
@json_option
def check(context_flag: str | None, as_json: bool) -> int:
    """Grade every task of the running exam (does not end it)."""
    from drills.config import chosen_context
    context, _ = chosen_context(context_flag)
    store = open_store()
    exam = _open_exam(store, context)
    rows, total = _grade_exam(store, exam, context_flag)
    _print_exam(rows, total, _remaining(exam), as_json)
    return max(exit_code_for(r) for _, r, _ in rows)


@command.command("end")
@click.option("--reset", is_flag=True, help="Also delete the exam's namespaces.")
@context_option
@json_option
def end(reset: bool, context_flag: str | None, as_json: bool) -> int:
    """Grade the exam a final time, record the score and stop its clock."""
    from drills.config import chosen_context
    from drills.exam import PASS_MARK
    from drills.store import iso, utcnow
    context, _ = chosen_context(context_flag)
    store = open_store()
    exam = _open_exam(store, context)
    rows, total = _grade_exam(store, exam, context_flag)
    store.end_exam(exam["id"], total, iso(utcnow()))
    _print_exam(rows, total, _remaining(exam), as_json)
    if reset:
        from drills.lifecycle import reset as reset_drills
        reset_drills(connect(context_flag), [ns for rec, _, _ in rows for ns in drill_plan(rec).namespaces])
        for rec, _, _ in rows:
            store.end(rec.id)
    from drills.errors import ExitCode
    return ExitCode.OK if total >= PASS_MARK else ExitCode.CHECKS_FAILED
