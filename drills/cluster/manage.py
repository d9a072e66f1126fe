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
    records = restore_cluster(api, targets, progress)
    if namespaces is None:
        sweep(api, progress)
    progress("deleting namespaces")
    for name in targets:
        api.delete("namespaces", name)
    if wait:
        deadline = time.monotonic() + timeout
        wait_restore_complete(api, records, deadline, progress)
        progress("waiting until they are gone")
        wait_gone(api, targets, max(0.0, deadline - time.monotonic()))
    return targets


def wait_restore_complete(api: Any, records: list[dict], deadline: float,
                          progress: Callable[[str], None], poll: float = 0.5) -> None:
    """Until what the restore put back has taken effect (a DaemonSet's pods run
    again everywhere), so the next drill meets the cluster as it was."""
    while records:
        pending = cluster_setup.pending_restore(api, records)
        if not pending:
            return
        if time.monotonic() >= deadline:
            raise ClusterUnreachable(f"the cluster-wide settings were put back, but {pending[0]} "
                                     "has not recovered in time",
                                     "see kubectl -n kube-system get pods -o wide; drills reset "
                                     "--all waits again")
        progress(f"waiting for {pending[0]} to recover")
        time.sleep(poll)


def restore_cluster(api: Any, targets: list[str], progress: Callable[[str], None]) -> list[dict]:
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
    return records


def sweep(api: Any, progress: Callable[[str], None]) -> None:
    """reset --all also clears cluster-wide marks whose record went with a deleted namespace."""
    swept = cluster_setup.sweep_leftovers(api)
    if swept:
        progress(f"restored {', '.join(swept)}")


# --- fixes ------------------------------------------------------------------------

STEP_KINDS = ("kubectl", "apply", "replace", "wait", "rollout_started")
ROLLOUT_STARTED_TIMEOUT_S = 90.0
REVISION = "deployment.kubernetes.io/revision"


def apply_fix(session: Any, plan: Any, fix: Any) -> None:
    """Run a declared fix as a learner would: kubectl commands, manifests through
    `kubectl apply -f -` or `kubectl replace -f -`, pauses, and waits for what the fix
    really produces."""
    for number, step in enumerate(fix.steps, 1):
        where = f"scenario {plan.scenario}: fix {fix.name} step {number}"
        if len(step) != 1:
            raise BadScenarioPack(f"{where}: one of {', '.join(STEP_KINDS)} per step",
                                  "fix the step in scenario.yaml")
        (verb, argument), = step.items()
        if verb == "kubectl":
            run_kubectl(session, plan.namespace, str(argument), where)
        elif verb in ("apply", "replace"):
            send_yaml(session, plan, verb, str(argument), where)
        elif verb == "wait":
            try:
                time.sleep(float(argument))
            except ValueError:
                raise BadScenarioPack(f"{where}: wait {argument!r} is not a number of seconds",
                                      "write e.g. wait: \"2\"") from None
        elif verb == "rollout_started":
            wait_rollout_started(session.api, plan, str(argument), where)
        else:
            raise BadScenarioPack(f"{where}: unknown step {verb!r}",
                                  f"use one of {', '.join(STEP_KINDS)}")


def rollout_target(plan: Any, argument: str, where: str) -> tuple[str, str]:
    """(namespace, Deployment name) of a `rollout_started: [-n NS] deployment/NAME` step."""
    words = shlex.split(argument)
    namespace = plan.namespace
    rest = []
    while words:
        word = words.pop(0)
        if word in ("-n", "--namespace") and words:
            namespace = words.pop(0)
        elif word.startswith("--namespace="):
            namespace = word.split("=", 1)[1]
        else:
            rest.append(word)
    kind, _, name = (rest[0] if len(rest) == 1 else "").partition("/")
    if kind not in ("deployment", "deploy", "deployments") or not name:
        raise BadScenarioPack(f"{where}: rollout_started {argument!r} does not name one Deployment",
                              "write e.g. rollout_started: \"-n NS deployment/NAME\"")
    if namespace not in plan.namespaces:
        raise BadScenarioPack(f"{where}: rollout_started targets namespace {namespace}, which is "
                              "not one of the drill's", "name a Deployment of the drill")
    return namespace, name


def new_pods_running(api: Any, namespace: str, name: str) -> tuple[bool, str]:
    """Whether the Deployment's controller acted on its latest spec and its newest
    ReplicaSet has a running pod, Ready or not (what a wrong fix leaves behind too)."""
    deployment = api.get("deployments", name, namespace)
    if deployment is None:
        return False, f"Deployment {namespace}/{name} does not exist"
    meta, status = deployment.get("metadata") or {}, deployment.get("status") or {}
    if status.get("observedGeneration", 0) < meta.get("generation", 0):
        return False, "its controller has not seen the change yet"
    revision = (meta.get("annotations") or {}).get(REVISION)
    owned = [rs for rs in api.list("replicasets", namespace)
             if any(ref.get("uid") == meta.get("uid")
                    for ref in (rs.get("metadata") or {}).get("ownerReferences") or [])]
    newest = next((rs for rs in owned
                   if ((rs.get("metadata") or {}).get("annotations") or {}).get(REVISION) == revision),
                  None)
    if newest is None:
        return False, f"no ReplicaSet of revision {revision} yet"
    uid = newest["metadata"].get("uid")
    pods = [p for p in api.list("pods", namespace)
            if any(ref.get("uid") == uid for ref in (p.get("metadata") or {}).get("ownerReferences") or [])]
    if not (deployment.get("spec") or {}).get("replicas", 1):
        return True, "scaled to zero"
    if any(container_started(p) for p in pods):
        return True, "a pod of the new ReplicaSet runs"
    return False, f"ReplicaSet {newest['metadata'].get('name')} has no running pod yet"


def container_started(pod: dict) -> bool:
    """A pod whose containers all run (Ready or not), not being deleted."""
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        return False
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    return bool(statuses) and all((cs.get("state") or {}).get("running") is not None for cs in statuses)


def wait_rollout_started(api: Any, plan: Any, argument: str, where: str,
                         timeout: float = ROLLOUT_STARTED_TIMEOUT_S, poll: float = 0.5) -> None:
    namespace, name = rollout_target(plan, argument, where)
    deadline = time.monotonic() + timeout
    while True:
        started, why = new_pods_running(api, namespace, name)
        if started:
            return
        if time.monotonic() >= deadline:
            raise ClusterUnreachable(f"{where}: the rollout of Deployment {namespace}/{name} did not "
                                     f"start within {timeout:g} s ({why})",
                                     f"kubectl -n {namespace} describe deployment {name}")
        time.sleep(poll)


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


def run_kubectl(session: Any, namespace: str, arguments: str, where: str,
                stdin: str | None = None) -> str:
    argv, env = kubectl_argv(session, namespace, arguments)
    try:
        done = subprocess.run(argv, capture_output=True, text=True, env=env,
                              timeout=KUBECTL_TIMEOUT_S, input=stdin,
                              stdin=subprocess.DEVNULL if stdin is None else None)
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


def send_yaml(session: Any, plan: Any, verb: str, text: str, where: str) -> None:
    """`kubectl apply -f -` or `kubectl replace -f -` of the step's manifests, one call per
    namespace. apply is what a learner's `kubectl apply -f file` does to objects drills
    created: a client-side apply with no last-applied record merges maps into what is
    there, so a mistyped selector key stays. replace sends whole objects, as `kubectl
    edit` leaves them; the API server carries the allocated clusterIP and nodePorts over."""
    try:
        docs = [d for d in yaml.safe_load_all(text) if d]
    except yaml.YAMLError as exc:
        raise BadScenarioPack(f"{where}: {verb} holds invalid YAML ({exc})",
                              "fix the step in scenario.yaml") from None
    by_namespace: dict[str, list[dict]] = {}
    for doc in docs:
        if not isinstance(doc, dict):
            raise BadScenarioPack(f"{where}: {verb} holds a {type(doc).__name__}, not an object",
                                  "fix the step in scenario.yaml")
        body, ns = O.placed(doc, plan.namespace)
        if ns not in plan.namespaces:
            raise BadScenarioPack(f"{where}: {doc.get('kind')} targets namespace {ns}, which is "
                                  f"not one of the drill's", "leave the namespace out")
        by_namespace.setdefault(ns, []).append(body)
    for ns, bodies in by_namespace.items():
        run_kubectl(session, ns, f"{verb} -f -", where,
                    stdin=yaml.safe_dump_all(bodies, sort_keys=False))
