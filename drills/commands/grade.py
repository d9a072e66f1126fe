"""drills grade: judge saved evidence offline, or grade drills on any cluster (instructors)."""
from __future__ import annotations

import click

from drills.commands._common import context_option, exit_code_for, json_option
from drills.errors import UsageError


@click.command("grade")
@click.option("--evidence", "evidence_files", multiple=True, metavar="FILE",
              help="Judge a saved evidence bundle offline (repeatable).")
@click.option("--namespace", "namespaces", multiple=True, metavar="NS",
              help="Grade this drill namespace live (repeatable; default: every drill namespace).")
@context_option
@json_option
def command(evidence_files: tuple[str, ...], namespaces: tuple[str, ...], context_flag: str | None,
            as_json: bool) -> int:
    """Grade evidence files offline, or the drills running on a (learner's) cluster."""
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
