"""constraint.readiness-probe-kept: every container that had a readiness probe still has one,
checking the port it serves."""
import copy

import pytest

from drills.evidence import Evidence
from drills.graders.registry import FAIL, REGISTRY
from tests.graders.kit import args_of, check_id_of, container, expect, expect_on, named, plan_for, recorded

NAME = "constraint.readiness-probe-kept"


@pytest.mark.parametrize("label, fragments", [
    ("notready-pods/reference-PASSED", ["{app}: httpGet on {container_port}"]),
    ("notready-pods/tcp-socket-PASSED", ["{app}: tcpSocket on {container_port}"]),
    ("notready-pods/broken-PASSED", ["httpGet on"]),
    ("notready-pods/remove-probe-FAILED", ["container {app} has no readiness probe any more"]),
    ("notready-pods/always-true-probe-FAILED", ["readiness probe became exec, which does not check the web server"]),
    ("notready-pods/seed3-remove-probe-FAILED", ["has no readiness probe any more"]),
])
def test_recorded_input(label, fragments):
    expect(NAME, label, *fragments)


def test_a_probe_on_another_port_fails_and_a_named_port_resolves():
    b = recorded("notready-pods", "reference")
    c = container(named(b, "deployments", "billing"))
    c["readinessProbe"]["httpGet"]["port"] = 5678
    expect_on(NAME, b, FAIL, "checks port 5678, not the served port {container_port}")
    c["ports"][0]["name"] = "web"
    c["readinessProbe"]["httpGet"]["port"] = "web"
    expect_on(NAME, b, "PASS", "httpGet on {container_port}")


def test_a_grpc_probe_counts_and_an_unknown_handler_does_not():
    b = recorded("notready-pods", "reference")
    c = container(named(b, "deployments", "billing"))
    c["readinessProbe"] = {"grpc": {"port": 9376}, "periodSeconds": 1}
    expect_on(NAME, b, "PASS", "{app}: grpc on {container_port}")
    c["readinessProbe"] = {"periodSeconds": 1}
    expect_on(NAME, b, FAIL, "readiness probe became other")
    c["readinessProbe"] = {"httpGet": {"path": "/", "port": "nosuchname"}}
    expect_on(NAME, b, FAIL, "checks port None, not the served port {container_port}")


def test_a_workload_the_plan_does_not_deploy_cannot_decide():
    b = recorded("notready-pods", "reference")
    b["objects"]["deployments"].append(dict(named(b, "deployments", "billing"),
                                            metadata={**named(b, "deployments", "billing")["metadata"],
                                                      "name": "extra"}))
    expect_on(NAME, b, "ERROR", "the plan deploys no Deployment extra", workload="extra")


def test_a_container_the_plan_gives_no_probe_is_not_asked_for_one():
    # hand-made: a sidecar without readiness probe, in the plan and in the cluster alike
    b = recorded("notready-pods", "reference")
    sidecar = {"name": "sidecar", "image": "busybox:1.36", "command": ["sleep", "3600"]}
    planned = copy.deepcopy(plan_for(b).manifests)
    for obj in [named(b, "deployments", "billing"),
                next(o for o in planned if o["kind"] == "Deployment" and o["metadata"]["name"] == "billing")]:
        obj["spec"]["template"]["spec"]["containers"].append(dict(sidecar))
    v = REGISTRY[check_id_of(b, NAME)].fn(Evidence(b, planned=planned), **args_of(b, NAME))
    assert v.status == "PASS" and "sidecar" not in v.observed, v
