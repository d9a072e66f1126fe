"""A class graded at once on a live cluster (opt in: pytest -m cluster).

Two contexts of a temporary kubeconfig point at the same cluster, as two learners
sharing one; one drill is fixed with its scenario's reference fix, one is left broken.
`drills grade --kubeconfig ... --namespace ...` grades both contexts side by side.
"""
from __future__ import annotations

import json
import time

import pytest
import drills.cluster as cluster
from drills import lifecycle
from drills.cli import main
from tests.classroom.kubeconfigs import contexts_sharing
from tests.e2e.test_drills_live import explain, judge_now, plan_for

pytestmark = pytest.mark.cluster
SETTLE_S = 90


def test_two_contexts_are_graded_at_once_one_fixed_one_broken(session, drills_started, tmp_path, capsys,
                                                              monkeypatch):
    fixed = plan_for("selector-mismatch", 7101)
    broken = plan_for("wrong-targetport", 7101)
    monkeypatch.setenv("DRILLS_HOME", str(tmp_path / "home"))   # the class run goes to a store of its own
    for plan in (fixed, broken):
        drills_started.append(plan)
        # as 'drills start' deploys: fault verified, scenario hash on the namespace (grade checks it)
        lifecycle.deploy(session, plan)
    cluster.apply_fix(session, fixed, fixed.fixes["reference"])
    deadline = time.monotonic() + SETTLE_S
    while (report := judge_now(session, fixed)[1]).status != "PASS" and time.monotonic() < deadline:
        time.sleep(2)
    assert report.status == "PASS", explain(report)

    path = contexts_sharing(tmp_path / "class.kubeconfig", session.context, ["learner-1", "learner-2"])
    monkeypatch.setenv("KUBECONFIG", str(path))
    html = tmp_path / "class.html"
    code = main(["grade", "--kubeconfig", str(path), "--contexts", "learner-*", "--jobs", "2",
                 "--namespace", fixed.namespace, "--namespace", broken.namespace,
                 "--report", str(html), "--json"])
    data = json.loads(capsys.readouterr().out)
    rows = {(r["learner"], r["namespace"]): r for r in data["rows"]}
    assert sorted(rows) == sorted((learner, ns) for learner in ("learner-1", "learner-2")
                                  for ns in (fixed.namespace, broken.namespace))
    for learner in ("learner-1", "learner-2"):
        passed, failed = rows[learner, fixed.namespace], rows[learner, broken.namespace]
        assert passed["status"] == "PASS" and passed["score"] == 100.0, passed
        assert passed["code"] and passed["elapsed_seconds"] is not None
        assert failed["status"] == "FAIL", failed
        assert failed["diagnosis"]["check"] and not [c for c in failed["checks"] if c["status"] == "ERROR"]
    assert code == 1
    assert "learner-1" in html.read_text()
