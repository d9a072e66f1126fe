"""pods.running and pods.ready: a workload's pods via their owner, not only labels."""
from drills.graders.registry import ERROR, FAIL, PASS
from tests.fixtures import bundles as B
from tests.graders.kit import bundle, run, without


def test_ready_passes_and_ignores_terminating_pods_of_the_old_revision():
    b = bundle("notready-pods", "reference")   # two old pods still terminating
    v = run("pods.ready", b, workload="web", replicas=2)
    assert v.status == PASS and "5548dbc998" not in v.observed


def test_not_ready_pods_fail_with_the_kubelet_reason():
    v = run("pods.ready", bundle("notready-pods", "broken"), workload="web", replicas=2)
    assert v.status == FAIL
    assert "0 of 2 Ready" in v.observed and "statuscode: 404" in v.observed
    assert "describe pod web-5548dbc998-" in v.hint


def test_running_does_not_care_about_readiness():
    assert run("pods.running", bundle("notready-pods", "broken"), workload="web").status == PASS


def test_pending_pods_are_not_running():
    b = bundle("selector-mismatch", "reference")
    for pod in B.workload_pods(b["objects"], "web"):
        pod["status"]["phase"] = "Pending"
    v = run("pods.running", b, workload="web", replicas=2)
    assert v.status == FAIL and "Pending" in v.observed


def test_replicas_default_to_the_plan():
    b = bundle("selector-mismatch", "reference")
    b["objects"]["pods"] = [p for p in b["objects"]["pods"] if not p["metadata"]["name"].endswith("hn4hk")]
    v = run("pods.ready", b, workload="web")
    assert v.status == FAIL and "1 of 2 Ready" in v.observed


def test_relabelled_orphans_are_not_pods_of_the_deployment():
    v = run("pods.ready", bundle("selector-mismatch", "relabel-pods"), workload="web", replicas=2)
    assert v.status == PASS and "kq2lm" in v.observed and "4v956" not in v.observed


def test_deleted_workload_fails_and_unreadable_pods_error():
    b = bundle("selector-mismatch", "reference")
    b["objects"]["deployments"] = []
    assert run("pods.ready", b, workload="web").status == FAIL
    assert run("pods.ready", bundle("selector-mismatch", "pods-unreadable"), workload="web").status == ERROR
    assert run("pods.ready", without(bundle("selector-mismatch", "reference"), "deployments"),
               workload="web").status == ERROR
    assert run("pods.ready", bundle("selector-mismatch", "reference"), workload="web",
               kind="CronJob").status == ERROR
