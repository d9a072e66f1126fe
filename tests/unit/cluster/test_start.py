"""Starting a drill against the fake API with recorded objects: safety, waits,
fault verification and cleanup."""
from __future__ import annotations

import pytest

import drills.cluster as cluster
from drills.cluster import objects as O
from drills.cluster import start as S
from drills.cluster.api import ApiError
from drills.errors import BadScenarioPack, FaultNotVerified, UnsafeTarget, UsageError
from drills.evidence import Evidence
from tests.unit.cluster.fakes import FakeKube, FixtureWorld, Session, kubelet, make_plan

# the fakes move per API call: polls and deadlines run on a virtual clock, no waiting
pytestmark = pytest.mark.usefixtures("virtual_clock")

NS = "drill-selector-mismatch-7"
PHASES = ["creating namespace", "applying objects", "waiting for pods", "verifying fault"]


def selector_fault_shown(plan, bundle):
    """Stands in for graders.judge.broken_state_shown: pods Ready, Service slices empty."""
    ev = Evidence(bundle)
    pods = [p for p in ev.pods() if p["metadata"]["name"] != O.PROBE_POD]
    ready = pods and all(
        any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"]["conditions"])
        for p in pods)
    empty = all(not s.get("endpoints") for s in ev.endpointslices_for("web"))
    return (bool(ready and empty), "pods not ready yet" if not ready else "endpoints not empty")


SELECTOR_FAULT = S.FaultCheck(lambda bundle, api_only: selector_fault_shown(None, bundle))


def start(session, plan, *args, verify=SELECTOR_FAULT, **options):
    """start_drill with the fault check the caller (drills.lifecycle) would hand in."""
    return S.start_drill(session, plan, *args, verify=verify, **options)


@pytest.fixture
def judge():
    """The runtime imports no graders: the fault check is the callback above."""
    return SELECTOR_FAULT


@pytest.fixture
def fake():
    api = FakeKube()
    api.controllers += [kubelet, FixtureWorld("selector-mismatch-broken", delay=2)]
    return api


def deleted_namespaces(api):
    return [c[3] for c in api.calls if c[:2] == ("delete", "namespaces")]


def test_start_creates_labelled_namespace_objects_and_probe_then_verifies(fake, judge):
    phases = []
    plan = make_plan(NS)
    result = start(Session(fake), plan, phases.append)
    assert phases == PHASES
    assert result["namespace"] == NS
    assert result["verified_at"].endswith("Z")
    assert selector_fault_shown(plan, result["bundle"])[0]
    ns = fake.objects[("namespaces", "", NS)]
    assert ns["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "drills"
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    applied = [c[1:] for c in fake.calls if c[0] == "apply"]
    # the probe pod first, so its container starts while the workload is created
    assert applied == [("Pod", NS, O.PROBE_POD), ("Deployment", NS, "web"), ("Service", NS, "web")]
    assert fake.objects[("deployments", NS, "web")]["metadata"]["namespace"] == NS
    assert deleted_namespaces(fake) == []


def test_every_namespace_of_a_drill_gets_labels_and_a_probe_pod(fake, judge):
    plan = make_plan(NS, extra={"client": f"{NS}-client"})
    start(Session(fake), plan)
    for ns in plan.namespaces:
        assert O.is_drill_namespace(fake.objects[("namespaces", "", ns)])
        assert ("pods", ns, O.PROBE_POD) in fake.objects


def test_an_existing_foreign_namespace_is_refused_and_left_alone(fake, judge):
    fake.create("namespaces", {"metadata": {"name": NS, "labels": {"team": "a"}}})
    with pytest.raises(UnsafeTarget) as caught:
        start(Session(fake), make_plan(NS))
    assert NS in caught.value.message
    assert deleted_namespaces(fake) == []
    assert not [c for c in fake.calls if c[0] == "apply"]


def test_a_running_drill_is_not_started_twice(fake, judge):
    plan = make_plan(NS)
    fake.create("namespaces", O.namespace_body(plan, NS))
    with pytest.raises(UsageError) as caught:
        start(Session(fake), plan)
    assert caught.value.hint == "drills reset selector-mismatch"
    assert deleted_namespaces(fake) == []


def test_a_drill_namespace_still_being_deleted_is_waited_out(fake, judge):
    plan = make_plan(NS)
    fake.create("namespaces", O.namespace_body(plan, NS))
    fake.terminating_gets = 2
    fake.delete("namespaces", NS)
    start(Session(fake), plan)
    assert O.is_drill_namespace(fake.objects[("namespaces", "", NS)])


def test_cluster_wide_drill_refuses_while_other_drills_run(fake, judge):
    other = make_plan("drill-other-1")
    fake.create("namespaces", O.namespace_body(other, "drill-other-1"))
    with pytest.raises(UsageError) as caught:
        start(Session(fake), make_plan(NS, cluster_wide=True))
    assert "drill-other-1" in caught.value.message
    assert caught.value.hint == "drills reset --all"


def test_no_drill_starts_beside_a_cluster_wide_one(fake, judge):
    wide = make_plan("drill-wide-1", cluster_wide=True)
    fake.create("namespaces", O.namespace_body(wide, "drill-wide-1"))
    with pytest.raises(UsageError):
        start(Session(fake), make_plan(NS))


def test_ctrl_c_during_start_deletes_what_was_created(fake, judge):
    def interrupt(phase):
        if phase == "waiting for pods":
            raise KeyboardInterrupt
    plan = make_plan(NS, extra={"client": f"{NS}-client"})
    with pytest.raises(KeyboardInterrupt):
        start(Session(fake), plan, interrupt)
    assert deleted_namespaces(fake) == plan.namespaces
    assert fake.names("namespaces") == []


def test_a_fault_that_never_shows_is_cleaned_up_and_explained(fake, virtual_clock):
    never = S.FaultCheck(lambda bundle, api_only: (
        False, "service.selector-matches-pods should fail while broken, but is PASS"))
    started = virtual_clock.monotonic()        # real time plus every pause the start took
    with pytest.raises(FaultNotVerified) as caught:
        start(Session(fake), make_plan(NS, timeout=0.6), verify=never)
    assert virtual_clock.monotonic() - started < 3
    assert "did not show within 0.6 s" in caught.value.message
    assert "selector-matches-pods should fail" in caught.value.message
    assert fake.names("namespaces") == []


def test_verification_repeats_until_the_fault_shows(fake):
    seen = []

    def late(bundle, api_only):
        seen.append((api_only, bundle))
        return (len(seen) >= 3 and selector_fault_shown(None, bundle)[0], "not yet")
    result = start(Session(fake), make_plan(NS), verify=S.FaultCheck(late))
    # without probes to run, the API-only bundle is judged in full once its API checks show
    assert [api_only for api_only, _ in seen] == [True, True, True, False]
    assert result["bundle"] is seen[-1][1]


def test_probes_run_only_once_the_api_checks_show_the_fault(fake):
    from drills.probes import ProbeSpec
    seen = []

    def api_first(bundle, api_only):
        seen.append((api_only, sorted(bundle["probes"])))
        if api_only:
            return len(seen) >= 2, "pods not ready yet"
        return True, ""
    probe = ProbeSpec(kind="http", target="web:80/")
    result = start(Session(fake), make_plan(NS), verify=S.FaultCheck(api_first, [probe]))
    assert seen == [(True, []), (True, []), (False, [probe.key])]
    assert list(result["bundle"]["probes"]) == [probe.key]
    assert len([c for c in fake.calls if c[0] == "exec"]) == 1     # one round of probes


def test_start_reports_how_long_each_phase_took(fake, judge):
    timings = S.Timings()
    result = start(Session(fake), make_plan(NS), timings=timings)
    assert list(result["timings"]) == list(S.PHASES)
    assert all(seconds >= 0 for seconds in result["timings"].values())


def test_pods_that_never_come_up_end_the_start(judge):
    fake = FakeKube()
    fake.controllers.append(kubelet)           # probe runs, but no workload pods ever appear
    with pytest.raises(FaultNotVerified) as caught:
        start(Session(fake), make_plan(NS, timeout=0.5))
    assert f"Deployment {NS}/web has no pod yet" in caught.value.message
    assert fake.names("namespaces") == []


def test_an_image_that_cannot_be_pulled_fails_fast_with_the_fix(judge, virtual_clock):
    fake = FakeKube()

    def cannot_pull(api):
        for (resource, ns, name), pod in api.objects.items():
            if resource == "pods":
                pod["status"] = {"phase": "Pending", "containerStatuses": [{
                    "name": "probe", "state": {"waiting": {
                        "reason": "ImagePullBackOff",
                        "message": "Back-off pulling image \"busybox:1.36\""}}}]}
    fake.controllers.append(cannot_pull)
    started = virtual_clock.monotonic()
    with pytest.raises(FaultNotVerified) as caught:
        start(Session(fake), make_plan(NS, timeout=30))
    assert virtual_clock.monotonic() - started < 2
    assert "drills cluster up" in caught.value.hint
    assert fake.names("namespaces") == []


def test_pods_refused_until_the_default_service_account_exists_are_retried(fake, judge):
    sa_missing = ApiError(403, "Forbidden", 'pods "drills-probe" is forbidden: error looking up '
                          'service account drill-x/default: serviceaccount "default" not found')
    fake.apply_errors = [sa_missing, sa_missing]
    start(Session(fake), make_plan(NS))
    assert ("deployments", NS, "web") in fake.objects


def test_an_invalid_manifest_is_a_scenario_error_and_nothing_stays(fake, judge):
    fake.apply_errors = [ApiError(422, "Invalid", 'Service "web" is invalid: spec.ports[0].port')]
    with pytest.raises(BadScenarioPack) as caught:
        cluster.start_drill(Session(fake), make_plan(NS), verify=SELECTOR_FAULT)
    assert "spec.ports[0].port" in caught.value.message
    assert fake.names("namespaces") == []


def test_forbidden_is_reported_as_a_credentials_problem(fake, judge):
    fake.apply_errors = [ApiError(403, "Forbidden", 'deployments.apps "web" is forbidden: User '
                                  '"dev" cannot patch resource "deployments"')]
    from drills.errors import ClusterUnreachable
    with pytest.raises(ClusterUnreachable) as caught:
        cluster.start_drill(Session(fake), make_plan(NS), verify=SELECTOR_FAULT)
    assert caught.value.hint == "check RBAC/credentials for context kind-drills"


def test_missing_pods_reads_recorded_pods():
    plan = make_plan("fx-selector")
    from tests.unit.cluster.fakes import real
    pods = real("selector-mismatch-broken")["pods"]
    missing, troubles = S.missing_pods(plan, pods)
    # the recorded probe pod is named "probe", not drills-probe
    assert missing == [f"probe pod fx-selector/{O.PROBE_POD} does not exist"]
    assert troubles == []
    one = [p for p in pods if not p["metadata"]["name"].endswith("hn4hk")]
    assert S.missing_pods(plan, one)[0] == missing        # one pod per workload is enough
    none = [p for p in pods if not p["metadata"]["name"].startswith("web-")]
    assert "Deployment fx-selector/web has no pod yet" in S.missing_pods(plan, none)[0]


def test_cleanup_survives_one_more_ctrl_c_but_not_two():
    import os
    import signal

    fake = FakeKube()
    plan = make_plan(NS, extra={"client": f"{NS}-client"})
    for ns in plan.namespaces:
        fake.create("namespaces", O.namespace_body(plan, ns))
    original_delete = fake.delete

    def delete_while_pressed(resource, name, namespace=None):
        os.kill(os.getpid(), signal.SIGINT)        # the learner presses Ctrl-C again
        return original_delete(resource, name, namespace)
    fake.delete = delete_while_pressed
    before = signal.getsignal(signal.SIGINT)   # default_int_handler, or SIG_IGN under a runner in the background
    with pytest.raises(KeyboardInterrupt):
        S.remove_namespaces(fake, plan.namespaces)     # second press during the second delete
    assert fake.names("namespaces") == [f"{NS}-client"]     # the first delete went through
    assert signal.getsignal(signal.SIGINT) is before

    fake2 = FakeKube()
    fake2.create("namespaces", O.namespace_body(plan, NS))
    original2 = fake2.delete
    fake2.delete = lambda *a, **k: (os.kill(os.getpid(), signal.SIGINT), original2(*a, **k))[1]
    assert S.remove_namespaces(fake2, [NS]) == [NS]    # one press: cleanup completes
