"""Fairness of scenario kube-proxy-node on bundles derived from a real cluster
(tests/fixtures/bundles/kube-proxy-node/build.py writes them), and the check
daemonset.ready-every-node on its own."""
from __future__ import annotations

import copy
import subprocess
import sys


from drills.graders.judge import broken_state_shown
from drills.graders.registry import ERROR, FAIL, PASS
from tests.fixtures import bundles as B
from tests.graders.kit import bundle, cases, judged, plan_for, run

SCENARIO = "kube-proxy-node"
FOLDER = B.BUNDLES / SCENARIO
PATHS = sorted(FOLDER.glob("*.json"))
CHECK = "daemonset.ready-every-node"
ARGS = {"daemonset": "kube-proxy", "namespace": "kube-system"}


def test_the_bundles_are_what_the_builder_writes():
    done = subprocess.run([sys.executable, str(FOLDER / "build.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_scenario_meets_the_fairness_bar():
    found = cases(SCENARIO)
    outcome, broken = found["broken"]
    assert outcome == "FAILED" and broken_state_shown(plan_for(broken), broken)[0]
    assert not broken_state_shown(plan_for(found["reference"][1]), found["reference"][1])[0]
    fixes = plan_for(broken).fixes
    assert sum(f.outcome == "pass" for f in fixes.values()) >= 3
    assert sum(f.outcome == "fail" for f in fixes.values()) >= 3
    assert sum(outcome == "FAILED" for outcome, _ in found.values()) >= 4
    assert "probe-pod-down" in found and found["probe-pod-down"][0] == "ERROR"
    for name, fix in fixes.items():
        assert name in found, f"fix {name} has no offline twin"
        outcome, b = found[name]
        assert outcome == {"pass": "PASSED", "fail": "FAILED"}[fix.outcome], name
        if fix.outcome == "fail":
            assert judged(b).diagnosis.name == fix.diagnosis == b["fixture"]["diagnosis"], name


def test_the_broken_diagnosis_names_the_node_and_the_rule():
    first = judged(bundle(SCENARIO, "broken")).diagnosis
    assert first.name == "kube-proxy.every-node"
    assert "harness-node-2: no pod" in first.observed
    assert "drills.dev/kube-proxy NotIn [excluded]" in first.observed
    assert "kubectl -n kube-system get pods -l k8s-app=kube-proxy -o wide" in first.hint
    nodeport = judged(bundle(SCENARIO, "broken")).by_name("reach.nodeport-every-node")
    assert nodeport.status == FAIL and "198.18.255.2" in nodeport.observed
    assert "harness-node (" not in nodeport.observed       # the healthy node is not blamed


# --- the check on variants of the reference bundle -----------------------------------------

def proxy_pods(b):
    return [p for p in b["objects"]["pods"] if p["metadata"]["namespace"] == "kube-system"]


def test_a_kube_proxy_pod_that_is_not_ready_fails():
    b = bundle(SCENARIO, "reference")
    pod = proxy_pods(b)[1]
    for cond in pod["status"]["conditions"]:
        if cond["type"] == "Ready":
            cond["status"] = "False"
    verdict = run(CHECK, b, **ARGS)
    assert verdict.status == FAIL and f"pod {pod['metadata']['name']} is not Ready" in verdict.observed


def test_a_deleted_daemonset_fails_while_its_namespace_was_read():
    b = bundle(SCENARIO, "reference")
    b["objects"]["daemonsets"] = []
    for pod in proxy_pods(b):
        b["objects"]["pods"].remove(pod)
    b["objects"]["pods"].append(copy.deepcopy(pod) | {"metadata": {**pod["metadata"],
                                                                   "name": "coredns-x",
                                                                   "labels": {"k8s-app": "kube-dns"}}})
    verdict = run(CHECK, b, **ARGS)
    assert verdict.status == FAIL and "no DaemonSet kube-proxy" in verdict.observed


def test_a_terminating_kube_proxy_pod_does_not_count():
    b = bundle(SCENARIO, "reference")
    proxy_pods(b)[0]["metadata"]["deletionTimestamp"] = "2026-11-26T02:50:00Z"
    assert run(CHECK, b, **ARGS).status == FAIL


def test_a_bundle_without_nodes_is_undecided():
    b = bundle(SCENARIO, "reference")
    b["objects"].pop("nodes")
    assert run(CHECK, b, **ARGS).status == ERROR


def test_a_node_selector_that_excludes_a_node_is_named():
    b = bundle(SCENARIO, "reference")
    ds = b["objects"]["daemonsets"][0]
    ds["spec"]["template"]["spec"]["nodeSelector"]["disk"] = "ssd"
    b["objects"]["pods"] = [p for p in b["objects"]["pods"]
                            if p["spec"].get("nodeName") != "harness-node-2"
                            or p["metadata"]["namespace"] != "kube-system"]
    verdict = run(CHECK, b, **ARGS)
    assert verdict.status == FAIL and "nodeSelector disk=ssd" in verdict.observed


def test_the_reference_passes_the_check_itself():
    assert run(CHECK, bundle(SCENARIO, "reference"), **ARGS).status == PASS
