"""The surface the CLI calls: names, signatures, and a cheap import."""
from __future__ import annotations

import inspect
import subprocess
import sys

import drills.cluster as cluster


def test_importing_drills_cluster_loads_no_cluster_client():
    code = ("import sys, drills.cluster; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'kubernetes', 'docker', 'urllib3', 'websocket'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def params(fn):
    return {name: (p.kind.name, p.default) for name, p in inspect.signature(fn).parameters.items()}


def test_signatures_the_cli_relies_on():
    assert list(params(cluster.connect)) == ["context", "explicit", "timeout"]
    assert params(cluster.connect)["timeout"] == ("KEYWORD_ONLY", 10.0)
    assert list(params(cluster.start_drill))[:3] == ["session", "plan", "progress"]
    # the fault check is the caller's (drills.lifecycle): the runtime imports no graders
    assert params(cluster.start_drill)["verify"] == ("KEYWORD_ONLY", inspect.Parameter.empty)
    assert list(params(cluster.collect_evidence))[:4] == ["session", "plan", "probes", "api_only"]
    assert params(cluster.collect_evidence)["api_only"] == ("KEYWORD_ONLY", False)
    assert list(params(cluster.list_drills)) == ["session"]
    assert list(params(cluster.reset_drills)) == ["session", "namespaces", "wait", "progress"]
    assert params(cluster.reset_drills)["namespaces"][1] is None
    assert list(params(cluster.apply_fix)) == ["session", "plan", "fix"]
    for name in ("cluster_up", "cluster_down", "cluster_status", "ensure_kind"):
        assert callable(getattr(cluster, name))
    from drills.cluster.doctor import doctor
    assert list(params(doctor)) == ["context", "explicit"]
