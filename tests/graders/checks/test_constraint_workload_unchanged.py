"""constraint.workload-unchanged: the workload keeps what the task said to keep, compared with the
planned manifest."""
import copy

import pytest

from drills.evidence import Evidence
from drills.graders.registry import ERROR, FAIL, REGISTRY
from tests.graders.kit import args_of, check_id_of, container, expect, expect_on, named, plan_for, recorded

NAME = "constraint.workload-unchanged"


@pytest.mark.parametrize("label, name, fragments", [
    ("selector-mismatch/reference-PASSED", NAME, ["unchanged labels, ports, image, replicas",
                                                  "labels, ports, image, replicas as deployed"]),
    ("selector-mismatch/relabel-pods-PASSED", NAME, ["as deployed"]),
    ("kube-proxy-node/scale-deployment-FAILED", NAME, ["changed replicas 4 (was 2)"]),
])
def test_recorded_input(label, name, fragments):
    expect(name, label, *fragments)


def test_each_kept_aspect_is_compared():
    b = recorded("selector-mismatch", "reference")
    c = container(named(b, "deployments", "billing"))
    c["image"] = "busybox:1.37"
    expect_on(NAME, b, FAIL, "changed image {{'billing': 'busybox:1.37'}} (was {{'billing': 'busybox:1.36'}})")
    c["image"] = "busybox:1.36"
    c["ports"][0]["containerPort"] = 1234
    expect_on(NAME, b, FAIL, "changed ports")
    expect_on(NAME, b, "PASS", "image as deployed", keep="image")


def test_an_unknown_aspect_is_the_scenarios_bug():
    expect_on(NAME, recorded("selector-mismatch", "reference"), ERROR, "unknown aspect(s) colour",
              keep=["colour"])


def test_the_readiness_and_command_aspects_ignore_api_defaults_only():
    b = recorded("selector-mismatch", "reference")   # the API added scheme: HTTP the plan leaves out
    expect_on(NAME, b, "PASS", "readiness as deployed", keep=["readiness"])
    c = container(named(b, "deployments", "billing"))
    c["readinessProbe"]["httpGet"]["path"] = "/other"
    expect_on(NAME, b, FAIL, "changed readiness", keep="readiness")
    c["command"] = ["sh", "-c", "sleep 1"]
    expect_on(NAME, b, FAIL, "changed command", keep=["command"])


def test_a_workload_the_plan_does_not_deploy_cannot_decide():
    b = recorded("selector-mismatch", "reference")
    extra = dict(named(b, "deployments", "billing"))
    extra["metadata"] = {**extra["metadata"], "name": "extra"}
    b["objects"]["deployments"].append(extra)
    expect_on(NAME, b, ERROR, "the plan deploys no Deployment extra", workload="extra")


def test_changed_template_labels_and_port_names_are_changes():
    b = recorded("selector-mismatch", "reference")   # hand-made edits of the live Deployment below
    deployment = named(b, "deployments", "billing")
    deployment["spec"]["template"]["metadata"]["labels"]["tier"] = "web"
    expect_on(NAME, b, FAIL, "changed labels", "'tier': 'web'", keep="labels")
    container(deployment)["ports"][0]["name"] = "renamed"
    expect_on(NAME, b, FAIL, "changed ports", "'renamed'", keep="ports")


def test_a_removed_or_handlerless_readiness_probe_is_a_change():
    b = recorded("selector-mismatch", "reference")
    c = container(named(b, "deployments", "billing"))
    c.pop("readinessProbe")
    expect_on(NAME, b, FAIL, "changed readiness {{'billing': None}} (was {{'billing': ('httpGet'", keep="readiness")
    c["readinessProbe"] = {"periodSeconds": 5}   # hand-made: no handler the API knows
    expect_on(NAME, b, FAIL, "changed readiness {{'billing': ('other', None)}}", keep="readiness")


def test_replicas_left_out_mean_one():
    # hand-made: a plan whose manifest leaves replicas out, and the API's default of 1 in the cluster
    b = recorded("selector-mismatch", "reference")
    planned = copy.deepcopy(plan_for(b).manifests)
    next(o for o in planned if o["kind"] == "Deployment" and o["metadata"]["name"] == "billing")["spec"].pop("replicas")
    named(b, "deployments", "billing")["spec"]["replicas"] = 1
    v = REGISTRY[check_id_of(b, NAME)].fn(Evidence(b, planned=planned), **args_of(b, NAME), keep="replicas")
    assert (v.status, v.observed) == ("PASS", "replicas as deployed"), v
