"""Cluster-wide setup (scenario.yaml `cluster_setup:`) against the fake API: applied in
order before the manifests, refused before any change, restored exactly on reset,
on failure and on Ctrl-C."""
from __future__ import annotations

import dataclasses

import pytest

import drills.cluster as cluster
from drills import catalog
from drills.cluster import manage as M
from drills.cluster import objects as O
from drills.cluster import setup as S
from drills.cluster.api import ApiError
from drills.errors import BadScenarioPack, ClusterUnreachable, FaultNotVerified, UsageError
from drills.render import render
from tests.unit.cluster import kube_proxy_world as W
from tests.unit.cluster.fakes import Session, kubelet, make_plan
from tests.unit.cluster.fakes_cluster_wide import (DaemonSetController, cluster_fake,
                                                   cluster_state, cluster_world, proxy_nodes)
from tests.unit.cluster.test_start import SELECTOR_FAULT, start

# the fakes move per API call: polls and deadlines run on a virtual clock, no waiting
pytestmark = pytest.mark.usefixtures("virtual_clock")

NS = "drill-kube-proxy-node-7"
KEY = "drills.dev/kube-proxy"
STEPS = [{"label_node": {"key": KEY, "value": "excluded"}},
         {"exclude_daemonset": {"namespace": "kube-system", "name": "kube-proxy", "key": KEY,
                                "value": "excluded"}}]
WORKERS = ["drills-worker", "drills-worker2"]


def wide_plan(namespace: str = NS, seed: int = 7, **changes):
    plan = make_plan(namespace, cluster_wide=True, timeout=5.0)
    return dataclasses.replace(plan, seed=seed, cluster_setup=STEPS, **changes)


@pytest.fixture
def judge():
    return SELECTOR_FAULT


@pytest.fixture
def fake():
    return cluster_world()


def changes(fake):
    return [c for c in fake.calls if c[0] in ("create", "apply", "patch", "delete")]


def labelled(fake):
    return [n for (r, _, n), o in fake.objects.items()
            if r == "nodes" and KEY in (o["metadata"].get("labels") or {})]


# --- applying ----------------------------------------------------------------------------

def test_setup_runs_in_order_and_the_service_comes_after_kube_proxy_left(fake, judge):
    seen_at_service = []

    def watch_service(api):
        if ("services", NS, "web") in api.objects and not seen_at_service:
            seen_at_service.append(proxy_nodes(api))
    fake.controllers.append(watch_service)
    phases = []
    before = cluster_state(fake)
    start(Session(fake), wide_plan(), phases.append)

    assert phases == ["creating namespace", "changing cluster-wide settings", "applying objects",
                      "waiting for pods", "verifying fault"]
    order = [c[:2] for c in changes(fake) if c[0] != "apply"] + [("apply", "first")]
    assert order[:3] == [("create", "namespaces"), ("patch", "nodes"), ("patch", "daemonsets")]
    chosen = WORKERS[7 % 2]
    assert labelled(fake) == [chosen]
    assert seen_at_service and chosen not in seen_at_service[0]
    assert proxy_nodes(fake) == {"drills-control-plane", *WORKERS} - {chosen}
    record = S.record_of(fake.objects[("namespaces", "", NS)])
    assert record[0]["label_node"] == {"node": chosen, "key": KEY, "value": "excluded", "was": None,
                                       "unschedulable": False}
    original = record[1]["exclude_daemonset"]["original"]
    assert original["spec"] == before["daemonsets"][("kube-system", "kube-proxy")]


def test_the_seed_chooses_among_schedulable_nodes_only(fake):
    chosen = {S.prepare(fake, wide_plan(seed=seed))[0]["label_node"]["node"] for seed in range(6)}
    assert chosen == set(WORKERS)          # never the tainted control plane


def test_the_exclusion_rule_joins_every_existing_term():
    existing = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "a", "operator": "Exists"}]},
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}]}}}
    out = S.excluding_affinity(existing, KEY, "excluded")
    terms = out["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    rule = {"key": KEY, "operator": "NotIn", "values": ["excluded"]}
    assert [t["matchExpressions"][-1] for t in terms] == [rule, rule]
    assert terms[1]["matchFields"] == existing["nodeAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][1]["matchFields"]
    assert S.excluding_affinity(None, KEY, "x")["nodeAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"] == [
        {"matchExpressions": [{"key": KEY, "operator": "NotIn", "values": ["x"]}]}]


def test_the_scenario_declares_the_same_steps():
    plan = render(catalog.get("kube-proxy-node"), 3)
    assert plan.cluster_wide and plan.cluster_setup == STEPS
    assert S.collected_scope(plan) == [("daemonsets", "kube-system"), ("pods", "kube-system")]


def test_setup_without_cluster_wide_is_a_scenario_error(fake):
    with pytest.raises(BadScenarioPack):
        S.prepare(fake, dataclasses.replace(wide_plan(), cluster_wide=False))


# --- refusing before any change ------------------------------------------------------------

def test_refused_without_a_kube_proxy_daemonset(judge):
    fake = cluster_fake(proxy=False)
    before = cluster_state(fake)
    with pytest.raises(UsageError) as caught:
        start(Session(fake), wide_plan())
    assert "DaemonSet kube-system/kube-proxy" in caught.value.message
    assert "\n" not in caught.value.one_line()
    assert changes(fake) == [] and cluster_state(fake) == before


@pytest.mark.parametrize("spoil", ["cordoned", "tainted", "single"])
def test_refused_with_fewer_than_two_schedulable_nodes(judge, spoil):
    nodes = W.kind_nodes()
    if spoil == "cordoned":
        nodes[2]["spec"]["unschedulable"] = True
    elif spoil == "tainted":
        nodes[2]["spec"]["taints"] = [{"effect": "NoExecute", "key": "maintenance"}]
    else:
        nodes = nodes[1:2]
    fake = cluster_fake(nodes)
    before = cluster_state(fake)
    with pytest.raises(UsageError) as caught:
        start(Session(fake), wide_plan())
    assert "at least 2 schedulable nodes" in caught.value.message
    assert changes(fake) == [] and cluster_state(fake) == before


def test_refused_while_another_drill_runs(fake, judge):
    other = make_plan("drill-other-1")
    fake.create("namespaces", O.namespace_body(other, "drill-other-1"))
    fake.calls.clear()
    before = cluster_state(fake)
    with pytest.raises(UsageError) as caught:
        start(Session(fake), wide_plan())
    assert "drill-other-1" in caught.value.message
    assert changes(fake) == [] and cluster_state(fake) == before


def test_no_other_drill_starts_while_it_runs(fake, judge):
    start(Session(fake), wide_plan())
    with pytest.raises(UsageError) as caught:
        start(Session(fake), make_plan("drill-selector-mismatch-8"))
    assert "cluster-wide" in caught.value.message
    assert ("namespaces", "", "drill-selector-mismatch-8") not in fake.objects


# --- putting it back ----------------------------------------------------------------------

def test_reset_restores_exactly_what_was_there_when_the_learner_did_nothing(fake, judge):
    before = cluster_state(fake)
    start(Session(fake), wide_plan())
    assert cluster_state(fake) != before
    phases = []
    assert M.reset_drills(Session(fake), None, progress=phases.append) == [NS]
    assert phases[0] == "restoring cluster-wide settings"
    assert cluster_state(fake) == before
    assert proxy_nodes(fake) == {"drills-control-plane", *WORKERS}


def test_reset_restores_after_the_learner_unlabelled_and_cordoned(fake, judge):
    fake.objects[("nodes", "", "drills-worker2")]["metadata"]["labels"][KEY] = "kept-by-admin"
    before = cluster_state(fake)
    start(Session(fake), wide_plan(seed=1))          # seed 1: drills-worker2
    node = fake.objects[("nodes", "", "drills-worker2")]
    del node["metadata"]["labels"][KEY]
    node["spec"]["unschedulable"] = True
    M.reset_drills(Session(fake), [NS])
    assert cluster_state(fake) == before                       # the admin's value is back


def test_reset_brings_back_a_deleted_daemonset(fake, judge):
    before = cluster_state(fake)
    start(Session(fake), wide_plan())
    fake.delete("daemonsets", "kube-proxy", "kube-system")
    M.reset_drills(Session(fake), [NS])
    assert cluster_state(fake) == before


def test_reset_all_sweeps_marks_whose_record_went_with_a_deleted_namespace(fake, judge):
    before = cluster_state(fake)
    start(Session(fake), wide_plan())
    fake.delete("namespaces", NS)          # the learner deleted the drill namespace by hand
    phases = []
    assert M.reset_drills(Session(fake), None, progress=phases.append) == []
    assert cluster_state(fake) == before
    assert phases == ["restored node drills-worker2, DaemonSet kube-system/kube-proxy"]
    assert M.reset_drills(Session(fake), None) == [] and cluster_state(fake) == before


def test_sweeping_keeps_everything_drills_did_not_write():
    theirs = {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]}
    ours = {"key": KEY, "operator": "NotIn", "values": ["excluded"]}
    affinity = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [theirs]}]}}, "podAffinity": {"x": 1}}
    assert S.without_owned_rules(affinity) is affinity
    assert S.without_owned_rules(S.excluding_affinity(affinity, KEY, "excluded")) == affinity
    assert S.without_owned_rules(S.excluding_affinity(None, KEY, "excluded")) is None
    mixed = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [ours], "matchFields": [{"key": "f"}]}]}}}
    assert S.without_owned_rules(mixed)["nodeAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"] == [{"matchFields": [{"key": "f"}]}]


def test_restore_writes_nothing_when_the_learner_already_put_things_back(fake, judge):
    start(Session(fake), wide_plan())
    record = S.record_of(fake.objects[("namespaces", "", NS)])
    S.restore(fake, record)
    fake.calls.clear()
    assert S.restore(fake, record) == []
    assert [c for c in fake.calls if c[0] in ("patch", "create")] == []


def test_reset_keeps_the_namespace_when_restoring_fails(fake, judge):
    start(Session(fake), wide_plan())
    fake.patch_errors.append(ApiError(503, "ServiceUnavailable", "etcd is slow"))
    with pytest.raises(ClusterUnreachable):
        cluster.reset_drills(Session(fake), [NS])
    assert ("namespaces", "", NS) in fake.objects          # the record survives for a retry
    cluster.reset_drills(Session(fake), [NS])
    assert ("namespaces", "", NS) not in fake.objects and labelled(fake) == []


@pytest.mark.parametrize("phase", ["changing cluster-wide settings", "applying objects",
                                   "waiting for pods", "verifying fault"])
def test_ctrl_c_during_start_restores_then_cleans_up(fake, judge, phase):
    before = cluster_state(fake)

    def interrupt(seen):
        if seen == phase:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        start(Session(fake), wide_plan(), interrupt)
    assert cluster_state(fake) == before
    assert ("namespaces", "", NS) not in fake.objects


def test_kube_proxy_that_never_leaves_fails_the_start_and_restores(judge):
    fake = cluster_fake()
    fake.controllers[:] = [DaemonSetController(frozen=True), kubelet]
    before_labels = cluster_state(fake)["nodes"]
    with pytest.raises(FaultNotVerified) as caught:
        start(Session(fake), wide_plan(broken_timeout=0.3))
    assert "DaemonSet kube-system/kube-proxy" in caught.value.message
    state = cluster_state(fake)
    assert state["nodes"] == before_labels and labelled(fake) == []
    assert "affinity" not in state["daemonsets"][("kube-system", "kube-proxy")]["template"]["spec"]
    assert ("namespaces", "", NS) not in fake.objects


def test_a_failed_restore_during_start_keeps_the_record_and_says_so(judge):
    fake = cluster_fake()
    fake.controllers[:] = [DaemonSetController(frozen=True), kubelet]
    original_patch = fake.patch
    calls = []

    def patch(*args, **kwargs):
        calls.append(args[0])
        if len(calls) > 2:               # the change goes through, the restore does not
            raise ApiError(503, "ServiceUnavailable", "etcd is slow")
        return original_patch(*args, **kwargs)
    fake.patch = patch
    with pytest.raises(ClusterUnreachable) as caught:
        start(Session(fake), wide_plan(broken_timeout=0.3))
    assert caught.value.hint.startswith("drills reset selector-mismatch")
    assert isinstance(caught.value.__cause__, FaultNotVerified)
    assert S.record_of(fake.objects[("namespaces", "", NS)])


# --- collecting ---------------------------------------------------------------------------

def test_cluster_wide_evidence_holds_the_daemonset_and_its_pods(fake, judge):
    plan = wide_plan()
    start(Session(fake), plan)
    bundle = cluster.collect_evidence(Session(fake), plan, [], api_only=True)
    assert [d["metadata"]["name"] for d in bundle["objects"]["daemonsets"]] == ["kube-proxy"]
    proxy = {p["spec"]["nodeName"] for p in bundle["objects"]["pods"]
             if p["metadata"]["namespace"] == "kube-system"}
    assert proxy == proxy_nodes(fake) and len(proxy) == 2
    plain = cluster.collect_evidence(Session(fake), make_plan(NS), [], api_only=True)
    assert not [p for kind in ("pods", "daemonsets") for p in plain["objects"][kind]
                if p["metadata"]["namespace"] == "kube-system"]
