"""constraint.workload-unchanged: the fix left the workload as the task said
(labels, ports, image, replicas... compared with the planned manifest)."""
from __future__ import annotations

from typing import Any, Callable

from drills.evidence import labels_of
from drills.graders.checks._common import Undecidable, decides, kubectl, require_workload
from drills.graders.registry import STAGE_CONSTRAINT, check, failed, passed, undecided


def _containers(obj: dict) -> list[dict]:
    return ((((obj.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers")) or []


def _ports(obj: dict) -> dict[str, list]:
    return {c.get("name"): sorted((p.get("containerPort"), p.get("name") or "", p.get("protocol", "TCP"))
                                  for p in c.get("ports") or []) for c in _containers(obj)}


def _probe_handler(probe: dict | None) -> Any:
    if not probe:
        return None
    for kind in ("httpGet", "tcpSocket", "exec", "grpc"):
        if kind in probe:
            # the API fills in scheme HTTP by default; the plan leaves it out
            handler = {k: v for k, v in probe[kind].items() if (k, v) != ("scheme", "HTTP")}
            return kind, sorted(handler.items(), key=lambda kv: kv[0])
    return "other", None


ASPECTS: dict[str, Callable[[dict], Any]] = {
    "labels": lambda o: labels_of((o.get("spec") or {}).get("template") or {}),
    "ports": _ports,
    "image": lambda o: {c.get("name"): c.get("image") for c in _containers(o)},
    "replicas": lambda o: (o.get("spec") or {}).get("replicas", 1),
    "command": lambda o: {c.get("name"): (c.get("command"), c.get("args")) for c in _containers(o)},
    "readiness": lambda o: {c.get("name"): _probe_handler(c.get("readinessProbe")) for c in _containers(o)},
}


@check("constraint.workload-unchanged", "The workload keeps what the task said to keep",
       stage=STAGE_CONSTRAINT)
@decides
def workload_unchanged(ev, workload, kind="Deployment", keep=("labels", "ports", "image", "replicas")):
    subject = f"{kind} {workload}"
    keep = [keep] if isinstance(keep, str) else list(keep)
    want = f"unchanged {', '.join(keep)}"
    unknown = [k for k in keep if k not in ASPECTS]
    if unknown:
        raise Undecidable(undecided(subject, want, f"the scenario asks to keep unknown aspect(s) "
                                    f"{', '.join(unknown)}", f"use some of {', '.join(ASPECTS)}"))
    wl = require_workload(ev, workload, kind, subject, want)
    planned = ev.planned_object(kind, workload)
    if planned is None:
        raise Undecidable(undecided(subject, want, f"the plan deploys no {kind} {workload}",
                                    "report this scenario as a bug"))
    changed = [f"{k} {ASPECTS[k](wl.live)!r} (was {ASPECTS[k](planned)!r})"
               for k in keep if ASPECTS[k](wl.live) != ASPECTS[k](planned)]
    if changed:
        return failed(subject, want, "changed " + "; ".join(changed),
                      kubectl(ev, f"get {kind.lower()} {workload} -o yaml") +
                      f"; undo with kubectl -n {ev.namespace} rollout undo {kind.lower()}/{workload} "
                      "and fix the Service instead")
    return passed(subject, want, f"{', '.join(keep)} as deployed")
