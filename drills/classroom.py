"""Grading a class: many learners' contexts (or submitted bundles) at once, into rows.

One row per learner x task (a drill namespace, or a submitted bundle). A
context that cannot be graded at all (unreachable, forbidden, too slow) is one
ERROR row for that learner and never stops the others. Contexts are graded
side by side by a bounded thread pool; every API request of a context is
bounded by that context's deadline, so a slow context ends on time.

Safety: only namespaces drills labelled are listed (label selector), and each
drill's annotation is verified against its namespace (drills.cluster.trust)
before anything is probed, so nothing is ever sent to a namespace drills did
not create.
"""
from __future__ import annotations

import fnmatch
import functools
import json
import re
import secrets
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from drills.errors import ClusterUnreachable, DrillsError, UsageError

DEFAULT_JOBS = 8
DEFAULT_TIMEOUT_S = 120.0
PASS, FAIL, ERROR = "PASS", "FAIL", "ERROR"


# --- rows ----------------------------------------------------------------------------

def task_name(scenario: str | None, level: str | None) -> str:
    if not scenario:
        return "-"
    return f"{scenario} ({level})" if level else scenario


def _seconds_between(start: str | None, end: str | None) -> float | None:
    from drills.store import parse_iso
    try:
        return round(max(0.0, (parse_iso(end) - parse_iso(start)).total_seconds()), 1)
    except (TypeError, ValueError, AttributeError):
        return None


def report_row(learner: str, source: str, context: str | None, report, identity: dict,
               started_at: str | None = None) -> dict[str, Any]:
    """A judged drill as a row: what every report format reads."""
    from drills.codes import code_for_identity
    diag = report.diagnosis
    elapsed = _seconds_between(started_at, report.collected_at)
    return {
        "learner": learner, "source": source, "context": context,
        "task": task_name(report.scenario, identity.get("level")),
        "scenario": report.scenario, "level": identity.get("level"), "seed": report.seed,
        "namespace": report.namespace, "code": code_for_identity(identity),
        "status": report.status, "score": report.score,
        "started_at": started_at, "collected_at": report.collected_at,
        "elapsed_seconds": elapsed, "solve_seconds": elapsed if report.status == PASS else None,
        "diagnosis": ({"check": diag.check, "name": diag.name, "status": diag.status,
                       "message": diag.message, "hint": diag.hint} if diag else None),
        "checks": [{"check": r.check, "name": r.name, "title": r.title, "stage": r.stage,
                    "status": r.status, "message": r.message, "expected": r.expected,
                    "observed": r.observed, "hint": r.hint, "weight": r.weight}
                   for r in report.results],
        "error": None,
    }


def error_row(learner: str, source: str, context: str | None, message: str,
              identity: dict | None = None) -> dict[str, Any]:
    """Infrastructure trouble: ERROR, never the learner's FAIL."""
    # an unverified annotation: only plain values of the expected types are kept
    identity = identity if isinstance(identity, dict) else {}
    scenario, level, seed, namespace = (identity.get("scenario"), identity.get("level"),
                                        identity.get("seed"), identity.get("namespace"))
    scenario = scenario[:100] if isinstance(scenario, str) else None
    level = level[:40] if isinstance(level, str) else None
    seed = seed if isinstance(seed, int) and not isinstance(seed, bool) else None
    namespace = namespace[:63] if isinstance(namespace, str) else None
    return {
        "learner": learner, "source": source, "context": context,
        "task": task_name(scenario, level), "scenario": scenario,
        "level": level, "seed": seed, "namespace": namespace, "code": None,
        "status": ERROR, "score": 0.0, "started_at": None, "collected_at": None,
        "elapsed_seconds": None, "solve_seconds": None,
        "diagnosis": {"check": None, "name": None, "status": ERROR, "message": message, "hint": ""},
        "checks": [], "error": message,
    }


# --- one context -------------------------------------------------------------------------

class Stopped(ClusterUnreachable):
    """The run was interrupted: no further request is sent."""


def bound_requests(api: Any, deadline: float, stop: threading.Event, context: str,
                   timeout: float) -> None:
    """Make every REST request and exec of `api` end by `deadline` (and none start
    once `stop` is set). Works on KubeApi, whose verbs all go through request()."""
    def remaining() -> float:
        if stop.is_set():
            raise Stopped(f"context {context}: grading was interrupted", "run the grade again")
        left = deadline - time.monotonic()
        if left <= 0:
            raise ClusterUnreachable(f"context {context}: grading did not finish within {timeout:g} s",
                                     "raise --timeout, or check that context's API server")
        return left

    if hasattr(api, "request"):
        original = api.request

        @functools.wraps(original)
        def request(method, path, **kwargs):
            kwargs["timeout"] = min(kwargs.get("timeout") or timeout, remaining())
            return original(method, path, **kwargs)
        api.request = request
    if hasattr(api, "exec"):
        original_exec = api.exec

        @functools.wraps(original_exec)
        def exec_(namespace, pod, argv, **kwargs):
            kwargs["timeout"] = min(kwargs.get("timeout") or timeout, remaining())
            return original_exec(namespace, pod, argv, **kwargs)
        api.exec = exec_


def learner_of(drill: dict, context: str, learner_label: str | None) -> str:
    if learner_label:
        value = (drill.get("labels") or {}).get(learner_label)
        if value:
            return str(value)
    return context


def grade_context(context: str, *, timeout: float = DEFAULT_TIMEOUT_S,
                  learner_label: str | None = None, stop: threading.Event | None = None,
                  save_bundle: Callable[[str, dict], None] | None = None,
                  only: Iterable[str] | None = None) -> list[dict]:
    """Rows for every drill namespace on one context (or only those named in `only`);
    never raises for cluster trouble."""
    from drills import cluster
    from drills.cluster.manage import drill_namespaces
    from drills.cluster.objects import drill_summary
    from drills.commands._common import grade_live
    stop = stop or threading.Event()
    deadline = time.monotonic() + timeout
    try:
        session = cluster.connect(context, True, timeout=min(timeout, 10.0))
        bound_requests(session.api, deadline, stop, context, timeout)
        namespaces = drill_namespaces(session.api)
    except DrillsError as exc:
        return [error_row(context, context, context, exc.one_line())]
    except Exception as exc:  # noqa: BLE001 - an API's surprise must not end the class run
        return [error_row(context, context, context, f"context {context}: {type(exc).__name__}: {exc}")]
    labelled = {(n.get("metadata") or {}).get("name") for n in namespaces}
    summaries = [{**drill_summary(n), "labels": (n.get("metadata") or {}).get("labels") or {}}
                 for n in namespaces]
    drills = [s for s in summaries if s["drill_namespace"] == s["name"]
              or s["drill_namespace"] not in labelled]
    if only is not None:
        wanted = set(only)
        drills = [d for d in drills if d["name"] in wanted]
    if not drills:
        learner = learner_of(summaries[0], context, learner_label) if summaries else context
        return [error_row(learner, context, context,
                          f"context {context}: no drill namespaces "
                          + (f"named {', '.join(sorted(only))}" if only is not None
                             else "(labelled app.kubernetes.io/managed-by=drills)"))]
    rows = []
    for drill in sorted(drills, key=lambda d: (d["created"] or "", d["name"])):
        learner = learner_of(drill, context, learner_label)
        identity = drill["identity"] if isinstance(drill["identity"], dict) else {}
        try:
            # the annotation is the learner's to edit: verified against its namespace first
            plan = cluster.verified_plan(session, drill["name"])
            bundle, report = grade_live(session, plan)
        except DrillsError as exc:
            rows.append(error_row(learner, context, context, exc.one_line(), identity))
            continue
        except Exception as exc:  # noqa: BLE001
            rows.append(error_row(learner, context, context, f"{type(exc).__name__}: {exc}", identity))
            continue
        if save_bundle:
            save_bundle(learner, bundle)
        rows.append(report_row(learner, context, context, report, plan.identity(), drill["created"]))
    return rows


def grade_bundle_file(path: Path) -> list[dict]:
    """A submitted bundle, judged offline; the learner is the file's name (before
    '--', as --save-evidence names them: <learner>--<namespace>.json)."""
    from drills.evidence import load_bundle, replay_bundle
    from drills.graders.judge import judge
    learner = path.stem.split("--")[0] or path.stem
    try:
        bundle = load_bundle(path)
        identity = bundle["drill"]
        report = judge(replay_bundle(bundle, f"evidence file {path}"), bundle)
    except DrillsError as exc:
        return [error_row(learner, str(path), None, exc.one_line())]
    return [report_row(learner, str(path), bundle.get("context"), report, identity)]


# --- many at once ----------------------------------------------------------------------------

def matching_contexts(patterns: Iterable[str], available: list[str]) -> list[str]:
    chosen: list[str] = []
    for pattern in patterns:
        hits = [c for c in available if fnmatch.fnmatchcase(c, pattern)]
        if not hits:
            raise UsageError(f"no context matches {pattern!r} (the kubeconfig has "
                             f"{', '.join(available[:8]) or 'none'}{' ...' if len(available) > 8 else ''})",
                             "list them with 'kubectl config get-contexts -o name'")
        chosen += [c for c in hits if c not in chosen]
    return chosen


def evidence_files(paths: Iterable[str]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(path.rglob("*.json"))
            if not found:
                raise UsageError(f"folder {path} holds no evidence bundles (*.json)",
                                 "pass the folder learners' bundles were collected in")
            files += found
        else:
            files.append(path)
    return files


@dataclass
class ClassRun:
    id: str
    started_at: str
    source: str
    rows: list[dict] = field(default_factory=list)
    ended_at: str | None = None
    interrupted: bool = False
    targets: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"class_run": self.id, "started_at": self.started_at, "ended_at": self.ended_at,
                "source": self.source, "interrupted": self.interrupted, "targets": self.targets,
                "rows": self.rows}


def new_run_id(now: str) -> str:
    stamp = re.sub(r"[^0-9]", "", now)[:14]
    return f"{stamp[:8]}-{stamp[8:14]}-{secrets.token_hex(2)}"


def run_all(targets: list[str], grade_one: Callable[[str], list[dict]], *, jobs: int,
            on_done: Callable[[str, list[dict]], None] = lambda target, rows: None,
            stop: threading.Event | None = None, backstop_s: float | None = None,
            error_for: Callable[[str, str], dict] | None = None) -> tuple[list[dict], bool]:
    """Grade targets side by side (at most `jobs` at once); rows in target order.
    Returns (rows, interrupted). Ctrl-C cancels what has not started and tells
    running graders to stop; the rows of finished targets are kept. A target whose
    grader outlives `backstop_s` from its submission is given up as an ERROR row."""
    stop = stop or threading.Event()
    results: dict[str, list[dict]] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="drills-grade")
    futures: dict[Future, str] = {}
    interrupted = abandoned = False
    try:
        for target in targets:
            future = pool.submit(grade_one, target)
            futures[future] = target
        pending = set(futures)
        started = {f: None for f in futures}
        while pending:
            done, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
            now = time.monotonic()
            for future in done:
                target = futures[future]
                try:
                    rows = future.result()
                except Exception as exc:  # noqa: BLE001 - a grader's bug is that learner's ERROR
                    rows = [(error_for or _default_error)(target, f"{type(exc).__name__}: {exc}")]
                results[target] = rows
                on_done(target, rows)
            if backstop_s is not None:
                for future in list(pending):
                    if future.running() and started[future] is None:
                        started[future] = now
                    if started[future] is not None and now - started[future] > backstop_s:
                        pending.discard(future)
                        abandoned = True        # its requests are bounded; it ends on its own
                        target = futures[future]
                        results[target] = [(error_for or _default_error)(
                            target, f"grading {target} did not end within {backstop_s:g} s")]
                        on_done(target, results[target])
    except KeyboardInterrupt:
        interrupted = True
        stop.set()
    finally:
        pool.shutdown(wait=not (interrupted or abandoned), cancel_futures=True)
    rows = [row for target in targets if target in results for row in results[target]]
    return rows, interrupted


def _default_error(target: str, message: str) -> dict:
    return error_row(target, target, target, message)


def safe_file_name(text: str) -> str:
    """A learner-controlled name as one harmless path component."""
    cleaned = re.sub(r"\.{2,}", "_", re.sub(r"[^A-Za-z0-9._-]+", "_", text)).strip("._") or "learner"
    return cleaned[:80]


def evidence_saver(folder: str | None) -> Callable[[str, dict], None] | None:
    if not folder:
        return None
    root = Path(folder)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create evidence folder {root} ({exc.strerror})",
                         "choose a writable --save-evidence folder") from exc
    lock = threading.Lock()

    def save(learner: str, bundle: dict) -> None:
        name = f"{safe_file_name(learner)}--{safe_file_name(bundle['drill'].get('namespace') or 'drill')}.json"
        with lock:
            (root / name).write_text(json.dumps(bundle, indent=1, sort_keys=True) + "\n")
    return save


# --- the history database -------------------------------------------------------------------

def store_run(store: Any, run: ClassRun) -> None:
    with store._tx() as db:
        db.execute("INSERT OR REPLACE INTO class_runs (id, started_at, ended_at, source, interrupted, targets)"
                   " VALUES (?,?,?,?,?,?)", (run.id, run.started_at, run.ended_at, run.source,
                                              int(run.interrupted), run.targets))
        db.execute("DELETE FROM class_results WHERE run_id = ?", (run.id,))
        db.executemany("INSERT INTO class_results (run_id, position, learner, task, status, row)"
                       " VALUES (?,?,?,?,?,?)",
                       [(run.id, n, r["learner"], r["task"], r["status"], json.dumps(r, sort_keys=True))
                        for n, r in enumerate(run.rows)])


def load_run(store: Any, run_id: str) -> ClassRun:
    head = store.db.execute("SELECT * FROM class_runs WHERE id = ?", (run_id,)).fetchone()
    if head is None:
        known = [r[0] for r in store.db.execute("SELECT id FROM class_runs ORDER BY started_at DESC LIMIT 5")]
        raise UsageError(f"no class run {run_id!r} in the history database",
                         f"recent runs: {', '.join(known)}" if known else "grade a class first")
    rows = [json.loads(r[0]) for r in store.db.execute(
        "SELECT row FROM class_results WHERE run_id = ? ORDER BY position", (run_id,))]
    return ClassRun(id=head["id"], started_at=head["started_at"], ended_at=head["ended_at"],
                    source=head["source"], interrupted=bool(head["interrupted"]),
                    targets=head["targets"], rows=rows)


# --- the verb's class mode (drills grade --contexts/--kubeconfig/--evidence DIR/--class-run) ----

def exit_code_for_rows(rows: list[dict]) -> int:
    from drills.errors import ExitCode
    codes = {PASS: ExitCode.OK, FAIL: ExitCode.CHECKS_FAILED}
    return max((int(codes.get(r["status"], ExitCode.GRADING_ERROR)) for r in rows), default=0)


def _targets(evidence, context, patterns, kubeconfig) -> tuple[str, list[str]]:
    import os
    if evidence:
        if patterns or kubeconfig:
            raise UsageError("grade either evidence bundles or contexts, not both",
                             "drop --evidence, or drop --contexts/--kubeconfig")
        return "evidence", [str(p) for p in evidence_files(evidence)]
    if kubeconfig:
        if not Path(kubeconfig).is_file():
            raise UsageError(f"kubeconfig {kubeconfig} does not exist", "pass the class kubeconfig file")
        os.environ["KUBECONFIG"] = str(Path(kubeconfig).resolve())   # this process grades that class only
    from drills.cluster.session import kubeconfig_contexts, kubeconfig_paths
    available = kubeconfig_contexts(kubeconfig_paths())
    if patterns:
        return "contexts", matching_contexts(patterns, available)
    if context:
        return "contexts", [context]
    if kubeconfig:
        if not available:
            raise UsageError(f"kubeconfig {kubeconfig} has no contexts", "pass the class kubeconfig file")
        return "contexts", available
    raise UsageError("name the class: --contexts PATTERN, --kubeconfig FILE or --evidence DIR",
                     "e.g. drills grade --contexts 'learner-*' --report class.html")


def grade_class_command(**options) -> int:
    """`drills grade` in class mode; KUBECONFIG is what --kubeconfig says only while it runs."""
    import os
    saved = os.environ.get("KUBECONFIG")
    try:
        return _grade_class(**options)
    finally:
        if saved is None:
            os.environ.pop("KUBECONFIG", None)
        else:
            os.environ["KUBECONFIG"] = saved


def _grade_class(*, evidence, namespaces, context, patterns, kubeconfig, learner_label, jobs,
                 timeout, report, evidence_dir, class_run, as_json) -> int:
    from drills.commands._common import open_store
    from drills.errors import Interrupted
    from drills.store import iso, utcnow
    if report:
        from drills.reports import check_report_path
        check_report_path(report)  # a report that cannot be written fails before any grading
    store = open_store()          # a broken history database fails before any cluster is asked
    if class_run:
        if evidence or patterns or kubeconfig or context or evidence_dir or namespaces:
            raise UsageError("--class-run re-renders a stored run; it grades nothing new",
                             "pass only --class-run ID with --report/--json")
        run = load_run(store, class_run)
        _finish(run, report, as_json)
        return exit_code_for_rows(run.rows)
    kind, targets = _targets(evidence, context, patterns, kubeconfig)
    if namespaces and kind == "evidence":
        raise UsageError("--namespace picks drills on a cluster, not in bundles", "leave out --namespace")
    saver = evidence_saver(evidence_dir) if kind == "contexts" else None
    started = iso(utcnow())
    source = (f"evidence: {len(targets)} bundles" if kind == "evidence"
              else f"contexts: {', '.join(patterns) if patterns else ', '.join(targets[:3])}"
                   f" ({len(targets)})")
    run = ClassRun(id=new_run_id(started), started_at=started, source=source, targets=len(targets))
    stop = threading.Event()
    if kind == "evidence":
        def grade_one(target: str) -> list[dict]:
            return grade_bundle_file(Path(target))
    else:
        def grade_one(target: str) -> list[dict]:
            return grade_context(target, timeout=timeout, learner_label=learner_label, stop=stop,
                                 save_bundle=saver, only=namespaces or None)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from drills.ui import err
    with Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.description}"), console=err, transient=True) as progress:
        bar = progress.add_task("", total=len(targets))

        def done(target: str, rows: list[dict]) -> None:
            progress.update(bar, advance=1, description=f"last: {target} {rows[0]['status'] if rows else ''}")
        run.rows, run.interrupted = run_all(targets, grade_one, jobs=jobs, on_done=done, stop=stop,
                                            backstop_s=timeout + 15)
    run.ended_at = iso(utcnow())
    store_run(store, run)
    _finish(run, report, as_json)
    if run.interrupted:
        graded = len({r["source"] for r in run.rows})
        raise Interrupted(f"interrupted: {graded} of {len(targets)} graded, stored as class run {run.id}",
                          f"re-render with 'drills grade --class-run {run.id} --report FILE'")
    if not as_json:
        from drills.ui import out
        out.print(f"Stored as class run {run.id}; re-render with "
                  f"'drills grade --class-run {run.id} --report FILE'.", markup=False, soft_wrap=True)
    return exit_code_for_rows(run.rows)


def _finish(run: ClassRun, report: str | None, as_json: bool) -> None:
    data = run.to_dict()
    if report:
        from drills.reports import write_report
        write_report(data, report)
    if as_json:
        from drills.reports.summary import summarise
        from drills.ui import print_json
        print_json({**data, "summary": summarise(run.rows)})
    else:
        from drills.reports.terminal import print_run
        print_run(data)
        if report:
            from drills.ui import out
            out.print(f"Report written to {report}.", markup=False, soft_wrap=True)
