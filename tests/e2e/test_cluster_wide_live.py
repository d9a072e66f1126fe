"""Cluster-wide drills against a live cluster (opt in: pytest -m cluster): the
kube-proxy-node setup really keeps kube-proxy off one worker, nothing else may start
beside it, and reset puts nodes and kube-proxy back even after a wrong fix (cordon)."""
from __future__ import annotations

import subprocess

import pytest

from drills import lifecycle
from drills.cluster.manage import kubectl_argv
from drills.errors import UsageError
from tests.e2e.test_drills_live import explain, judge_now, plan_for

pytestmark = pytest.mark.cluster

KEY = "drills.dev/kube-proxy"


def proxy_nodes(session) -> set[str]:
    return {p["spec"].get("nodeName") for p in session.api.list("pods", "kube-system",
                                                                label_selector="k8s-app=kube-proxy")
            if not p["metadata"].get("deletionTimestamp")}


def cluster_state(session) -> dict:
    ds = session.api.get("daemonsets", "kube-proxy", "kube-system")
    return {"affinity": ds["spec"]["template"]["spec"].get("affinity"),
            "nodes": {n["metadata"]["name"]: ((n["metadata"].get("labels") or {}).get(KEY),
                                              bool((n.get("spec") or {}).get("unschedulable")))
                      for n in session.api.list("nodes")}}


def test_kube_proxy_node_excludes_one_worker_and_reset_restores_after_a_cordon(session, drills_started):
    plan = plan_for("kube-proxy-node", 1)
    before = cluster_state(session)
    all_nodes = set(before["nodes"])
    assert proxy_nodes(session) == all_nodes, "kube-proxy must run everywhere before the drill"
    drills_started.append(plan)
    lifecycle.deploy(session, plan)

    excluded = [n for n, (label, _) in cluster_state(session)["nodes"].items() if label == "excluded"]
    assert len(excluded) == 1
    assert proxy_nodes(session) == all_nodes - set(excluded)
    with pytest.raises(UsageError):
        lifecycle.deploy(session, plan_for("selector-mismatch", 5001))

    argv, env = kubectl_argv(session, plan.namespace, f"cordon {excluded[0]}")
    subprocess.run(argv, env=env, check=True, capture_output=True, timeout=60)
    _, report = judge_now(session, plan)
    assert report.status == "FAIL" and report.diagnosis.name == "kube-proxy.every-node", explain(report)

    lifecycle.reset(session, [plan.namespace])
    assert cluster_state(session) == before
    # reset returns only once kube-proxy runs everywhere again: no waiting here
    assert proxy_nodes(session) == all_nodes


def test_reset_then_start_of_a_cluster_wide_drill_always_works(session, drills_started):
    """The real cluster refused such starts (403 'being terminated', 'a cluster-wide
    drill is active') while the old namespace terminated; a start now waits for it."""
    for seed in (11, 12, 11):
        plan = plan_for("kube-proxy-node", seed)
        drills_started.append(plan)
        lifecycle.deploy(session, plan)
        lifecycle.reset(session, [plan.namespace], wait=False)     # a learner who does not wait
    lifecycle.deploy(session, plan_for("selector-mismatch", 5002))
    drills_started.append(plan_for("selector-mismatch", 5002))
