"""constraint.readiness-probe-kept: the readiness probe was repaired, not
removed: every container that had one still has one, aimed at its web server."""
from __future__ import annotations

from drills.evidence import container_ports
from drills.graders.checks._common import Undecidable, as_int, decides, kubectl, require_workload
from drills.graders.registry import STAGE_CONSTRAINT, check, failed, passed, undecided


def _containers(obj: dict) -> list[dict]:
    return ((((obj.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers")) or []


def _probe_target(container: dict) -> tuple[str, int | None] | None:
    """(handler kind, resolved port) of a readiness probe, None without one."""
    probe = container.get("readinessProbe")
    if not probe:
        return None
    for kind in ("httpGet", "tcpSocket", "grpc"):
        if kind in probe:
            port = probe[kind].get("port")
            if as_int(port) is None:
                named = [p for p in container.get("ports") or [] if p.get("name") == port]
                port = named[0].get("containerPort") if named else None
            return kind, as_int(port)
    return ("exec" if "exec" in probe else "other"), None


@check("constraint.readiness-probe-kept", "The readiness probe is repaired, not removed",
       stage=STAGE_CONSTRAINT)
@decides
def readiness_probe_kept(ev, workload, kind="Deployment"):
    subject = f"{kind} {workload}"
    want = "a readiness probe on each container that had one, checking the port it serves"
    wl = require_workload(ev, workload, kind, subject, want)
    planned = ev.planned_object(kind, workload)
    if planned is None:
        raise Undecidable(undecided(subject, want, f"the plan deploys no {kind} {workload}",
                                    "report this scenario as a bug"))
    live = {c.get("name"): c for c in _containers(wl.live)}
    problems, kept = [], []
    for c in _containers(planned):
        if not c.get("readinessProbe"):
            continue
        name = c.get("name")
        serving = {as_int(p.get("containerPort")) for p in container_ports({"spec": {"containers": [c]}})}
        target = _probe_target(live.get(name) or {})
        if target is None:
            problems.append(f"container {name} has no readiness probe any more")
        elif target[0] in ("exec", "other"):
            problems.append(f"container {name}'s readiness probe became {target[0]}, which does not "
                            "check the web server")
        elif target[1] not in serving:
            problems.append(f"container {name}'s readiness probe checks port {target[1]}, not the "
                            f"served port {', '.join(map(str, sorted(serving)))}")
        else:
            kept.append(f"{name}: {target[0]} on {target[1]}")
    if problems:
        return failed(subject, want, "; ".join(problems),
                      kubectl(ev, f"get {kind.lower()} {workload} -o jsonpath="
                                  "'{.spec.template.spec.containers[*].readinessProbe}'"))
    return passed(subject, want, "; ".join(kept) or "no container had a readiness probe")
