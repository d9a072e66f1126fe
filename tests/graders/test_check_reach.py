"""reach.http-all-backends and reach.nodeport-every-node, and the answerer rule."""
import copy

import pytest

from drills.graders.checks._common import MISSED_BACKENDS_CHANCE, chance_to_miss, judge_answerers
from drills.graders.registry import ERROR, FAIL, PASS, REGISTRY
from tests.fixtures import bundles as B
from tests.graders.kit import bundle, run

HTTP = dict(service="web", port=80, workload="web")
NODE = dict(service="web", node_port=30080, workload="web")


def test_probe_keys_follow_the_catalog():
    probes = REGISTRY["reach.http-all-backends"].probes
    assert probes(**HTTP)[0].key == "http:web:80/"
    assert probes(**HTTP, via="cluster-ip")[0].key == "http-cluster-ip:web:80/"
    assert probes(**HTTP, host="web.ns.svc.cluster.local", path="/x")[0].key == "http:web.ns.svc.cluster.local:80/x"
    assert REGISTRY["reach.nodeport-every-node"].probes(**NODE)[0].key == "nodeport:30080"


def test_all_ready_backends_answering_passes():
    v = run("reach.http-all-backends", bundle("selector-mismatch", "reference"), **HTTP)
    assert v.status == PASS and "all 2 Ready pods answered" in v.observed
    assert run("reach.http-all-backends", bundle("selector-mismatch", "reference"), **HTTP,
               via="cluster-ip").status == PASS


def test_refused_fails_with_busybox_words_and_the_right_command():
    v = run("reach.http-all-backends", bundle("selector-mismatch", "broken"), **HTTP)
    assert v.status == FAIL and "refused" in v.observed and "Connection refused" in v.observed
    assert "get endpointslices" in v.hint


def test_unknown_name_and_unresolved_target_fail():
    b = bundle("wrong-targetport", "service-deleted")
    v = run("reach.http-all-backends", b, **HTTP)
    assert v.status == FAIL and "bad address 'web:80'" in v.observed
    v = run("reach.http-all-backends", b, **HTTP, via="cluster-ip")
    assert v.status == FAIL and "Service web does not exist" in v.observed


def test_probe_infrastructure_trouble_is_an_error():
    v = run("reach.http-all-backends", bundle("selector-mismatch", "probe-pod-down"), **HTTP)
    assert v.status == ERROR and "probe pod" in v.observed
    b = bundle("selector-mismatch", "reference")
    del b["probes"]["http:web:80/"]
    assert run("reach.http-all-backends", b, **HTTP).status == ERROR
    b = bundle("selector-mismatch", "reference")
    b["probes"]["http:web:80/"]["attempts"] = []
    assert run("reach.http-all-backends", b, **HTTP).status == ERROR


def test_answers_from_pods_outside_the_workload_fail():
    v = run("reach.http-all-backends", bundle("selector-mismatch", "legacy-pods"), **HTTP)
    assert v.status == FAIL and "web-legacy-" in v.observed


def test_a_partial_failure_fails():
    b = bundle("selector-mismatch", "reference")
    attempts = b["probes"]["http:web:80/"]["attempts"]
    attempts[3] = copy.deepcopy(bundle("selector-mismatch", "broken")["probes"]["http:web:80/"]["attempts"][0])
    v = run("reach.http-all-backends", b, **HTTP)
    assert v.status == FAIL and "1 of 6 attempts refused" in v.observed


def _one_answerer(tries):
    b = bundle("selector-mismatch", "reference")
    template = b["probes"]["http:web:80/"]["attempts"][0]
    b["probes"]["http:web:80/"]["attempts"] = B.ok_attempts(template, [template["answered_by"]] * tries)
    return b


def test_an_unlucky_spread_of_few_requests_passes():
    v = run("reach.http-all-backends", _one_answerer(6), **HTTP)
    assert v.status == PASS and "by chance" in v.observed


def test_many_requests_that_never_reach_a_ready_pod_fail():
    v = run("reach.http-all-backends", _one_answerer(12), **HTTP)
    assert v.status == FAIL and "never reached web-8559b74f6d-hn4hk" in v.observed


@pytest.mark.parametrize("pods,missed,tries,fails", [
    (2, 1, 3, False),    # fewer tries than 2x the pods: never blame
    (2, 1, 6, False),    # 1 in 32
    (2, 1, 12, True),    # 1 in 2048
    (3, 1, 12, False),   # 1 in 43
    (3, 1, 24, True),
    (3, 2, 12, True),
])
def test_the_answerer_rule(pods, missed, tries, fails):
    ready = {f"p{i}" for i in range(pods)}
    answered = set(sorted(ready)[missed:])
    ok, _ = judge_answerers(answered, ready, tries)
    assert ok is not fails
    assert (chance_to_miss(pods, missed, tries) < MISSED_BACKENDS_CHANCE) is fails


def test_nodeport_passes_on_every_node_and_fails_when_refused():
    assert run("reach.nodeport-every-node", bundle("missing-nodeport", "reference"), **NODE).status == PASS
    v = run("reach.nodeport-every-node", bundle("missing-nodeport", "broken"), **NODE)
    assert v.status == FAIL and "node harness-node (198.18.255.1)" in v.observed


def test_nodeport_needs_evidence_for_every_node():
    b = bundle("missing-nodeport", "reference")
    second = copy.deepcopy(b["objects"]["nodes"][0])
    second["metadata"]["name"] = "worker-2"
    second["status"]["addresses"] = [{"address": "198.18.255.2", "type": "InternalIP"}]
    b["objects"]["nodes"].append(second)
    assert run("reach.nodeport-every-node", b, **NODE).status == ERROR
    assert run("reach.nodeport-every-node", bundle("missing-nodeport", "nodes-unreadable"),
               **NODE).status == ERROR
