"""Reset-then-start always works: namespaces that are still terminating and
cluster-wide restores that have not taken effect yet are waited for (bounded),
never failed on, against fakes that model both."""
from __future__ import annotations

import pytest

from drills.cluster import manage as M
from drills.cluster import objects as O
from drills.cluster import start as ST
from drills.cluster.api import ApiError
from drills.errors import ClusterUnreachable, UsageError
from tests.unit.cluster.fakes import Session, make_plan
from tests.unit.cluster.fakes_cluster_wide import cluster_world, proxy_nodes
from tests.unit.cluster.test_cluster_setup import NS as WIDE_NS
from tests.unit.cluster.test_cluster_setup import wide_plan
from tests.unit.cluster.test_start import fake, start  # noqa: F401 (fake: the fixture)

# the fakes move per API call: polls and deadlines run on a virtual clock, no waiting
pytestmark = pytest.mark.usefixtures("virtual_clock")

NS = "drill-selector-mismatch-7"
ALL_NODES = {"drills-control-plane", "drills-worker", "drills-worker2"}


@pytest.fixture
def wide():
    return cluster_world()


class SlowRecovery:
    """After kube-proxy's affinity is put back, its pods take `ticks` API calls to be
    available everywhere again (what a real DaemonSet rollout does)."""

    def __init__(self, ticks: int):
        self.ticks = ticks
        self.seen = 0

    def __call__(self, api) -> None:
        ds = api.objects.get(("daemonsets", "kube-system", "kube-proxy"))
        if ds is None or ds["spec"]["template"]["spec"].get("affinity") or self.seen >= self.ticks:
            return
        self.seen += 1
        status = ds.setdefault("status", {})
        status["numberAvailable"] = max(0, status.get("desiredNumberScheduled", 0) - 1)


def test_start_waits_for_its_namespace_to_finish_terminating(fake):
    plan = make_plan(NS)
    fake.create("namespaces", O.namespace_body(plan, NS))
    fake.terminating_gets = 4
    fake.delete("namespaces", NS)                  # a reset that did not wait
    phases = []
    start(Session(fake), plan, phases.append)
    assert f"waiting for namespace {NS} to finish terminating" in phases
    assert O.is_drill_namespace(fake.objects[("namespaces", "", NS)])
    assert not O.is_terminating(fake.objects[("namespaces", "", NS)])


def test_a_namespace_that_turns_up_terminating_at_create_is_waited_for_too(fake):
    """The race the real cluster showed: gone when looked at, terminating when created."""
    plan = make_plan(NS)
    create = fake.create
    raced = []

    def racing_create(resource, body, namespace=None):
        if resource == "namespaces" and not raced:
            raced.append(True)
            create(resource, O.namespace_body(plan, NS))
            fake.terminating_gets = 3
            fake.delete("namespaces", NS)
            raise ApiError(409, "AlreadyExists", f'namespaces "{NS}" already exists')
        return create(resource, body, namespace)
    fake.create = racing_create
    start(Session(fake), plan)
    assert raced and not O.is_terminating(fake.objects[("namespaces", "", NS)])


def test_a_namespace_deleted_under_a_start_says_so_in_one_line(fake):
    fake.apply_errors = [ApiError(403, "Forbidden", f"unable to create new content in namespace "
                                  f"{NS} because it is being terminated")]
    with pytest.raises(UsageError) as caught:
        start(Session(fake), make_plan(NS))
    assert "was deleted while" in caught.value.message and caught.value.hint == "start the drill again"
    assert fake.names("namespaces") == []


def test_a_namespace_that_never_finishes_terminating_is_a_bounded_wait(fake, monkeypatch):
    monkeypatch.setattr(ST, "GONE_WAIT_S", 0.3)
    plan = make_plan(NS)
    fake.create("namespaces", O.namespace_body(plan, NS))
    fake.terminating_gets = 10_000
    fake.delete("namespaces", NS)
    with pytest.raises(ClusterUnreachable) as caught:
        start(Session(fake), plan)
    assert "still being deleted after 0.3 s" in caught.value.message
    assert not [c for c in fake.calls if c[0] == "apply"]


def test_a_drill_starts_beside_a_cluster_wide_one_that_is_only_terminating(wide):
    start(Session(wide), wide_plan())
    wide.terminating_gets = 10_000          # reset did its restore, the namespace lingers
    M.reset_drills(Session(wide), [WIDE_NS], wait=False)
    assert O.is_terminating(wide.objects[("namespaces", "", WIDE_NS)])
    start(Session(wide), make_plan(NS))     # not refused: its changes are undone
    assert O.is_drill_namespace(wide.objects[("namespaces", "", NS)])


def test_a_cluster_wide_drill_restarts_while_its_old_namespace_terminates(wide):
    start(Session(wide), wide_plan(namespace="drill-kube-proxy-node-1"))
    wide.terminating_gets = 10_000
    M.reset_drills(Session(wide), ["drill-kube-proxy-node-1"], wait=False)
    start(Session(wide), wide_plan())       # another seed of the same cluster-wide drill
    assert WIDE_NS in wide.names("namespaces")


def test_start_waits_until_the_previous_cluster_wide_restore_took_effect(wide):
    start(Session(wide), wide_plan())
    wide.terminating_gets = 10_000
    M.reset_drills(Session(wide), [WIDE_NS], wait=False)
    slow = SlowRecovery(ticks=6)
    wide.controllers.append(slow)
    phases = []
    start(Session(wide), make_plan(NS), phases.append)
    assert slow.seen == 6
    assert any(p.startswith("waiting until DaemonSet kube-system/kube-proxy") for p in phases)


def test_start_refuses_when_a_deleted_cluster_wide_drill_was_never_put_back(wide):
    start(Session(wide), wide_plan())
    wide.terminating_gets = 2
    wide.delete("namespaces", WIDE_NS)      # kubectl delete ns by hand: no restore ran
    with pytest.raises(UsageError) as caught:
        start(Session(wide), make_plan(NS))
    assert "drills reset --all" in caught.value.hint
    assert NS not in wide.names("namespaces")


def test_reset_returns_only_once_kube_proxy_runs_everywhere_again(wide):
    start(Session(wide), wide_plan())
    slow = SlowRecovery(ticks=5)
    wide.controllers.append(slow)
    phases = []
    M.reset_drills(Session(wide), [WIDE_NS], progress=phases.append)
    assert slow.seen == 5
    assert "waiting for DaemonSet kube-system/kube-proxy (pods 2/3 available) to recover" in phases
    assert proxy_nodes(wide) == ALL_NODES
    assert WIDE_NS not in wide.names("namespaces")


def test_reset_gives_up_on_a_restore_that_never_takes_effect(wide):
    start(Session(wide), wide_plan())
    wide.controllers.append(SlowRecovery(ticks=10**9))
    with pytest.raises(ClusterUnreachable) as caught:
        M.reset_drills(Session(wide), [WIDE_NS], timeout=0.5)
    assert "has not recovered in time" in caught.value.message


def test_the_reset_verb_waits_with_a_spinner(monkeypatch, capsys):
    """`drills reset` asks the runtime to wait (gone + restored) and shows its progress."""
    from drills.cli import main
    from tests.unit.test_cli_live import FakeRuntime
    runtime = FakeRuntime(monkeypatch)
    from drills.lifecycle import prepare
    from drills.store import Store, iso, utcnow
    plan = prepare("selector-mismatch", 7)
    Store().add_drill(plan.identity(), "kind-drills", 4, iso(utcnow()))
    import drills.cluster as cluster
    waits = []

    def reset_drills(session, namespaces=None, wait=True, progress=lambda p: None):
        waits.append(wait)
        progress("waiting until they are gone")
        return list(namespaces or [])
    monkeypatch.setattr(cluster, "reset_drills", reset_drills)
    assert main(["reset"]) == 0
    assert waits == [True] and Store().open_drills() == []
    assert runtime.calls[0][0] == "connect"
