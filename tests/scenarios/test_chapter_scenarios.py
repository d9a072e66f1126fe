"""The chapter scenarios over many seeds: every render is valid, sets up exactly
the intended situation, keeps the fault out of the task text, and its fix steps
are well-formed commands. (Validity of objects and check arguments for every
scenario is covered by test_every_scenario.py; here each scenario's own setup.)
"""
from __future__ import annotations

import re
from functools import lru_cache

import pytest

from drills import catalog
from drills.manifests import DNS1123_SUBDOMAIN, NODEPORT_MAX, NODEPORT_MIN
from drills.render import render

SEEDS = range(240)


@lru_cache(maxsize=None)
def scenario(scenario_id: str):
    return catalog.get(scenario_id)


def plans(scenario_id: str):
    for seed in SEEDS:
        yield render(scenario(scenario_id), seed)


def objects(plan, kind: str) -> list[dict]:
    return [o for o in plan.manifests if o["kind"] == kind]


def one(plan, kind: str) -> dict:
    (found,) = objects(plan, kind)
    return found


def container(workload: dict) -> dict:
    (c,) = workload["spec"]["template"]["spec"]["containers"]
    return c


def pod_labels(workload: dict) -> dict:
    return workload["spec"]["template"]["metadata"]["labels"]


def listens_on(workload: dict) -> int:
    return int(re.search(r"httpd -f -p (\d+)", container(workload)["command"][-1]).group(1))


def prose(plan) -> str:
    """The task text without the namespace and object names (which may contain any word)."""
    text = plan.task.replace(plan.namespace, "<ns>")
    for name in ("svc_name", "app"):
        text = text.replace(str(plan.params[name]), "<name>")
    return text


def selects(selector: dict | None, labels: dict) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def backend_as_planned(plan, kind: str = "Deployment") -> dict:
    """The one backend workload, checked to serve on the declared, named container port."""
    p = plan.params
    (workload,) = [o for o in objects(plan, kind) if o["metadata"]["name"] == p["app"]
                   and "namespace" not in o["metadata"]]
    assert pod_labels(workload) == {p["label_key"]: p["app"]}
    assert workload["spec"]["replicas"] == p["replicas"] in (2, 3)
    (port,) = container(workload)["ports"]
    assert port == {"containerPort": p["container_port"], "name": p["port_name"], "protocol": "TCP"}
    assert listens_on(workload) == p["container_port"]
    assert container(workload)["image"] == plan.image
    return workload


# --- one situation per scenario ---------------------------------------------------------

def test_port_targetport_swap_swaps_exactly_the_two_numbers():
    for plan in plans("port-targetport-swap"):
        p = plan.params
        workload = backend_as_planned(plan)
        svc = one(plan, "Service")
        assert svc["metadata"]["name"] == p["svc_name"] and svc["spec"]["type"] == "ClusterIP"
        assert selects(svc["spec"]["selector"], pod_labels(workload)), "the selector is not the fault"
        (port,) = svc["spec"]["ports"]
        assert p["svc_port"] != p["container_port"]
        assert (port["port"], port["targetPort"]) == (p["container_port"], p["svc_port"])
        assert "targetPort" not in prose(plan) and "swap" not in prose(plan).lower()
        assert f"{p['svc_name']}:{p['svc_port']}" in plan.task


# a build task starts with a Deployment and no Service: the learner builds the Service
BUILD_TASKS = sorted(i for i, s in catalog.discover().items()
                     if [o["kind"] for o in render(s, 1).manifests] == ["Deployment"])


def test_some_scenarios_are_build_tasks():
    assert len(BUILD_TASKS) >= 3


@pytest.mark.parametrize("scenario_id", BUILD_TASKS)
def test_build_tasks_start_with_only_the_workload(scenario_id):
    for plan in plans(scenario_id):
        p = plan.params
        backend_as_planned(plan)
        assert objects(plan, "Service") == [], "the thing to build is absent"
        assert p["svc_port"] != p["container_port"], "a forgotten --target-port must show"
        assert p["svc_name"] != p["app"], "kubectl create service selects app=<name>: must miss"
        for text in (p["svc_name"], str(p["svc_port"]), str(p["container_port"])):
            assert text in plan.task
        if "node_port" in p:
            assert NODEPORT_MIN <= p["node_port"] <= NODEPORT_MAX
            assert str(p["node_port"]) in plan.task


def test_expose_nodeport_fixed_teaches_what_expose_cannot_do():
    plan = render(scenario("expose-nodeport-fixed"), 3)
    assert "kubectl expose has no flag" in plan.task and "30000-32767" in plan.task
    assert any("--dry-run=client -o yaml" in h for h in plan.hints)
    assert any("provided port is not in the valid range" in h for h in plan.hints)


def test_headless_statefulset_names_a_governing_service_that_does_not_exist():
    for plan in plans("headless-statefulset"):
        p = plan.params
        sts = backend_as_planned(plan, "StatefulSet")
        assert sts["spec"]["serviceName"] == p["svc_name"] != p["app"]
        assert objects(plan, "Service") == [] and objects(plan, "Deployment") == []
        for i in range(p["replicas"]):
            assert f"{p['app']}-{i}.{p['svc_name']}.{plan.namespace}.svc.cluster.local" in plan.task
        assert f"{p['app']}-{p['replicas']}." not in plan.task
        assert "None" not in prose(plan) and "headless" not in prose(plan).lower()


def test_externalname_alias_misses_the_outside_host_by_one_fault():
    faults = set()
    for plan in plans("externalname-alias"):
        p = plan.params
        faults.add(p["fault"])
        svc = one(plan, "Service")
        assert len(plan.manifests) == 1, "no workload: the name must be an alias, not a proxy"
        assert svc["metadata"]["name"] == p["svc_name"]
        assert DNS1123_SUBDOMAIN.match(p["ext_host"]) and DNS1123_SUBDOMAIN.match(p["wrong_host"])
        if p["fault"] == "typo":
            assert svc["spec"] == {"type": "ExternalName", "externalName": p["wrong_host"]}
            right, wrong = p["ext_host"].split(".", 1), p["wrong_host"].split(".", 1)
            assert right[1] == wrong[1] and right[0] != wrong[0]
            assert is_one_slip(right[0], wrong[0]), (right[0], wrong[0])
        else:
            assert svc["spec"]["type"] == "ClusterIP" and "externalName" not in svc["spec"]
            assert svc["spec"]["selector"] == {"app": p["svc_name"]}
        assert p["ext_host"] in plan.task and p["wrong_host"] not in plan.task
        assert "ExternalName" not in prose(plan)
    assert faults == {"typo", "clusterip"}


def is_one_slip(right: str, wrong: str) -> bool:
    """A doubled letter, a dropped letter or two neighbours swapped."""
    if len(wrong) == len(right) + 1:
        return any(wrong[:i] + wrong[i + 1:] == right and wrong[i] == wrong[i - 1]
                   for i in range(1, len(wrong)))
    if len(wrong) == len(right) - 1:
        return any(right[:i] + right[i + 1:] == wrong for i in range(len(right)))
    diff = [i for i in range(len(right)) if right[i] != wrong[i]]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and right[diff[0]] == wrong[diff[1]] \
        and right[diff[1]] == wrong[diff[0]]


def test_dns_cross_namespace_client_uses_the_short_name_from_elsewhere():
    for plan in plans("dns-cross-namespace"):
        p = plan.params
        client_ns = plan.extra_namespaces["client"]
        assert client_ns != plan.namespace and plan.namespaces == [plan.namespace, client_ns]
        workload = backend_as_planned(plan)
        (svc,) = objects(plan, "Service")
        assert "namespace" not in svc["metadata"], "the Service lives in the drill namespace"
        assert selects(svc["spec"]["selector"], pod_labels(workload))
        assert svc["spec"]["ports"] == [{"port": p["svc_port"], "targetPort": p["container_port"],
                                         "protocol": "TCP"}]
        (client,) = [d for d in objects(plan, "Deployment") if d["metadata"].get("namespace") == client_ns]
        c = container(client)
        assert c["image"] == plan.image
        assert c["env"] == [{"name": "TARGET", "value": f"http://{p['svc_name']}:{p['svc_port']}/"}]
        assert "$TARGET" in c["readinessProbe"]["exec"]["command"][-1], "Ready means it reaches TARGET"
        assert "$TARGET" in c["command"][-1]
        assert client["metadata"]["name"] == p["client_name"]
        assert "svc.cluster.local" not in prose(plan)


# --- every chapter scenario -------------------------------------------------------------

# --- generated multi-fault variants ------------------------------------------------------

FAULT_COUNT = {None: 1, "double": 2, "triple": 3}


def injected(plan) -> set[str]:
    """The faults really present in the rendered objects, read from the objects alone."""
    p = plan.params
    workload = one(plan, "Deployment")
    svc = one(plan, "Service")
    (port,) = svc["spec"]["ports"]
    found = set()
    if svc["spec"]["selector"] != pod_labels(workload):
        assert svc["spec"]["selector"] == {p["label_key"]: p["wrong_value"]}
        assert is_one_slip(p["app"], p["wrong_value"]) or p["wrong_value"].lower() == p["app"].lower()
        found.add("selector")
    if port["targetPort"] != listens_on(workload):
        assert port["targetPort"] not in {c["containerPort"] for c in container(workload)["ports"]}
        found.add("targetport")
    if container(workload)["readinessProbe"]["httpGet"]["path"] != "/":
        assert container(workload)["readinessProbe"]["httpGet"]["path"] == p["bad_path"]
        found.add("notready")
    if svc["spec"]["type"] != "NodePort":
        assert svc["spec"]["type"] == "ClusterIP" and "nodePort" not in port
        found.add("nodeport")
    else:
        assert port["nodePort"] == p["node_port"]
    assert port["port"] == p["svc_port"], "the Service port is never a fault: clients dial it"
    return found


@pytest.mark.parametrize("level", list(FAULT_COUNT), ids=str)
def test_multi_fault_every_combination_renders_with_every_fault_present(level):
    combos = set()
    for seed in SEEDS:
        plan = render(scenario("service-multi-fault"), seed, level=level)
        drawn = set(plan.params["faults"].split("+"))
        assert len(drawn) == FAULT_COUNT[level]
        assert injected(plan) == drawn, (seed, level)
        backend_as_planned_multi(plan)
        for word in ("selector", "targetPort", "readiness probe is", "ClusterIP"):
            assert word not in prose(plan), "the task states the goal, not the faults"
        combos.add(frozenset(drawn))
    declared = scenario("service-multi-fault").meta["parameters"]
    pool = {None: "one_fault", "double": "two_faults", "triple": "three_faults"}[level]
    assert combos == {frozenset(c.split("+")) for c in declared[pool]["choice"]}, "every combination drawn"


def backend_as_planned_multi(plan) -> None:
    p = plan.params
    workload = one(plan, "Deployment")
    assert pod_labels(workload) == {p["label_key"]: p["app"]}
    assert container(workload)["ports"] == [{"containerPort": p["container_port"], "protocol": "TCP"}]
    assert listens_on(workload) == p["container_port"]


def test_multi_fault_levels_only_change_the_faults():
    for seed in range(0, 240, 12):
        base = render(scenario("service-multi-fault"), seed)
        for level in ("double", "triple"):
            other = render(scenario("service-multi-fault"), seed, level=level)
            assert {k: v for k, v in other.params.items() if k != "faults"} == \
                {k: v for k, v in base.params.items() if k != "faults"}
            # the level is part of the namespace name, so that levels of one seed do not collide
            assert other.namespace == f"drill-service-multi-fault-{level}-{seed}" != base.namespace
            assert other.task.replace(other.namespace, base.namespace) == base.task
            assert other.level == level
