"""Listing and resetting drills (never touching foreign namespaces), and applying fixes."""
from __future__ import annotations

import json
import os

import pytest

from drills.cluster import manage as M
from drills.cluster import objects as O
from drills.errors import BadScenarioPack, ClusterUnreachable, NoCluster, UnsafeTarget
from drills.render import Fix
from tests.unit.cluster.fakes import FakeKube, Session, make_plan, service

# the fakes move per API call: polls and deadlines run on a virtual clock, no waiting
pytestmark = pytest.mark.usefixtures("virtual_clock")

MAIN = "drill-selector-mismatch-7"


@pytest.fixture
def fake():
    api = FakeKube()
    plan = make_plan(MAIN, extra={"client": f"{MAIN}-client"})
    for ns in plan.namespaces:
        api.create("namespaces", O.namespace_body(plan, ns))
    other = make_plan("drill-notready-pods-3")
    api.create("namespaces", O.namespace_body(other, "drill-notready-pods-3"))
    api.create("namespaces", {"metadata": {"name": "team-a"}})
    api.create("namespaces", {"metadata": {"name": "lookalike",
                                           "labels": {"drills.dev/scenario": "x"}}})
    return api


def test_list_shows_one_entry_per_drill_and_only_drills(fake):
    drills = M.list_drills(Session(fake))
    # same creation time here, so by name; the extra namespace belongs to its drill
    assert [d["name"] for d in drills] == ["drill-notready-pods-3", MAIN]
    main = drills[1]
    assert main["scenario"] == "selector-mismatch" and main["seed"] == 7
    assert main["identity"]["namespace"] == MAIN and main["phase"] == "Active"
    assert main["namespaces"] == [MAIN, f"{MAIN}-client"]
    assert drills[0]["namespaces"] == ["drill-notready-pods-3"]


def test_an_extra_namespace_without_its_drill_is_listed_alone(fake):
    fake.delete("namespaces", MAIN)
    drills = M.list_drills(Session(fake))
    assert [d["name"] for d in drills] == ["drill-notready-pods-3", f"{MAIN}-client"]
    assert drills[1]["drill_namespace"] == MAIN


def test_reset_refuses_a_namespace_without_the_label_and_deletes_nothing(fake):
    with pytest.raises(UnsafeTarget) as caught:
        M.reset_drills(Session(fake), [MAIN, "lookalike"])
    assert "lookalike" in caught.value.message
    assert not [c for c in fake.calls if c[0] == "delete"]
    assert ("namespaces", "", MAIN) in fake.objects


def test_reset_of_a_drill_takes_its_extra_namespaces_along(fake):
    gone = M.reset_drills(Session(fake), [MAIN])
    assert gone == [MAIN, f"{MAIN}-client"]
    assert fake.names("namespaces") == ["drill-notready-pods-3", "lookalike", "team-a"]


def test_reset_all_deletes_every_drill_and_nothing_else(fake):
    phases = []
    gone = M.reset_drills(Session(fake), None, progress=phases.append)
    assert sorted(gone) == sorted([MAIN, f"{MAIN}-client", "drill-notready-pods-3"])
    assert fake.names("namespaces") == ["lookalike", "team-a"]
    assert phases == ["deleting namespaces", "waiting until they are gone"]


def test_reset_waits_until_namespaces_are_gone(fake):
    fake.terminating_gets = 3
    M.reset_drills(Session(fake), [MAIN])
    assert fake.names("namespaces") == ["drill-notready-pods-3", "lookalike", "team-a"]


def test_reset_without_wait_returns_while_terminating(fake):
    fake.terminating_gets = 100
    M.reset_drills(Session(fake), ["drill-notready-pods-3"], wait=False)
    assert O.is_terminating(fake.objects[("namespaces", "", "drill-notready-pods-3")])


def test_reset_gives_up_waiting_after_its_bound(fake, virtual_clock):
    fake.terminating_gets = 10_000
    started = virtual_clock.monotonic()        # real time plus every pause the reset took
    with pytest.raises(ClusterUnreachable) as caught:
        M.reset_drills(Session(fake), ["drill-notready-pods-3"], timeout=0.3)
    assert virtual_clock.monotonic() - started < 2
    assert "still being deleted" in caught.value.message


def test_reset_of_unknown_names_is_a_no_op(fake):
    assert M.reset_drills(Session(fake), ["drill-gone-1"]) == []


# --- fixes ---------------------------------------------------------------------------

@pytest.fixture
def fake_kubectl(tmp_path, monkeypatch):
    """A kubectl on PATH that records its arguments; fails when asked to."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "kubectl.log"
    script = bindir / "kubectl"
    script.write_text(
        "#!/bin/sh\n"
        f"python3 -c 'import json,os,sys; print(json.dumps([sys.argv[1:], os.environ.get(\"KUBECONFIG\")]))' "
        f"\"$@\" >> {log}\n"
        "case \"$*\" in *fail-me*) echo 'Error from server (NotFound): services \"x\" not found' >&2;"
        " exit 1;; esac\n"
        f"case \"$*\" in *'-f -'*) cat >> {log}.stdin; echo --- >> {log}.stdin;; esac\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    return lambda: [json.loads(line) for line in log.read_text().splitlines()]


def fix(*steps, name="reference"):
    return Fix(name=name, outcome="pass", about="", steps=list(steps))


def test_kubectl_steps_run_in_the_drill_namespace_of_the_chosen_context(fake, fake_kubectl):
    session = Session(fake, context="lab", kubeconfig="/home/me/.kube/lab.yaml")
    plan = make_plan(MAIN)
    M.apply_fix(session, plan, fix(
        {"kubectl": "patch svc web --type json -p '[{\"op\":\"replace\",\"path\":\"/spec/selector\","
                    "\"value\":{\"app\":\"web\"}}]'"},
        {"kubectl": "kubectl set selector svc web app=web"}))
    [first, second] = fake_kubectl()
    assert first[0] == ["--context", "lab", "--kubeconfig", "/home/me/.kube/lab.yaml", "-n", MAIN,
                        "patch", "svc", "web", "--type", "json", "-p",
                        '[{"op":"replace","path":"/spec/selector","value":{"app":"web"}}]']
    assert second[0][6:] == ["set", "selector", "svc", "web", "app=web"]


def test_a_kubeconfig_list_is_passed_through_the_environment(fake, fake_kubectl):
    session = Session(fake, context="lab", kubeconfig=f"/a{os.pathsep}/b")
    M.apply_fix(session, make_plan(MAIN), fix({"kubectl": "get svc"}))
    [(argv, env)] = fake_kubectl()
    assert "--kubeconfig" not in argv and env == f"/a{os.pathsep}/b"


def test_a_failing_kubectl_step_names_the_fix_and_the_error(fake, fake_kubectl):
    with pytest.raises(BadScenarioPack) as caught:
        M.apply_fix(Session(fake), make_plan(MAIN), fix({"kubectl": "delete svc fail-me"},
                                                        name="re-expose"))
    assert "fix re-expose step 1" in caught.value.message
    assert 'services "x" not found' in caught.value.message


def test_without_kubectl_the_install_hint_is_given(fake, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(NoCluster) as caught:
        M.apply_fix(Session(fake), make_plan(MAIN), fix({"kubectl": "get svc"}))
    assert "kubernetes.io/docs/tasks/tools" in caught.value.hint


def test_apply_steps_run_kubectl_apply_as_a_learner_would(fake, fake_kubectl, tmp_path):
    import yaml
    fixed = service(selector={"app": "web"})
    client = {**service(name="client"), "metadata": {"name": "client", "namespace": f"{MAIN}-client"}}
    plan = make_plan(MAIN, extra={"client": f"{MAIN}-client"})
    M.apply_fix(Session(fake), plan, fix({"apply": yaml.safe_dump_all([fixed, client])},
                                         {"wait": "0.01"}))
    calls = fake_kubectl()
    # client-side `kubectl apply -f -`, one call per namespace; never drills' own server-side apply
    assert [c[0][4:] for c in calls] == [["-n", MAIN, "apply", "-f", "-"],
                                        ["-n", f"{MAIN}-client", "apply", "-f", "-"]]
    sent = [d for d in yaml.safe_load_all((tmp_path / "kubectl.log.stdin").read_text()) if d]
    assert [(d["metadata"]["name"], d["metadata"]["namespace"]) for d in sent] == [
        ("web", MAIN), ("client", f"{MAIN}-client")]
    assert sent[0]["spec"]["selector"] == {"app": "web"}
    assert not [c for c in fake.calls if c[0] == "apply"]


def test_replace_steps_send_whole_objects_with_kubectl_replace(fake, fake_kubectl, tmp_path):
    """`replace:` is what kubectl edit leaves: the whole object, so a mistyped selector key goes."""
    import yaml
    fixed = service(selector={"app": "web"})
    M.apply_fix(Session(fake), make_plan(MAIN), fix({"replace": yaml.safe_dump(fixed)}))
    [(argv, _)] = fake_kubectl()
    assert argv[4:] == ["-n", MAIN, "replace", "-f", "-"]
    [sent] = [d for d in yaml.safe_load_all((tmp_path / "kubectl.log.stdin").read_text()) if d]
    assert sent["spec"]["selector"] == {"app": "web"} and sent["metadata"]["namespace"] == MAIN
    assert not [c for c in fake.calls if c[0] == "apply"]


@pytest.mark.parametrize("verb", ["apply", "replace"])
def test_a_manifest_step_that_is_not_an_object_names_its_verb(fake, verb):
    with pytest.raises(BadScenarioPack, match=f"step 1: {verb} holds a list, not an object"):
        M.apply_fix(Session(fake), make_plan(MAIN), fix({verb: "- a\n- b\n"}))


def test_apply_steps_cannot_reach_outside_the_drill(fake):
    import yaml
    outside = {**service(), "metadata": {"name": "web", "namespace": "kube-system"}}
    with pytest.raises(BadScenarioPack):
        M.apply_fix(Session(fake), make_plan(MAIN), fix({"apply": yaml.safe_dump(outside)}))
    assert ("services", "kube-system", "web") not in fake.objects


@pytest.mark.parametrize("step", [{"wait": "soon"}, {"reboot": "now"}, {"apply": "a: [b"}])
def test_malformed_steps_are_scenario_errors(fake, step):
    with pytest.raises(BadScenarioPack):
        M.apply_fix(Session(fake), make_plan(MAIN), fix(step))


def _rollout_world(fake, *, observed=2, revision="2", running=True):
    dep = {"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": "reporter", "uid": "dep-1", "generation": 2,
                        "annotations": {M.REVISION: "2"}},
           "spec": {"replicas": 1}, "status": {"observedGeneration": observed}}
    fake.put(dep, MAIN)
    for rev, uid in (("1", "rs-old"), (revision, "rs-new")):
        fake.put({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                  "metadata": {"name": f"reporter-{uid}", "uid": uid,
                               "annotations": {M.REVISION: rev},
                               "ownerReferences": [{"uid": "dep-1", "kind": "Deployment"}]}}, MAIN)
    # the new pod runs but is NotReady: a wrong fix's rollout never completes
    state = {"running": {"startedAt": "2026-12-01T20:00:00Z"}} if running else {"waiting": {}}
    fake.put({"apiVersion": "v1", "kind": "Pod",
              "metadata": {"name": "reporter-new", "ownerReferences": [{"uid": "rs-new"}]},
              "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}],
                         "containerStatuses": [{"name": "reporter", "ready": False, "state": state}]}},
             MAIN)


def test_rollout_started_waits_for_a_running_pod_of_the_newest_replicaset(fake):
    _rollout_world(fake)
    assert M.new_pods_running(fake, MAIN, "reporter") == (True, "a pod of the new ReplicaSet runs")
    plan = make_plan(MAIN)
    M.apply_fix(Session(fake), plan, fix({"rollout_started": "deployment/reporter"}))


@pytest.mark.parametrize("world, why", [
    ({"observed": 1}, "has not seen the change"),
    ({"revision": "1"}, "no ReplicaSet of revision 2"),
    ({"running": False}, "has no running pod yet"),
])
def test_rollout_started_is_not_fooled_by_the_old_state(fake, world, why):
    _rollout_world(fake, **world)
    started, reason = M.new_pods_running(fake, MAIN, "reporter")
    assert not started and why in reason
    with pytest.raises(ClusterUnreachable, match="did not start within 0.2 s"):
        M.wait_rollout_started(fake, make_plan(MAIN), "deployment/reporter", "fix x", timeout=0.2,
                               poll=0.05)


@pytest.mark.parametrize("argument", ["statefulset/web", "deployment/", "-n kube-system deployment/x",
                                      "deployment/a deployment/b"])
def test_rollout_started_names_one_deployment_of_the_drill(argument):
    with pytest.raises(BadScenarioPack):
        M.rollout_target(make_plan(MAIN), argument, "fix x")
