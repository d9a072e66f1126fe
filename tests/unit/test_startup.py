"""`drills list` and `drills render` must start fast: never import the Kubernetes client."""
import subprocess
import sys

import pytest

HEAVY = ("kubernetes", "docker", "urllib3")


@pytest.mark.parametrize("argv", [["list"], ["render", "selector-mismatch", "--seed", "1"],
                                  ["show", "selector-mismatch"], ["--help"]])
def test_offline_verbs_do_not_import_cluster_clients(argv, tmp_path):
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "drills", *argv],
                            capture_output=True, text=True, env={"DRILLS_HOME": str(tmp_path),
                                                                 "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-2000:]
    imported = {line.split("|")[-1].strip().split(".")[0]
                for line in result.stderr.splitlines() if line.startswith("import time:")}
    assert not imported & set(HEAVY), sorted(imported & set(HEAVY))
