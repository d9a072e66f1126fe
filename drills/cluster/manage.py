"""Drills already running: list them, delete them, apply a scenario's fix."""
from __future__ import annotations

import os
import shlex
import subprocess
import time
from typing import Any, Callable

import yaml

from drills.cluster import objects as O
from drills.cluster import setup as cluster_setup
from drills.cluster.start import GONE_WAIT_S, wait_gone
from drills.errors import BadScenarioPack, ClusterUnreachable, NoCluster

KUBECTL_INSTALL = "install kubectl: https://kubernetes.io/docs/tasks/tools/"
KUBECTL_TIMEOUT_S = 120


def drill_namespaces(api: Any) -> list[dict]:
    # the label selector already filters; checking again costs nothing and guards fakes
    return [n for n in api.list("namespaces", label_selector=O.DRILL_SELECTOR)
            if O.is_drill_namespace(n)]


def list_drills(session: Any) -> list[dict]:
    """One entry per drill, named by its main namespace; "namespaces" lists all of
    its namespaces (an extra namespace whose main one is gone is listed alone)."""
    summaries = [O.drill_summary(n) for n in drill_namespaces(session.api)]
    present = {s["name"] for s in summaries}
    drills = []
    for summary in summaries:
        main = summary["drill_namespace"]
        if summary["name"] != main and main in present:
            continue
        extras = [s["name"] for s in summaries if s["drill_namespace"] == summary["name"]
                  and s["name"] != summary["name"]]
        drills.append({**summary, "namespaces": [summary["name"], *sorted(extras)]})
    return sorted(drills, key=lambda d: (d["created"] or "", d["name"]))


def reset_drills(session: Any, namespaces: list[str] | None = None, *, wait: bool = True,
                 progress: Callable[[str], None] = lambda phase: None,
                 timeout: float = GONE_WAIT_S) -> list[str]:
    """Delete drill namespaces (None: all of them), with the extra namespaces
    of each drill; refuse the whole request if any name is not a drill's."""
    api = session.api
    known = drill_namespaces(api)
    if namespaces is None:
        for ns in known:
            O.refuse_unless_drill_namespace(ns)
        targets = [n["metadata"]["name"] for n in known]
    else:
        targets = []
        for name in namespaces:
            ns = api.get("namespaces", name)
            if ns is None:
                continue
            O.refuse_unless_drill_namespace(ns)
            targets.append(name)
        for ns in known:  # a drill's extra namespaces point at its main one
            summary = O.drill_summary(ns)
            if summary["drill_namespace"] in targets and summary["name"] not in targets:
                targets.append(summary["name"])
    if not targets:
        if namespaces is None:
            sweep(api, progress)
        return []
    restore_cluster(api, targets, progress)
    if namespaces is None:
        sweep(api, progress)
    progress("deleting namespaces")
    for name in targets:
        api.delete("namespaces", name)
    if wait:
        progress("waiting until they are gone")
        wait_gone(api, targets, timeout)
    return targets


def restore_cluster(api: Any, targets: list[str], progress: Callable[[str], None]) -> None:
    """Put back what cluster-wide drills changed, before their namespaces (which
    hold the restore records) are deleted; an error leaves every namespace in place."""
    records = []
    for name in targets:
        ns = api.get("namespaces", name)
        if ns is not None:
            records += cluster_setup.record_of(ns)
    if records:
        progress("restoring cluster-wide settings")
        cluster_setup.restore(api, records)


def sweep(api: Any, progress: Callable[[str], None]) -> None:
    """reset --all also clears cluster-wide marks whose record went with a deleted namespace."""
    swept = cluster_setup.sweep_leftovers(api)
    if swept:
        progress(f"restored {', '.join(swept)}")


# --- fixes ------------------------------------------------------------------------

def apply_fix(session: Any, plan: Any, fix: Any) -> None:
    for number, step in enumerate(fix.steps, 1):
        if len(step) != 1:
            raise BadScenarioPack(f"fix {fix.name} step {number}: one of kubectl/apply/wait per step",
                                  "fix the step in scenario.yaml")
        (verb, argument), = step.items()
        where = f"scenario {plan.scenario}: fix {fix.name} step {number}"
        if verb == "kubectl":
            run_kubectl(session, plan.namespace, str(argument), where)
        elif verb == "apply":
            apply_yaml(session.api, plan, str(argument), where)
        elif verb == "wait":
            try:
                time.sleep(float(argument))
            except ValueError:
                raise BadScenarioPack(f"{where}: wait {argument!r} is not a number of seconds",
                                      "write e.g. wait: \"2\"") from None
        else:
            raise BadScenarioPack(f"{where}: unknown step {verb!r}", "use kubectl, apply or wait")


def kubectl_argv(session: Any, namespace: str, arguments: str) -> tuple[list[str], dict[str, str]]:
    args = shlex.split(arguments)
    if args[:1] == ["kubectl"]:
        args = args[1:]
    argv = ["kubectl", "--context", session.context]
    env = dict(os.environ)
    if session.kubeconfig and os.pathsep not in session.kubeconfig:
        argv += ["--kubeconfig", session.kubeconfig]
    elif session.kubeconfig:
        env["KUBECONFIG"] = session.kubeconfig
    return argv + ["-n", namespace] + args, env


def run_kubectl(session: Any, namespace: str, arguments: str, where: str) -> str:
    argv, env = kubectl_argv(session, namespace, arguments)
    try:
        done = subprocess.run(argv, capture_output=True, text=True, env=env,
                              timeout=KUBECTL_TIMEOUT_S, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise NoCluster("kubectl is not installed", KUBECTL_INSTALL) from None
    except subprocess.TimeoutExpired:
        raise ClusterUnreachable(f"{where}: kubectl {arguments} did not finish within "
                                 f"{KUBECTL_TIMEOUT_S} s", f"check context {session.context}") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        raise BadScenarioPack(f"{where}: kubectl {arguments} failed: {last}",
                              "fix the step in scenario.yaml")
    return done.stdout


def apply_yaml(api: Any, plan: Any, text: str, where: str) -> None:
    try:
        docs = [d for d in yaml.safe_load_all(text) if d]
    except yaml.YAMLError as exc:
        raise BadScenarioPack(f"{where}: apply holds invalid YAML ({exc})",
                              "fix the step in scenario.yaml") from None
    for doc in docs:
        if not isinstance(doc, dict):
            raise BadScenarioPack(f"{where}: apply holds a {type(doc).__name__}, not an object",
                                  "fix the step in scenario.yaml")
        body, ns = O.placed(doc, plan.namespace)
        if ns not in plan.namespaces:
            raise BadScenarioPack(f"{where}: {doc.get('kind')} targets namespace {ns}, which is "
                                  f"not one of the drill's", "leave the namespace out")
        api.apply(body, ns)
