"""drills exam: a timed mock exam of several drills under one clock."""
from __future__ import annotations

import click

from drills.commands._common import (connect, context_option, drill_plan, exit_code_for, grade_live,
                                     json_option, open_store, record_attempt)
from drills.errors import NoActiveDrill, UsageError
from drills.exam import (EXAM_MINUTES, EXAM_TASKS, MAX_TASKS, PASS_MARK, QUICK_MINUTES, QUICK_TASKS)
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


def _exam_of(context_flag: str | None):
    """(store, the exam running on the chosen context)."""
    from drills.config import chosen_context
    store = open_store()
    return store, _open_exam(store, chosen_context(context_flag)[0])


def _remaining(exam: dict) -> float:
    from drills.store import parse_iso, utcnow
    return exam["minutes"] * 60 - (utcnow() - parse_iso(exam["started_at"])).total_seconds()


def _weights(records) -> list[int]:
    from drills import catalog
    from drills.exam import task_weights
    return task_weights([catalog.get(r.scenario).meta["exam_weight"] for r in records])


def _grade_exam(store, exam: dict, context_flag: str | None):
    from drills.exam import weighted_score
    session = connect(context_flag)
    records = store.exam_drills(exam["id"])
    rows = []
    for record, weight in zip(records, _weights(records)):
        plan = drill_plan(record)
        bundle, report = grade_live(session, plan)
        record_attempt(store, record, bundle, report)
        rows.append((record, report, weight))
    return rows, weighted_score([(w, r.score) for _, r, w in rows])


def _print_exam(rows, total: float, remaining: float, as_json: bool, console=None) -> None:
    if as_json:
        from drills.ui import print_json
        print_json({"score": total, "pass_mark": PASS_MARK, "passed": total >= PASS_MARK,
                    "remaining_seconds": round(remaining), "tasks": [
                        {**r.to_dict(), "weight": w, "namespace": rec.namespace} for rec, r, w in rows]})
        return
    from drills.ui import duration, out, print_rows, status_text
    console = console or out
    tasks = [{"task": number, "scenario": rec.scenario, "weight": weight, "report": report}
             for number, (rec, report, weight) in enumerate(rows, start=1)]
    print_rows(tasks, as_json=False, title="mock exam", heading=2, empty="No tasks.", wrap=("diagnosis",),
               columns=("task", "scenario", "weight", "result", "score", "diagnosis"),
               cells=lambda t: (str(t["task"]), t["scenario"], f"{t['weight']}%", status_text(t["report"].status),
                                f"{t['report'].score:g}%",
                                t["report"].diagnosis.message if t["report"].diagnosis else ""),
               console=console)
    verdict = "[bold green]pass[/]" if total >= PASS_MARK else "[bold red]below the pass mark[/]"
    left = f"{duration(remaining)} left" if remaining > 0 else "time is up"
    console.print(f"Score {total:g}% ({verdict}, pass mark {PASS_MARK:g}%). {left}.")


def finish_exam(store, exam: dict, context_flag: str | None, as_json: bool = False,
                console=None, reset: bool = False, heading: str | None = None) -> int:
    """Grade every task a final time, record the score, close the exam; exit code by the pass mark."""
    from drills.errors import ExitCode
    from drills.store import iso, utcnow
    from drills.ui import out
    rows, total = _grade_exam(store, exam, context_flag)
    store.end_exam(exam["id"], total, iso(utcnow()))
    if heading and not as_json:
        (console or out).print(heading, soft_wrap=True)
    _print_exam(rows, total, _remaining(exam), as_json, console)
    if reset:
        from drills.lifecycle import reset as reset_drills
        reset_drills(connect(context_flag), [ns for rec, _, _ in rows for ns in drill_plan(rec).namespaces])
        for rec, _, _ in rows:
            store.end(rec.id)
    return ExitCode.OK if total >= PASS_MARK else ExitCode.CHECKS_FAILED


def _time_is_up(store, exam: dict, context_flag: str | None, as_json: bool, console=None) -> int:
    """An exam past its deadline ends now, graded as the cluster stands."""
    heading = (f"[bold]Time is up[/] for the mock exam started {exam['started_at'][:16].replace('T', ' ')} UTC "
               f"({exam['minutes']:g} minutes): graded and closed.")
    return finish_exam(store, exam, exam["context"] if context_flag is None else context_flag, as_json,
                       console, heading=heading)


def close_expired_exams() -> None:
    """Run before every other verb (see drills.deadline): grade and close exams past their deadline,
    reporting on stderr so a verb's own output (e.g. --json) stays clean. A cluster that cannot be
    reached only warns: the verb the user asked for still runs, and the next command tries again."""
    from drills.cli import exit_status_for
    from drills.ui import err
    store = open_store()
    for exam in _expired(store):
        try:
            _time_is_up(store, exam, exam["context"], as_json=False, console=err)
        except Exception as exc:  # noqa: BLE001 - mapped to one line below; unknown errors re-raise there
            _, line = exit_status_for(exc)
            click.echo(f"drills: warning: the mock exam on {exam['context']} ran out of time but could not "
                       f"be graded: {line} ('drills exam end' grades it)", err=True)


def _expired(store) -> list[dict]:
    rows = store.db.execute("SELECT * FROM exams WHERE ended_at IS NULL ORDER BY id").fetchall()
    return [dict(r) for r in rows if _remaining(dict(r)) <= 0]


@command.command("start")
@click.option("--count", type=click.IntRange(1, MAX_TASKS),
              help=f"Number of tasks (default {EXAM_TASKS}, like the exam; {QUICK_TASKS} with --quick).")
@click.option("--minutes", type=click.FloatRange(1, 240),
              help=f"Exam time (default {EXAM_MINUTES} for {EXAM_TASKS} tasks, the exam's pace; "
                   f"{QUICK_MINUTES} with --quick).")
@click.option("--quick", is_flag=True,
              help=f"A short practice: {QUICK_TASKS} tasks in {QUICK_MINUTES} minutes.")
@click.option("--seed", type=click.IntRange(0, SEED_MAX), help="Reproduce an exam.")
@click.option("--code", help="Start the exam of an exam code from 'drills assign --exam'.")
@context_option
@click.pass_context
def start(ctx: click.Context, count: int | None, minutes: float | None, quick: bool, seed: int | None,
          code: str | None, context_flag: str | None) -> int:
    """Deploy every task of a new exam and start its clock (it runs without pause)."""
    from drills import catalog, cluster, lifecycle
    from drills.config import chosen_context
    from drills.exam import compose, default_minutes
    from drills.render import random_seed
    from drills.store import iso, utcnow
    from drills.ui import assemble, err, out, print_plain, progress_of

    if code:
        from drills.codes import exam_from_code
        count_given = ctx.get_parameter_source("count") is not click.core.ParameterSource.DEFAULT
        count, seed = exam_from_code(code, count if count_given else None, seed)
    context, explicit = chosen_context(context_flag)
    store = open_store()
    running = store.open_exam(context)
    if running and _remaining(running) <= 0:   # out of time but not yet closed: close it first
        _time_is_up(store, running, context_flag, as_json=False)
        running = None
    if running:
        raise UsageError(f"an exam is already running on context {context}",
                         "finish it with 'drills exam end'")
    scenarios = catalog.discover()
    seed = random_seed() if seed is None else seed
    count = count or (QUICK_TASKS if quick else EXAM_TASKS)
    tasks = compose(scenarios, seed, count)
    plans = [lifecycle.prepare(t.scenario, t.seed, level=t.level) for t in tasks]
    minutes = minutes or default_minutes(count, quick)
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
    from drills.codes import MAX_EXAM_TASKS, display, exam_code
    shown = display(exam_code(count, seed)) if count <= MAX_EXAM_TASKS else "-"
    out.rule(f"[bold]Mock exam (seed {seed}, code {shown}): {len(tasks)} tasks, "
             f"{minutes:g} minutes, pass mark {PASS_MARK:g}%[/]")
    for task, plan in zip(tasks, plans):
        out.rule(assemble(f"Task {task.number} ({task.weight}% of the exam) · namespace {plan.namespace}"))
        print_plain(plan.task)
    out.rule()
    out.print(assemble(f"Context: {context}. The clock runs from now, without pause; at {minutes:g} minutes "
                       "the exam ends and the next drills command grades it."))
    out.print("Work in the exam terminal with 'drills shell --exam'; 'drills exam task N' shows task N,")
    out.print("'drills exam status' the task list, 'drills exam check' grades, 'drills exam end' finishes.")
    return 0


@command.command("check")
@context_option
@json_option
def check(context_flag: str | None, as_json: bool) -> int:
    """Grade every task of the running exam (does not end it, unless its time is up)."""
    store, exam = _exam_of(context_flag)
    if _remaining(exam) <= 0:
        return _time_is_up(store, exam, context_flag, as_json)
    rows, total = _grade_exam(store, exam, context_flag)
    _print_exam(rows, total, _remaining(exam), as_json)
    return max(exit_code_for(r) for _, r, _ in rows)


@command.command("status")
@context_option
@json_option
def status(context_flag: str | None, as_json: bool) -> int:
    """The task list with weights and done marks, like the exam's question panel (no grading)."""
    from drills.ui import duration, out
    store, exam = _exam_of(context_flag)
    if _remaining(exam) <= 0:
        return _time_is_up(store, exam, context_flag, as_json)
    records = store.exam_drills(exam["id"])
    tasks = []
    for number, (record, weight) in enumerate(zip(records, _weights(records)), start=1):
        last = (store.attempts(record.id) or [None])[-1]
        tasks.append({"number": number, "scenario": record.scenario, "level": record.level,
                      "weight": weight, "namespace": record.namespace,
                      "done": bool(last and last["status"] == "PASS"),
                      "last_status": last["status"] if last else None,
                      "last_score": last["score"] if last else None,
                      "graded_at": last["at"] if last else None})
    remaining = _remaining(exam)
    if as_json:
        from drills.ui import print_json
        print_json({"exam_id": exam["id"], "seed": exam["seed"], "context": exam["context"],
                    "started_at": exam["started_at"], "minutes": exam["minutes"],
                    "remaining_seconds": round(remaining), "pass_mark": PASS_MARK, "tasks": tasks})
        return 0
    from rich.text import Text

    from drills.ui import print_rows
    # the namespace is in 'drills exam task N' and --json: the panel stays within 80 columns
    print_rows(tasks, as_json=False, title=f"mock exam: {len(tasks)} tasks, {duration(remaining)} of "
                                          f"{duration(exam['minutes'] * 60)} left",
               columns=("task", "weight", "", "scenario", "last graded"), empty="No tasks.", heading=3,
               cells=lambda t: (str(t["number"]), f"{t['weight']}%",
                                Text("done", style="green") if t["done"] else Text("to do", style="dim"),
                                f"{t['scenario']} ({t['level']})" if t["level"] else t["scenario"],
                                f"{t['last_status']} {t['last_score']:g}%" if t["last_status"] else "-"))
    done = [t for t in tasks if t["done"]]
    out.print(f"{len(done)} of {len(tasks)} done ({sum(t['weight'] for t in done)}% of the weight) "
              "as of the last 'drills exam check'.", soft_wrap=True)
    out.print("'drills exam task N' shows task N and its namespace.", soft_wrap=True)
    return 0


@command.command("task")
@click.argument("number", type=int)
@context_option
def task(number: int, context_flag: str | None) -> int:
    """Show task NUMBER; inside 'drills shell --exam', also switch the shell to its namespace."""
    from drills.shell import switch_exam_task
    from drills.ui import assemble, out, print_command, print_plain
    store, exam = _exam_of(context_flag)
    context = exam["context"]
    if _remaining(exam) <= 0:
        _time_is_up(store, exam, context_flag, as_json=False)
        raise NoActiveDrill("the exam's time is up; it was graded and closed above",
                            "start a new one with 'drills exam start'")
    records = store.exam_drills(exam["id"])
    if not 1 <= number <= len(records):
        raise UsageError(f"the exam has tasks 1 to {len(records)}, not {number}",
                         "see 'drills exam status'")
    record = records[number - 1]
    plan = drill_plan(record)
    weight = _weights(records)[number - 1]
    out.rule(assemble(f"Task {number} of {len(records)} ({weight}% of the exam) · namespace {plan.namespace}"))
    print_plain(plan.task)
    out.rule()
    if switch_exam_task(exam["id"], record):
        out.print(assemble(f"This shell now works in namespace {plan.namespace} (context {context})."))
    else:
        out.print("Work there with:")
        print_command(f"kubectl config use-context {context}")
        print_command(f"kubectl config set-context --current --namespace {plan.namespace}")
    return 0


@command.command("end")
@click.option("--reset", is_flag=True, help="Also delete the exam's namespaces.")
@context_option
@json_option
def end(reset: bool, context_flag: str | None, as_json: bool) -> int:
    """Grade the exam a final time, record the score and stop its clock."""
    store, exam = _exam_of(context_flag)
    return finish_exam(store, exam, context_flag, as_json, reset=reset)
