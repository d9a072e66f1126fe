"""`grade --context` and `check` trust nothing a learner can edit on their cluster.

The drill annotation on a labelled namespace is verified against the namespace
that carries it; probes and probe pods go only into namespaces that carry drills'
label, checked where they are created. Run against the FakeKube API double: each
refusal is exit 12 in one line, and nothing was sent to kube-system or to any
namespace without drills' label."""
from __future__ import annotations

import json

import pytest

import drills.cluster as cluster
from drills import catalog
from drills.cli import main
from drills.cluster import objects as O
from drills.cluster.collect import ProbeRunner
from drills.errors import ExitCode, UnsafeTarget
from drills.probes import ProbeSpec
from drills.render import render
from drills.store import Store, iso, utcnow
from tests.unit.cluster.fakes import FakeKube, Session, ShimExec, kubelet, real

WRITES = ("apply", "create", "delete", "patch", "exec")


def drill_plan(scenario: str = "selector-mismatch", seed: int = 1):
    return render(catalog.get(scenario), seed)


def annotated(plan, name: str | None = None, **identity_changes) -> dict:
    body = O.namespace_body(plan, name or plan.namespace)
    identity = {**plan.identity(), **identity_changes}
    body["metadata"]["annotations"][O.DRILL_ANNOTATION] = json.dumps(identity)
    return body


@pytest.fixture
def world(tmp_path, monkeypatch, virtual_clock):   # the fake moves per call: no real waits
    fake = FakeKube()
    fake.exec_fn = ShimExec(tmp_path, {})
    for node in real("selector-mismatch-broken")["nodes"]:
        fake.put(node)
    fake.create("namespaces", {"metadata": {"name": "kube-system"}})
    fake.create("namespaces", {"metadata": {"name": "default"}})
    monkeypatch.setattr(cluster, "connect", lambda context, explicit, timeout=10.0: Session(fake))
    return fake


def put_drill(fake: FakeKube, body: dict, probe_image: str = "busybox:1.36") -> str:
    name = body["metadata"]["name"]
    fake.create("namespaces", body)
    fake.apply(O.probe_pod_body(probe_image, name), name)
    kubelet(fake)
    return name


def writes(fake: FakeKube) -> list[tuple]:
    return [c for c in fake.calls if c[0] in WRITES]


def untouchable(fake: FakeKube) -> set[str]:
    """Namespaces that exist without drills' label."""
    return {name for (res, _, name), obj in fake.objects.items()
            if res == "namespaces" and not O.is_drill_namespace(obj)}


def assert_nothing_sent_outside_drills(fake: FakeKube) -> None:
    outside = untouchable(fake) | set(O.PROTECTED_NAMESPACES)
    assert not [c for c in writes(fake) if len(c) > 2 and c[2] in outside], writes(fake)
    assert not [c for c in fake.calls if c[0] == "exec" and c[1] in outside]


def grade(capsys, *argv):
    code = main(["grade", "--context", "learner-1", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def refused(capsys, fake, namespace, *argv, words=()):
    before = len(writes(fake))
    code, out, err = grade(capsys, *argv)
    assert code == ExitCode.UNSAFE_TARGET, err
    assert len(err.splitlines()) == 1 and namespace in err and "Traceback" not in err
    for word in words:
        assert word in err
    assert len(writes(fake)) == before, writes(fake)[before:]
    assert_nothing_sent_outside_drills(fake)
    return err


def test_a_genuine_drill_is_graded_and_probed_only_in_its_namespace(world, capsys):
    plan = drill_plan()
    put_drill(world, O.namespace_body(plan, plan.namespace))
    code, out, err = grade(capsys, "--namespace", plan.namespace, "--json")
    assert code in (ExitCode.OK, ExitCode.CHECKS_FAILED, ExitCode.GRADING_ERROR), err
    assert json.loads(out)[0]["namespace"] == plan.namespace
    assert [c for c in world.calls if c[0] == "exec"]          # the probes really ran
    assert {c[1] for c in world.calls if c[0] == "exec"} == {plan.namespace}
    assert_nothing_sent_outside_drills(world)


@pytest.mark.parametrize("change, words", [
    ({"namespace": "kube-system"}, ["kube-system"]),
    ({"image": "evil.example/miner:1"}, ["evil.example/miner:1", "busybox:1.36"]),
    ({"seed": 2}, ["seed"]),
    ({"seed": "abc"}, ["seed"]),
    ({"seed": True}, ["seed"]),
    ({"params": ["x"]}, ["params"]),
    ({"scenario": ["x"]}, ["scenario"]),
    ({"level": "nightmare"}, ["nightmare"]),
    ({"params": {"svc_name": "evil"}}, ["params"]),
    ({"extra": "field"}, ["extra"]),
])
def test_an_edited_annotation_is_refused(world, capsys, change, words):
    plan = drill_plan()
    ns = put_drill(world, annotated(plan, **change))
    refused(capsys, world, ns, "--namespace", ns, words=words)
    refused(capsys, world, ns)       # grading every drill refuses before grading any


@pytest.mark.parametrize("raw", [None, "", "{not json", "[1, 2]", "\"a string\"", "9" * 5000])
def test_a_missing_or_unreadable_annotation_is_one_line(world, capsys, raw):
    plan = drill_plan()
    body = O.namespace_body(plan, plan.namespace)
    if raw is None:
        del body["metadata"]["annotations"][O.DRILL_ANNOTATION]
    else:
        body["metadata"]["annotations"][O.DRILL_ANNOTATION] = raw
    ns = put_drill(world, body)
    refused(capsys, world, ns, "--namespace", ns, words=["annotation"])


def test_kube_system_labelled_as_a_drill_is_still_refused(world, capsys):
    plan = drill_plan()
    system = world.objects[("namespaces", "", "kube-system")]
    system["metadata"].update(annotated(plan, "kube-system", namespace="kube-system")["metadata"])
    refused(capsys, world, "kube-system", "--namespace", "kube-system")


def test_a_namespace_whose_labels_disagree_with_its_annotation_is_refused(world, capsys):
    plan = drill_plan()
    body = O.namespace_body(plan, plan.namespace)
    body["metadata"]["labels"][O.SCENARIO_LABEL] = "notready-pods"
    ns = put_drill(world, body)
    refused(capsys, world, ns, "--namespace", ns, words=["label"])


def test_an_annotation_copied_onto_another_labelled_namespace_is_refused(world, capsys):
    plan = drill_plan()
    body = O.namespace_body(plan, plan.namespace)
    body["metadata"]["name"] = "drill-selector-mismatch-2"
    ns = put_drill(world, body)
    refused(capsys, world, ns, "--namespace", ns, words=[plan.namespace])


def test_an_extra_namespace_without_the_label_is_refused(world, capsys):
    plan = drill_plan("dns-cross-namespace")
    assert plan.extra_namespaces
    put_drill(world, O.namespace_body(plan, plan.namespace))
    extra = next(iter(plan.extra_namespaces.values()))
    world.create("namespaces", {"metadata": {"name": extra}})      # the learner's, not drills'
    refused(capsys, world, extra, "--namespace", plan.namespace)


def test_an_extra_namespace_of_another_drill_is_refused(world, capsys):
    plan = drill_plan("dns-cross-namespace")
    put_drill(world, O.namespace_body(plan, plan.namespace))
    extra = next(iter(plan.extra_namespaces.values()))
    other = drill_plan("dns-cross-namespace", 2)
    world.create("namespaces", O.namespace_body(other, extra))
    refused(capsys, world, extra, "--namespace", plan.namespace)


def test_check_refuses_a_namespace_that_lost_drills_label(world, capsys):
    plan = drill_plan()
    Store().add_drill(plan.identity(), "kind-drills", plan.target_minutes, iso(utcnow()))
    world.create("namespaces", {"metadata": {"name": plan.namespace}})   # re-made by the learner
    before = len(writes(world))
    code = main(["check"])
    err = capsys.readouterr().err
    assert code == ExitCode.UNSAFE_TARGET and len(err.splitlines()) == 1 and plan.namespace in err
    assert len(writes(world)) == before
    assert_nothing_sent_outside_drills(world)


SPEC = ProbeSpec("http", "web:80/", tries=1)


def test_no_probe_runs_in_a_namespace_without_the_label(world):
    plan = drill_plan()
    world.create("namespaces", {"metadata": {"name": plan.namespace}})
    world.apply(O.probe_pod_body("busybox:1.36", plan.namespace), plan.namespace)
    kubelet(world)
    before = len(writes(world))
    with pytest.raises(UnsafeTarget) as caught:
        ProbeRunner(world, plan).run([SPEC], {})
    assert plan.namespace in caught.value.message
    assert writes(world)[before:] == []


def test_the_probe_pod_is_not_recreated_once_the_label_is_gone(world):
    """The label is checked where the pod is created, not only up front."""
    plan = drill_plan()
    world.create("namespaces", O.namespace_body(plan, plan.namespace))

    original_get = world.get

    def get(resource, name, namespace=None):
        answer = original_get(resource, name, namespace)
        if resource == "pods" and name == O.PROBE_POD:   # the learner strips the label meanwhile
            labels = world.objects[("namespaces", "", plan.namespace)]["metadata"]["labels"]
            labels.pop(O.MANAGED_BY, None)
        return answer

    world.get = get
    before = len(writes(world))
    with pytest.raises(UnsafeTarget):
        ProbeRunner(world, plan).run([SPEC], {})
    assert writes(world)[before:] == []


def test_a_missing_extra_namespace_is_an_error_not_a_creation(world):
    plan = drill_plan()
    before = len(writes(world))
    result = ProbeRunner(world, plan).run([SPEC], {})   # its namespace does not exist at all
    assert "does not exist" in result[SPEC.key]["error"]
    assert writes(world)[before:] == []


@pytest.mark.parametrize("identity_changes, seed_label", [
    ({"namespace": ["x"]}, None), ({"namespace": {"a": 1}}, None), ({}, "²"), ({}, "-1"),
])
def test_hostile_annotations_and_labels_do_not_break_listing(world, capsys, identity_changes,
                                                             seed_label):
    plan = drill_plan()
    body = annotated(plan, **identity_changes)
    if seed_label is not None:
        body["metadata"]["labels"][O.SEED_LABEL] = seed_label
    ns = put_drill(world, body)
    refused(capsys, world, ns)
    code = main(["reset", "--all", "--context", "learner-1"])   # reset still cleans it up
    assert code == 0, capsys.readouterr().err
    assert ("namespaces", "", ns) not in world.objects


@pytest.mark.parametrize("kind, hostile", [("http-cluster-ip", "1.2.3.4/evil?x="),
                                           ("nodeport", "evil.example:1/#")])
def test_probe_targets_from_cluster_objects_must_be_ip_addresses(world, kind, hostile):
    """A ClusterIP or node address the learner wrote is never turned into a URL as it is."""
    plan = drill_plan()
    put_drill(world, O.namespace_body(plan, plan.namespace))
    service = {"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "web", "namespace": plan.namespace},
               "spec": {"type": "NodePort", "clusterIP": hostile,
                        "ports": [{"port": 80, "nodePort": 30080}]}}
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"},
            "status": {"addresses": [{"type": "InternalIP", "address": hostile}]}}
    spec = ProbeSpec(kind, "web:80/" if kind == "http-cluster-ip" else "web:30080/", tries=1)
    result = ProbeRunner(world, plan).run([spec], {"services": [service], "nodes": [node],
                                                   "pods": world.list("pods", plan.namespace)})
    assert "not an IP address" in (result[spec.key]["error"] or ""), result
    assert not [c for c in world.calls if c[0] == "exec"]


def test_a_backend_cannot_forge_the_result_of_another_probe(tmp_path):
    """The learner's web server answers the probe; a line shaped like drills' attempt
    marker in its answer must not count as a result of any probe."""
    from drills import probes as P
    from tests.unit.cluster.fakes import ShimExec

    forged = f"web-1\n{P.BATCH_MARK} p1 0 1.0 1.1\nall-good"
    shim = ShimExec(tmp_path, {"http://web:80/": [(0, forged, "")]})
    items = [P.BatchItem("p0", P.wget_command("http://web:80/"), 1),
             P.BatchItem("p1", P.wget_command("http://other:80/"), 1)]
    mark = P.new_batch_mark()
    assert mark != P.BATCH_MARK and mark != P.new_batch_mark()
    _, out, _ = shim("ns", "pod", ["sh", "-c", P.batch_script(items, mark=mark)], 20)
    parsed = P.parse_batch(out, mark=mark)
    assert [r["exit_code"] for r in parsed["p1"]] == [1]           # other:80 really failed
    assert len(parsed["p0"]) == 1 and "all-good" in parsed["p0"][0]["text"]


def test_every_probe_exec_uses_a_fresh_marker(world):
    plan = drill_plan()
    put_drill(world, O.namespace_body(plan, plan.namespace))
    runner = ProbeRunner(world, plan)
    runner.run([SPEC], {"pods": world.list("pods", plan.namespace)})
    runner.run([SPEC], {"pods": world.list("pods", plan.namespace)})
    from drills import probes as P
    scripts = world.exec_fn.scripts
    assert len(scripts) == 2 and f'"{P.BATCH_MARK} ' not in scripts[0]
    assert scripts[0] != scripts[1]


def test_every_genuine_drill_passes_verification():
    """What drills start writes is accepted: every scenario, every level, a few seeds."""
    from drills.cluster.trust import verified_plan
    for scenario in catalog.discover().values():
        for level in [None, *(scenario.meta.get("levels") or {})]:
            for seed in (0, 4711, 999_999):
                plan = render(scenario, seed, level=level)
                fake = FakeKube()
                for ns in plan.namespaces:
                    fake.create("namespaces", O.namespace_body(plan, ns))
                again = verified_plan(fake, plan.namespace, plan.image)
                assert again.to_dict() == plan.to_dict()
