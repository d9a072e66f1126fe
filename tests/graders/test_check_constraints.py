"""constraint.* checks: what the task said to keep."""
from drills.graders.registry import ERROR, FAIL, PASS
from tests.fixtures import bundles as B
from tests.graders.kit import bundle, container, deployment, run, service


def test_workload_unchanged_passes_on_recorded_deployments():
    for scenario, case in [("selector-mismatch", "reference"), ("notready-pods", "reference"),
                           ("wrong-targetport", "named-target-port"), ("missing-nodeport", "reference")]:
        assert run("constraint.workload-unchanged", bundle(scenario, case), workload="web").status == PASS


def test_workload_changes_are_named():
    b = bundle("selector-mismatch", "reference")
    deployment(b)["spec"]["replicas"] = 3
    container(deployment(b))["image"] = "busybox:1.37"
    v = run("constraint.workload-unchanged", b, workload="web")
    assert v.status == FAIL and "replicas 3 (was 2)" in v.observed and "busybox:1.37" in v.observed
    assert "rollout undo deployment/web" in v.hint


def test_only_the_named_aspects_count():
    b = bundle("selector-mismatch", "reference")
    deployment(b)["spec"]["replicas"] = 3
    assert run("constraint.workload-unchanged", b, workload="web", keep=["labels", "image"]).status == PASS
    assert run("constraint.workload-unchanged", b, workload="web", keep="replicas").status == FAIL
    assert run("constraint.workload-unchanged", b, workload="web", keep=["colour"]).status == ERROR


def test_readiness_aspect_ignores_api_defaults():
    b = bundle("selector-mismatch", "reference")   # live probe carries scheme: HTTP, the plan does not
    assert run("constraint.workload-unchanged", b, workload="web", keep=["readiness"]).status == PASS
    b = bundle("notready-pods", "reference")
    assert run("constraint.workload-unchanged", b, workload="web", keep=["readiness"]).status == FAIL


def test_readiness_probe_kept():
    for case in ("reference", "index-page", "tcp-socket", "broken"):
        v = run("constraint.readiness-probe-kept", bundle("notready-pods", case), workload="web")
        assert v.status == PASS, case
    v = run("constraint.readiness-probe-kept", bundle("notready-pods", "remove-probe"), workload="web")
    assert v.status == FAIL and "no readiness probe" in v.observed
    v = run("constraint.readiness-probe-kept", bundle("notready-pods", "always-true-probe"), workload="web")
    assert v.status == FAIL and "exec" in v.observed


def test_readiness_probe_on_another_port_fails_and_a_named_port_resolves():
    b = bundle("notready-pods", "reference")
    container(deployment(b))["readinessProbe"]["httpGet"]["port"] = 8081
    v = run("constraint.readiness-probe-kept", b, workload="web")
    assert v.status == FAIL and "port 8081" in v.observed
    b = bundle("notready-pods", "reference")
    container(deployment(b))["ports"][0]["name"] = "http"
    container(deployment(b))["readinessProbe"]["httpGet"]["port"] = "http"
    assert run("constraint.readiness-probe-kept", b, workload="web").status == PASS


def test_endpoints_managed():
    assert run("constraint.endpoints-managed", bundle("selector-mismatch", "reference"),
               service="web").status == PASS
    v = run("constraint.endpoints-managed", bundle("selector-mismatch", "hand-made-endpoints"), service="web")
    assert v.status == FAIL and "no selector" in v.observed


def test_a_hand_made_slice_beside_a_selector_fails():
    b = bundle("selector-mismatch", "reference")
    extra = B.copy.deepcopy(b["objects"]["endpointslices"][0])
    extra["metadata"]["name"] = "web-extra"
    extra["metadata"]["labels"].pop("endpointslice.kubernetes.io/managed-by")
    b["objects"]["endpointslices"].append(extra)
    v = run("constraint.endpoints-managed", b, service="web")
    assert v.status == FAIL and "web-extra (managed-by nobody)" in v.observed
    assert service(b)["spec"]["selector"] == {"app": "web"}
