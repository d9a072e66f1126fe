"""The four card scenarios over 250 seeds: every render is valid, shows its
intended fault and only that fault, and the task does not give the fault away.
(That each declared fix really repairs it is judged on recordings: tests/recorded_fairness.py.)"""
from __future__ import annotations

import re

import pytest

from drills import catalog
from drills.graders.judge import validate_plan
from drills.manifests import NODEPORT_MAX, NODEPORT_MIN, valid_port_name
from drills.params import KEY_SLIPS
from drills.render import render

SEEDS = range(250)


def plans(scenario_id: str):
    scenario = catalog.get(scenario_id)
    for seed in SEEDS:
        plan = render(scenario, seed)
        validate_plan(plan)
        yield plan


def obj(plan, kind: str, name: str) -> dict:
    (found,) = [o for o in plan.manifests if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


def container(dep: dict) -> dict:
    (c,) = dep["spec"]["template"]["spec"]["containers"]
    return c


def listen_port(dep: dict) -> int:
    return int(re.search(r"httpd -f -p (\d+)", " ".join(container(dep)["command"])).group(1))


def one_slip(word: str, typo: str) -> bool:
    """A doubled or dropped letter, swapped neighbours or a case change."""
    if typo == word:
        return False
    if typo in (word[:1].upper() + word[1:], word.lower()):
        return True
    for i in range(len(word)):
        if typo in (word[:i + 1] + word[i] + word[i + 1:], word[:i] + word[i + 1:]):
            return True
        if i + 1 < len(word) and typo == word[:i] + word[i + 1] + word[i] + word[i + 2:]:
            return True
    return False


def mentions(text: str, token: str) -> bool:
    return re.search(rf"(?<![\w/-]){re.escape(str(token))}(?![\w-])", text) is not None


def service_problems(plan, svc_name: str, app: str) -> list[str]:
    """Everything that would keep the Service from reaching the app's pods."""
    svc, dep = obj(plan, "Service", svc_name), obj(plan, "Deployment", app)
    labels = dep["spec"]["template"]["metadata"]["labels"]
    names = {p.get("name"): p["containerPort"] for p in container(dep)["ports"]}
    problems = []
    selector = svc["spec"].get("selector") or {}
    if not selector or any(labels.get(k) != v for k, v in selector.items()):
        problems.append("selector")
    for p in svc["spec"]["ports"]:
        target = p.get("targetPort", p["port"])
        resolved = names.get(target) if isinstance(target, str) else target
        if resolved != listen_port(dep):
            problems.append("targetPort")
        if p["port"] != plan.params["svc_port"]:
            problems.append("port")
    probe = container(dep).get("readinessProbe", {}).get("httpGet", {})
    if probe.get("path") not in ("/", "/index.html") or probe.get("port") != listen_port(dep):
        problems.append("readiness")
    return problems


def test_selector_mismatch_shows_one_realistic_slip_and_nothing_else():
    faults = set()
    for plan in plans("selector-mismatch"):
        p = plan.params
        faults.add(p["fault"])
        selector = obj(plan, "Service", p["svc_name"])["spec"]["selector"]
        if p["fault"] == "value":
            assert list(selector) == [p["label_key"]]
            assert one_slip(p["app"], selector[p["label_key"]]), (plan.seed, selector)
            assert not mentions(plan.task, selector[p["label_key"]])
        else:
            (key,) = selector
            assert selector[key] == p["app"] and key != p["label_key"]
            assert key in KEY_SLIPS.get(p["label_key"], []) or one_slip(p["label_key"], key)
            assert f"{key}={p['app']}" not in plan.task
        for name in (p["app"], p["legacy_name"]):
            labels = obj(plan, "Deployment", name)["spec"]["template"]["metadata"]["labels"]
            assert any(labels.get(k) != v for k, v in selector.items()), "selects no pods at all"
        assert service_problems(plan, p["svc_name"], p["app"]) == ["selector"], plan.seed
    assert faults == {"value", "key"}


def test_notready_pods_fail_readiness_only():
    faults = set()
    for plan in plans("notready-pods"):
        p = plan.params
        faults.add(p["fault"])
        dep = obj(plan, "Deployment", p["app"])
        probe = container(dep)["readinessProbe"]["httpGet"]
        if p["fault"] == "path":
            assert probe == {"path": p["bad_path"], "port": p["container_port"]}
            assert probe["path"] not in ("/", "/index.html")
            assert not mentions(plan.task, p["bad_path"])
        else:
            assert probe == {"path": "/", "port": p["bad_probe_port"]}
            assert p["bad_probe_port"] != listen_port(dep)
            assert not mentions(plan.task, p["bad_probe_port"])
        assert service_problems(plan, p["svc_name"], p["app"]) == ["readiness"], plan.seed
        assert "readiness" in plan.task and "keep it" in plan.task
    assert faults == {"path", "port"}


def test_wrong_targetport_misses_by_number_or_by_name():
    faults = set()
    for plan in plans("wrong-targetport"):
        p = plan.params
        faults.add(p["fault"])
        dep = obj(plan, "Deployment", p["app"])
        ports = container(dep)["ports"]
        assert ports == [{"containerPort": p["container_port"], "name": p["port_name"], "protocol": "TCP"}]
        target = obj(plan, "Service", p["svc_name"])["spec"]["ports"][0]["targetPort"]
        if p["fault"] == "numeric":
            assert isinstance(target, int) and target not in (p["container_port"], p["svc_port"])
        else:
            assert isinstance(target, str) and valid_port_name(target) and target != p["port_name"]
        assert not mentions(plan.task, target)
        assert service_problems(plan, p["svc_name"], p["app"]) == ["targetPort"], plan.seed
    assert faults == {"numeric", "named"}


def test_missing_nodeport_is_a_healthy_clusterip_service():
    for plan in plans("missing-nodeport"):
        p = plan.params
        svc = obj(plan, "Service", p["svc_name"])
        assert svc["spec"]["type"] == "ClusterIP"
        assert all("nodePort" not in port for port in svc["spec"]["ports"])
        assert NODEPORT_MIN <= p["node_port"] <= NODEPORT_MAX
        assert mentions(plan.task, p["node_port"]) and "NodePort" in plan.task
        assert service_problems(plan, p["svc_name"], p["app"]) == []
