"""drills exam: a timed mock exam of several drills under one clock."""
from __future__ import annotations

import click

from drills.commands._common import (connect, context_option, drill_plan, grade_live,
                                     json_option, open_store, record_attempt)
from drills.errors import NoActiveDrill, UsageError
from drills.exam import (EXAM_MINUTES, EXAM_TASKS, MAX_TASKS, PASS_MARK, QUICK_MINUTES, QUICK_TASKS)
from drills.render import SEED_MAX


@click.group("exam")
def command() -> None:
    """Timed mock exam: several weighted tasks, one clock, one score."""


DECIDED = ("PASS", "FAIL")   # a task graded ERROR (infrastructure trouble) is graded again later
KEEPER_GRACE_S = 30.0        # after the deadline, other graders leave a live keeper this long to grade
ON_TIME_S = 60.0             # graded within this of the deadline counts as graded at the deadline
CLAIM_STALE_S = 900.0        # a grading claim older than this is void, whoever holds it
WAIT_FOR_GRADER_S = 300.0    # how long a command waits for another process grading the exam
GRADERS = ("keeper", "command", "end")


def _open_exam(store, context: str) -> dict:
    exam = store.open_exam(context)
    if exam is None:
        raise NoActiveDrill(f"no exam is running on context {context}",
                            "start one with 'drills exam start'")
    return exam


def _exam_or_closed(context_flag: str | None, as_json: bool):
    """(store, running exam, None), or (store, exam, exit code) after showing the score of an exam
    the deadline keeper closed since the learner last looked (nobody had shown it yet)."""
    from drills.config import chosen_context
    store = open_store()
    context = chosen_context(context_flag)[0]
    if store.open_exam(context) is None:
        closed = store.unreported_exams(context)
        if closed:
            return store, closed[-1], show_exam(store, closed[-1], as_json)
    return store, _open_exam(store, context), None


def remaining_seconds(exam: dict) -> float:
    from drills.keeper import deadline_of
    from drills.store import utcnow
    return (deadline_of(exam) - utcnow()).total_seconds()


def _weights(records) -> list[int]:
    from drills import catalog
    from drills.exam import task_weights
    return task_weights([catalog.get(r.scenario).meta["exam_weight"] for r in records])


def _grade_exam(store, exam: dict, context_flag: str | None):
    """Grade every task now (drills exam check): entries as grade_once stores them, and the total."""
    from drills.exam import weighted_score
    session = connect(context_flag)
    records = store.exam_drills(exam["id"])
    entries = {}
    for record in records:
        plan = drill_plan(record)
        bundle, report = grade_live(session, plan)
        record_attempt(store, record, bundle, report)
        entries[str(record.id)] = _entry(report.to_dict(), bundle.get("collected_at"), "command")
    return entries, weighted_score([(w, entries[str(r.id)]["report"]["score"])
                                    for r, w in zip(records, _weights(records))])


def _entry(report: dict, graded_at: str | None, by: str, round_at: str | None = None) -> dict:
    """A task's verdict: when its evidence was collected, by whom, and when that grading round
    began (a keeper grades the tasks one after another, starting at the deadline)."""
    from drills.store import iso, utcnow
    graded_at = graded_at or iso(utcnow())
    return {"report": report, "graded_at": graded_at, "graded_by": by, "round_at": round_at or graded_at}


def _undecided(record, status: str, message: str) -> dict:
    """A task no evidence could be collected for: ERROR (infrastructure), or FAIL when its
    namespace is gone (the learner deleted it)."""
    return {"scenario": record.scenario, "seed": record.seed, "namespace": record.namespace,
            "level": record.level, "results": [], "collected_at": None, "extra": {},
            "status": status, "score": 0.0, "diagnosis": None, "error": message}


def _keeper_has_its_turn(exam: dict) -> bool:
    """Just past the deadline, a live keeper grades: other commands wait for its result."""
    from drills import keeper
    late = -remaining_seconds(exam)
    return 0 <= late < KEEPER_GRACE_S and keeper.watching(exam)


def grade_once(store, exam: dict, context_flag: str | None, by: str, *, final: bool = False):
    """Grade the exam's undecided tasks and close it, exactly once however many processes try
    (the deadline keeper, the next-command hook, `drills exam end`): the store hands the right
    to grade to one of them; the others wait and return the stored result. The exam closes when
    every task is decided (PASS or FAIL) or when `final` (exam end); a task ERROR from
    infrastructure trouble is kept undecided, to be graded again by the next command.
    Returns (the exam's row afterwards, whether this process graded)."""
    import os
    import time

    from drills import keeper
    from drills.errors import GradingError
    assert by in GRADERS
    me = os.getpid()
    give_up = time.monotonic() + WAIT_FOR_GRADER_S
    waiting = None   # a spinner while another process grades (the terminal, not the keeper's log)
    try:
        while True:
            current = store.exam(exam["id"])
            if current["ended_at"]:
                return current, False
            if (by == "keeper" or not _keeper_has_its_turn(current)) and \
                    store.claim_grading(exam["id"], me, keeper.process_alive, CLAIM_STALE_S):
                break
            if time.monotonic() > give_up:
                raise GradingError("another drills process is grading the mock exam",
                                   "retry in a minute")
            if waiting is None and by != "keeper":
                from drills.ui import err
                who = "the deadline keeper" if keeper.watching(current) else "another drills command"
                waiting = err.status(f"{who} is grading the mock exam")
                waiting.start()
            time.sleep(0.2)
    finally:
        if waiting is not None:
            waiting.stop()
    try:
        if by == "end":   # the learner ends the exam: nothing is left for the keeper to do
            keeper.stop(store, current, "the exam was ended with 'drills exam end'")
        _grade_pending(store, store.exam(exam["id"]), context_flag, by, final)
    finally:
        store.release_grading(exam["id"], me)
    return store.exam(exam["id"]), True


def _grade_pending(store, exam: dict, context_flag: str | None, by: str, final: bool) -> None:
    import json

    from drills.errors import ClusterUnreachable, NoCluster
    from drills.exam import weighted_score
    from drills.store import iso, utcnow
    result = json.loads(exam["result"]) if exam.get("result") else {}
    tasks = result.setdefault("tasks", {})
    records = store.exam_drills(exam["id"])
    pending = [r for r in records if (tasks.get(str(r.id)) or {}).get("report", {}).get("status")
               not in DECIDED]
    trouble, cause, round_at = None, None, iso(utcnow())
    if pending:
        try:
            session = connect(context_flag)
        except (ClusterUnreachable, NoCluster) as exc:
            trouble, cause = exc.one_line(), exc.message
    if trouble is None:
        plans = [drill_plan(record) for record in pending]
        for record, outcome in zip(pending, _collect_all(session, plans, context_flag)):
            if isinstance(outcome, NoActiveDrill):   # its namespace was deleted: the task is not done
                tasks[str(record.id)] = _entry(_undecided(record, "FAIL", outcome.message), None, by, round_at)
            elif isinstance(outcome, ClusterUnreachable):
                trouble, cause = outcome.one_line(), outcome.message
                tasks[str(record.id)] = _entry(_undecided(record, "ERROR", trouble), None, by, round_at)
            else:
                bundle, report = outcome
                record_attempt(store, record, bundle, report)
                tasks[str(record.id)] = _entry(report.to_dict(), bundle.get("collected_at"), by, round_at)
    else:
        for record in pending:
            tasks[str(record.id)] = _entry(_undecided(record, "ERROR", trouble), None, by, round_at)
    result["trouble"] = cause    # what kept tasks undecided, for the keeper's note and the warning
    result["score"] = weighted_score([(w, tasks[str(r.id)]["report"]["score"])
                                      for r, w in zip(records, _weights(records))])
    if final or all(tasks[str(r.id)]["report"]["status"] in DECIDED for r in records):
        store.end_exam(exam["id"], result["score"], iso(utcnow()), result=result,
                       reported=by != "keeper")
    else:
        store.save_exam_result(exam["id"], result)


GRADE_JOBS = 4    # tasks graded side by side, so the last is graded seconds, not a minute, after the first


def _collect_all(session, plans, context_flag: str | None) -> list:
    """(bundle, report) per plan, or the NoActiveDrill / ClusterUnreachable that stopped it, in
    order. Up to GRADE_JOBS at once, each worker on a session of its own; anything else raises."""
    from concurrent.futures import ThreadPoolExecutor

    from drills.errors import ClusterUnreachable

    def one(session, plan):
        try:
            return grade_live(session, plan)
        except (NoActiveDrill, ClusterUnreachable) as exc:
            return exc

    if len(plans) <= 1:
        return [one(session, plan) for plan in plans]
    import threading

    from drills.graders.registry import load_all
    load_all()    # register every check once, here, rather than in several workers at once
    local = threading.local()

    def in_worker(plan):
        if not hasattr(local, "session"):
            try:
                local.session = connect(context_flag)
            except ClusterUnreachable as exc:
                return exc
        return one(local.session, plan)

    with ThreadPoolExecutor(max_workers=min(GRADE_JOBS, len(plans))) as pool:
        return list(pool.map(in_worker, plans))


# --- what the learner is shown --------------------------------------------------------------

def _diagnosis(report: dict) -> str:
    if report.get("error"):
        return report["error"]
    first = next((r for r in report.get("results") or [] if r.get("status") != "PASS"), None)
    return first.get("message", "") if first else ""


def _hhmm(moment) -> str:
    return moment.strftime("%H:%M")


def _keeper_absence(exam: dict) -> str:
    if exam.get("keeper_note"):
        return exam["keeper_note"]
    if not exam.get("keeper_token"):
        return "no deadline keeper was started"
    return "the deadline keeper was not running at the deadline: stopped, killed, or the machine was off"


def graded_how(exam: dict, records, tasks: dict) -> str | None:
    """How an exam's tasks were graded against its deadline, in one sentence; None when it was
    ended before its deadline."""
    from drills.keeper import deadline_of
    from drills.store import parse_iso
    deadline = deadline_of(exam)
    entries = [(n, tasks.get(str(r.id))) for n, r in enumerate(records, start=1)]
    # an ERROR task scores nothing whenever it is graded: only decided tasks can credit late changes
    entries = [(n, e, (parse_iso(e.get("round_at") or e["graded_at"]) - deadline).total_seconds())
               for n, e in entries if e and e["report"]["status"] in DECIDED]
    if not entries or all(late < 0 for _, _, late in entries):
        return None
    at = _hhmm(deadline)
    late = [(n, e, s) for n, e, s in entries if e["graded_by"] != "keeper" or s > ON_TIME_S]
    if not late:
        return f"graded at the deadline ({at} UTC) by the deadline keeper"
    minutes = int(max(s for _, _, s in late) // 60)
    after = "less than a minute" if minutes < 1 else f"{minutes} min"
    which = "" if len(late) == len(entries) else \
        ("task " if len(late) == 1 else "tasks ") + ", ".join(str(n) for n, _, _ in late) + \
        " (the others at the deadline) "
    if all(e["graded_by"] == "keeper" for _, e, _ in late):
        return (f"{which}graded {after} after the deadline by the deadline keeper, once this machine "
                f"ran again: changes made after {at} UTC may be credited")
    return (f"{which}graded {after} after the deadline, at your next drills command: changes made "
            f"after {at} UTC may be credited ({_keeper_absence(exam)})")


def show_exam(store, exam: dict, as_json: bool, console=None) -> int:
    """The exam's stored result (as grade_once left it); a closed exam counts as shown from now on."""
    import json

    from drills.errors import ExitCode
    from drills.keeper import deadline_of
    from drills.ui import assemble, out
    console = console or out
    records = store.exam_drills(exam["id"])
    tasks = (json.loads(exam["result"]) if exam.get("result") else {}).get("tasks", {})
    rows = [(rec, tasks.get(str(rec.id)) or _entry(_undecided(rec, "ERROR", "not graded"), None, "command"), w)
            for rec, w in zip(records, _weights(records))]
    closed = bool(exam["ended_at"])
    how = graded_how(exam, records, tasks)
    total = exam["score"] if closed else json.loads(exam["result"] or "{}").get("score", 0.0)
    if as_json:
        from drills.ui import print_json
        print_json({"score": total, "pass_mark": PASS_MARK, "passed": total >= PASS_MARK,
                    "remaining_seconds": round(remaining_seconds(exam)), "closed": closed, "graded": how,
                    "deadline": deadline_of(exam).isoformat(), "tasks": [
                        {**e["report"], "weight": w, "namespace": rec.namespace,
                         "graded_at": e["graded_at"], "graded_by": e["graded_by"]} for rec, e, w in rows]})
    else:
        if how or not closed:
            console.print(assemble(("Time is up", "bold"), f" for the mock exam started "
                                   f"{exam['started_at'][:16].replace('T', ' ')} UTC ({exam['minutes']:g} "
                                   f"minutes): " + ("graded and closed." if closed else "graded, not closed.")),
                          soft_wrap=True)
        if how:
            console.print(assemble(how[0].upper() + how[1:] + "."))
        _print_exam([(rec, e["report"], w) for rec, e, w in rows], total, remaining_seconds(exam), console)
        if not closed:
            undecided = sum(e["report"]["status"] not in DECIDED for _, e, _ in rows)
            console.print(assemble(f"Not closed yet: {undecided} task(s) could not be decided (ERROR, not FAIL): the next drills command "
                                   "or 'drills exam check' grades them again; 'drills exam end' closes the "
                                   "exam as it stands."))
    if closed:
        store.mark_reported(exam["id"])
    else:
        return ExitCode.GRADING_ERROR
    return ExitCode.OK if total >= PASS_MARK else ExitCode.CHECKS_FAILED


def _print_exam(rows, total: float, remaining: float, console=None) -> None:
    """rows: (drill record, report dict, weight) per task."""
    from drills.ui import duration, out, print_rows, status_text
    console = console or out
    tasks = [{"task": number, "scenario": rec.scenario, "weight": weight, "report": report}
             for number, (rec, report, weight) in enumerate(rows, start=1)]
    print_rows(tasks, as_json=False, title="mock exam", heading=2, empty="No tasks.", wrap=("diagnosis",),
               columns=("task", "scenario", "weight", "result", "score", "diagnosis"),
               cells=lambda t: (str(t["task"]), t["scenario"], f"{t['weight']}%",
                                status_text(t["report"]["status"]), f"{t['report']['score']:g}%",
                                _diagnosis(t["report"])),
               console=console)
    verdict = "[bold green]pass[/]" if total >= PASS_MARK else "[bold red]below the pass mark[/]"
    left = f"{duration(remaining)} left" if remaining > 0 else "time is up"
    console.print(f"Score {total:g}% ({verdict}, pass mark {PASS_MARK:g}%). {left}.")


def _check_output(store, exam: dict, entries: dict, total: float, as_json: bool) -> None:
    records = store.exam_drills(exam["id"])
    rows = [(rec, entries[str(rec.id)], w) for rec, w in zip(records, _weights(records))]
    if as_json:
        from drills.ui import print_json
        print_json({"score": total, "pass_mark": PASS_MARK, "passed": total >= PASS_MARK,
                    "remaining_seconds": round(remaining_seconds(exam)), "closed": False, "tasks": [
                        {**e["report"], "weight": w, "namespace": rec.namespace,
                         "graded_at": e["graded_at"], "graded_by": e["graded_by"]} for rec, e, w in rows]})
        return
    _print_exam([(rec, e["report"], w) for rec, e, w in rows], total, remaining_seconds(exam))


def finish_exam(store, exam: dict, context_flag: str | None, as_json: bool = False,
                console=None, reset: bool = False, by: str = "end") -> int:
    """Grade every undecided task a final time, record the score, close the exam (or show the
    result another process stored); exit code by the pass mark."""
    after, _ = grade_once(store, exam, context_flag, by, final=by == "end")
    code = show_exam(store, after, as_json, console)
    if reset:
        _reset_exam(store, exam, context_flag)
    return code


def _reset_exam(store, exam: dict, context_flag: str | None) -> None:
    from drills.lifecycle import reset as reset_drills
    records = store.exam_drills(exam["id"])
    reset_drills(connect(context_flag), [ns for rec in records for ns in drill_plan(rec).namespaces])
    for rec in records:
        store.end(rec.id)


def _time_is_up(store, exam: dict, context_flag: str | None, as_json: bool, console=None) -> int:
    """An exam past its deadline ends now, graded as the cluster stands (unless the deadline
    keeper graded it at the deadline: then its result is shown)."""
    return finish_exam(store, exam, exam["context"] if context_flag is None else context_flag, as_json,
                       console, by="command")


def close_expired_exams() -> None:
    """Run before every other verb (see drills.deadline): show exams the deadline keeper closed,
    grade and close exams past their deadline, reporting on stderr so a verb's own output (e.g.
    --json) stays clean. A cluster that cannot be reached only warns: the verb the user asked for
    still runs, and the next command tries again."""
    from drills.cli import exit_status_for
    from drills.ui import err, inert
    store = open_store()
    for exam in store.unreported_exams():
        show_exam(store, exam, as_json=False, console=err)
    for exam in _expired(store):
        try:
            after, _ = grade_once(store, exam, exam["context"], by="command")
        except Exception as exc:  # noqa: BLE001 - mapped to one line below; unknown errors re-raise there
            _, line = exit_status_for(exc)
        else:
            if after["ended_at"]:
                show_exam(store, after, as_json=False, console=err)
                continue
            import json
            line = json.loads(after["result"] or "{}").get("trouble") or "some tasks are ERROR"
        click.echo(f"drills: warning: the mock exam on {inert(exam['context'])} ran out of time but could not "
                   f"be graded: {inert(line)} (the next drills command tries again; 'drills exam end' "
                   "grades it as it stands)", err=True)


def _expired(store) -> list[dict]:
    rows = store.db.execute("SELECT * FROM exams WHERE ended_at IS NULL ORDER BY id").fetchall()
    return [dict(r) for r in rows if remaining_seconds(dict(r)) <= 0]


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
    for closed in store.unreported_exams(context):   # graded at its deadline since the learner looked
        show_exam(store, closed, as_json=False)
    running = store.open_exam(context)
    if running and remaining_seconds(running) <= 0:   # out of time but not yet closed: close it first
        _time_is_up(store, running, context_flag, as_json=False)
        if store.exam(running["id"])["ended_at"] is None:
            raise UsageError(f"the last exam on context {context} ran out of time and could not be graded",
                             "close it as it stands with 'drills exam end'")
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
    from drills import keeper
    at = _hhmm(keeper.deadline_of(store.exam(exam_id)))
    try:   # the same kubeconfig and context as this start, so the keeper grades what was deployed
        pid = keeper.spawn(store, exam_id, getattr(session, "kubeconfig", None))
        when = (f"at {minutes:g} minutes ({at} UTC) the exam ends: a deadline keeper (pid {pid}) grades it "
                "then as the cluster stands, even if you run no drills command.")
    except OSError as exc:
        store.set_keeper(exam_id, None, note=f"no deadline keeper could be started ({exc.strerror or exc})")
        when = (f"at {minutes:g} minutes ({at} UTC) the exam ends and the next drills command grades it "
                f"(no deadline keeper could be started: {exc.strerror or exc}).")
    from drills.codes import MAX_EXAM_TASKS, display, exam_code
    shown = display(exam_code(count, seed)) if count <= MAX_EXAM_TASKS else "-"
    out.rule(f"[bold]Mock exam (seed {seed}, code {shown}): {len(tasks)} tasks, "
             f"{minutes:g} minutes, pass mark {PASS_MARK:g}%[/]")
    for task, plan in zip(tasks, plans):
        out.rule(assemble(f"Task {task.number} ({task.weight}% of the exam) · namespace {plan.namespace}"))
        print_plain(plan.task)
    out.rule()
    out.print(assemble(f"Context: {context}. The clock runs from now, without pause; {when}"))
    out.print("Work in the exam terminal with 'drills shell --exam'; 'drills exam task N' shows task N,")
    out.print("'drills exam status' the task list, 'drills exam check' grades, 'drills exam end' finishes.")
    return 0


@command.command("check")
@context_option
@json_option
def check(context_flag: str | None, as_json: bool) -> int:
    """Grade every task of the running exam (does not end it, unless its time is up)."""
    store, exam, shown = _exam_or_closed(context_flag, as_json)
    if shown is not None:
        return shown
    if remaining_seconds(exam) <= 0:
        return _time_is_up(store, exam, context_flag, as_json)
    entries, total = _grade_exam(store, exam, context_flag)
    _check_output(store, exam, entries, total, as_json)
    from drills.errors import ExitCode
    codes = {"PASS": ExitCode.OK, "FAIL": ExitCode.CHECKS_FAILED}
    return max(codes.get(e["report"]["status"], ExitCode.GRADING_ERROR) for e in entries.values())


@command.command("status")
@context_option
@json_option
def status(context_flag: str | None, as_json: bool) -> int:
    """The task list with weights and done marks, like the exam's question panel (no grading)."""
    from drills import keeper
    from drills.ui import duration, out
    store, exam, shown = _exam_or_closed(context_flag, as_json)
    if shown is not None:
        return shown
    if remaining_seconds(exam) <= 0:
        return _time_is_up(store, exam, context_flag, as_json)
    watched = keeper.watching(exam)
    at = _hhmm(keeper.deadline_of(exam))
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
    remaining = remaining_seconds(exam)
    if as_json:
        from drills.ui import print_json
        print_json({"exam_id": exam["id"], "seed": exam["seed"], "context": exam["context"],
                    "started_at": exam["started_at"], "minutes": exam["minutes"],
                    "remaining_seconds": round(remaining), "pass_mark": PASS_MARK, "tasks": tasks,
                    "deadline": keeper.deadline_of(exam).isoformat(),
                    "keeper": {"watching": watched, "pid": exam["keeper_pid"] if watched else None,
                               "note": None if watched else _keeper_absence(exam)}})
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
    if watched:
        out.print(f"A deadline keeper (pid {exam['keeper_pid']}) is watching the clock: at {at} UTC it "
                  "grades the exam as the cluster stands then.")
    else:
        from drills.ui import assemble
        out.print(assemble(f"No deadline keeper is watching the clock ({_keeper_absence(exam)}): "
                           f"the first drills command after {at} UTC grades the exam."))
    out.print("'drills exam task N' shows task N and its namespace.", soft_wrap=True)
    return 0


@command.command("task")
@click.argument("number", type=int)
@context_option
def task(number: int, context_flag: str | None) -> int:
    """Show task NUMBER; inside 'drills shell --exam', also switch the shell to its namespace."""
    from drills.shell import switch_exam_task
    from drills.ui import assemble, out, print_command, print_plain
    store, exam, shown = _exam_or_closed(context_flag, as_json=False)
    context = exam["context"]
    if shown is not None or remaining_seconds(exam) <= 0:
        if shown is None:
            _time_is_up(store, exam, context_flag, as_json=False)
        raise NoActiveDrill("the exam's time is up; it was graded above",
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
    store, exam, shown = _exam_or_closed(context_flag, as_json)
    if shown is not None:   # the deadline keeper closed it: its result is shown; only --reset is left
        if reset:
            _reset_exam(store, exam, context_flag)
        return shown
    return finish_exam(store, exam, context_flag, as_json, reset=reset)
