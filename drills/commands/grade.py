"""drills grade: judge saved evidence offline, or grade drills on any cluster (instructors)."""
from __future__ import annotations

import click

from drills.commands._common import context_option, exit_code_for, json_option
from drills.errors import UsageError


@click.command("grade")
@click.option("--evidence", "evidence_files", multiple=True, metavar="FILE_OR_DIR",
              help="Judge saved evidence bundles offline (repeatable; a folder: every *.json in it).")
@click.option("--namespace", "namespaces", multiple=True, metavar="NS",
              help="Grade this drill namespace live (repeatable; default: every drill namespace).")
@context_option
@click.option("--contexts", "context_patterns", multiple=True, metavar="PATTERN",
              help="Grade a class: every kubeconfig context matching the glob (repeatable), e.g. 'learner-*'.")
@click.option("--kubeconfig", metavar="FILE", help="The class kubeconfig (default: KUBECONFIG); "
              "without --contexts every context in it is graded.")
@click.option("--learner-label", metavar="KEY", help="Name learners by this label of their drill "
              "namespaces (default: by context).")
@click.option("--jobs", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Contexts graded side by side.")
@click.option("--timeout", "timeout_s", type=click.FloatRange(1, 3600), default=120, show_default=True,
              help="Seconds one context may take before it is an ERROR row.")
@click.option("--report", "report_file", metavar="FILE",
              help="Write a class report: .json, .csv, .xml (JUnit) or .html, by extension.")
@click.option("--save-evidence", "evidence_dir", metavar="DIR",
              help="Keep every learner's evidence bundle in DIR (for a later dispute).")
@click.option("--class-run", "class_run", metavar="ID",
              help="Re-render a stored class run (no cluster needed).")
@json_option
def command(evidence_files: tuple[str, ...], namespaces: tuple[str, ...], context_flag: str | None,
            context_patterns: tuple[str, ...], kubeconfig: str | None, learner_label: str | None,
            jobs: int, timeout_s: float, report_file: str | None, evidence_dir: str | None,
            class_run: str | None, as_json: bool) -> int:
    """Grade evidence files offline, or the drills running on a (learner's) cluster; or a whole class."""
    from pathlib import Path
    if (context_patterns or kubeconfig or learner_label or report_file or evidence_dir or class_run
            or any(Path(p).is_dir() for p in evidence_files)):
        from drills.classroom import grade_class_command
        return grade_class_command(evidence=evidence_files, namespaces=namespaces, context=context_flag,
                                   patterns=context_patterns, kubeconfig=kubeconfig,
                                   learner_label=learner_label, jobs=jobs, timeout=timeout_s,
                                   report=report_file, evidence_dir=evidence_dir, class_run=class_run,
                                   as_json=as_json)
    from drills.graders.judge import judge
    reports = []
    if evidence_files and namespaces:
        raise UsageError("use --evidence or --namespace, not both", "see 'drills grade --help'")
    if evidence_files:
        from drills.evidence import load_bundle, replay_bundle
        for path in evidence_files:
            bundle = load_bundle(path)
            reports.append(judge(replay_bundle(bundle, f"evidence file {path}"), bundle))
    else:
        from drills.cluster import list_drills, verified_plan
        from drills.commands._common import connect, grade_live
        session = connect(context_flag)
        found = list_drills(session)
        if namespaces:
            missing = sorted(set(namespaces) - {d["name"] for d in found})
            if missing:
                raise UsageError(f"no drill namespace {', '.join(missing)} on context {session.context}",
                                 "list them with 'kubectl get ns -l app.kubernetes.io/managed-by=drills'")
            found = [d for d in found if d["name"] in namespaces]
        if not found:
            raise UsageError(f"no drill namespaces on context {session.context}",
                             "the learner starts one with 'drills start <scenario>'")
        # every annotation is verified before anything is probed (the learner wrote them)
        plans = [verified_plan(session, drill["name"]) for drill in found]
        for drill, plan in zip(found, plans):
            _, report = grade_live(session, plan, drill.get("scenario_hash"))
            reports.append(report)
    if as_json:
        from drills.ui import print_json
        print_json([r.to_dict() for r in reports])
    else:
        from drills.ui import print_report
        for report in reports:
            print_report(report)
    return max(exit_code_for(r) for r in reports)
