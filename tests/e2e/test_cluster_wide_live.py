"""Cluster-wide drills against a live cluster (opt in: pytest -m cluster): the
kube-proxy-node setup really keeps kube-proxy off one worker, nothing else may start
beside it, and reset puts nodes and kube-proxy back even after a wrong fix (cordon)."""
from __future__ import annotations

import subprocess
import time

import pytest

import drills.cluster as cluster
from drills.cluster.manage import kubectl_argv
from drills.errors import UsageError
from tests.e2e.test_drills_live import SEEDS, explain, judge_now, plan_for

pytestmark = pytest.mark.cluster

KEY = "drills.dev/kube-proxy"
SETTLE_S = 120


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
    plan = plan_for("kube-proxy-node", SEEDS[0])
    before = cluster_state(session)
    all_nodes = set(before["nodes"])
    assert proxy_nodes(session) == all_nodes, "kube-proxy must run everywhere before the drill"
    drills_started.append(plan)
    cluster.start_drill(session, plan)

    excluded = [n for n, (label, _) in cluster_state(session)["nodes"].items() if label == "excluded"]
    assert len(excluded) == 1
    assert proxy_nodes(session) == all_nodes - set(excluded)
    with pytest.raises(UsageError):
        cluster.start_drill(session, plan_for("selector-mismatch", SEEDS[0] + 5000))

    argv, env = kubectl_argv(session, plan.namespace, f"cordon {excluded[0]}")
    subprocess.run(argv, env=env, check=True, capture_output=True, timeout=60)
    _, report = judge_now(session, plan)
    assert report.status == "FAIL" and report.diagnosis.name == "kube-proxy.every-node", explain(report)

    cluster.reset_drills(session, [plan.namespace])
    assert cluster_state(session) == before
    deadline = time.monotonic() + SETTLE_S
    while proxy_nodes(session) != all_nodes and time.monotonic() < deadline:
        time.sleep(1)
    assert proxy_nodes(session) == all_nodes
