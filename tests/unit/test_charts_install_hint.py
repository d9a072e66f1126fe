"""The command that installs the charts extra fits how drills was installed: in a
clone (the README's way, editable or not) '.[charts]' run in that clone, and
'drills[charts]' only for a drills from a package index.

The installed layouts below are hand-made the way pip lays them out (the package
folder beside its .dist-info, PEP 610's direct_url.json), run in a fresh Python."""
from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from drills.charts import install_hint

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "drills"
PIP = f"{shlex.quote(sys.executable)} -m pip"


def test_from_this_checkout_it_is_the_clone_form():
    assert install_hint() == f"cd {shlex.quote(str(ROOT))} && {PIP} install -e '.[charts]'"


def installed(tmp_path: Path, direct_url: dict | None, beside: str | None = None) -> Path:
    """drills as pip puts it into site-packages, optionally recording where it came from."""
    site = tmp_path / "site-packages"
    shutil.copytree(PACKAGE, site / "drills", ignore=shutil.ignore_patterns("__pycache__"))
    info = site / "drills-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: drills\nVersion: 0.1.0\n")
    if direct_url is not None:
        (info / "direct_url.json").write_text(json.dumps(direct_url))
    if beside is not None:
        (site / "pyproject.toml").write_text(f'[project]\nname = "{beside}"\n')
    return site


def clone(tmp_path: Path) -> Path:
    folder = tmp_path / "my clone"
    folder.mkdir()
    shutil.copy(ROOT / "pyproject.toml", folder / "pyproject.toml")
    return folder


def run_python(site: Path, tmp_path: Path, code: str, *extra_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, (*extra_path, site))),
           "DRILLS_HOME": str(tmp_path / "home")}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=60)


def hint_of(site: Path, tmp_path: Path) -> str:
    done = run_python(site, tmp_path, "import drills.charts as c; print(c.__file__); print(c.install_hint())")
    where, hint = done.stdout.splitlines()
    assert Path(where).is_relative_to(site), where       # the copy runs, not this checkout
    return hint


def test_installed_from_a_clone_it_is_the_clone_form(tmp_path):
    folder = clone(tmp_path)
    site = installed(tmp_path, {"url": folder.as_uri(), "dir_info": {}})
    assert hint_of(site, tmp_path) == f"cd {shlex.quote(str(folder))} && {PIP} install '.[charts]'"


def test_installed_editable_from_a_clone_it_stays_editable(tmp_path):
    folder = clone(tmp_path)
    site = installed(tmp_path, {"url": folder.as_uri(), "dir_info": {"editable": True}})
    assert hint_of(site, tmp_path) == f"cd {shlex.quote(str(folder))} && {PIP} install -e '.[charts]'"


@pytest.mark.parametrize("direct_url,beside", [
    (None, None),                                                            # from an index
    (None, "another-project"),                                              # a foreign pyproject
    ({"url": "file:///tmp/drills-0.1.0-py3-none-any.whl", "archive_info": {}}, None),   # a wheel
    ({"url": "https://example.org/drills.tar.gz", "archive_info": {}}, None),
])
def test_from_an_index_it_is_the_extra_by_name(tmp_path, direct_url, beside):
    site = installed(tmp_path, direct_url, beside)
    assert hint_of(site, tmp_path) == f"{PIP} install 'drills[charts]'"


def test_the_cli_names_the_command_when_matplotlib_is_missing(tmp_path):
    """drills stats --png from a drills installed from a clone, in a Python without matplotlib."""
    folder = clone(tmp_path)
    site = installed(tmp_path, {"url": folder.as_uri(), "dir_info": {}})
    blocker = tmp_path / "no-matplotlib"
    (blocker / "matplotlib").mkdir(parents=True)
    (blocker / "matplotlib" / "__init__.py").write_text(
        "raise ImportError(\"No module named 'matplotlib'\")\n")
    done = run_python(site, tmp_path, "import sys, drills.cli; sys.exit(drills.cli.main("
                      "['stats', '--png', 'charts']))", blocker)
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line == ("drills: error: charts need matplotlib, which is not installed (install the charts "
                    f"extra: cd {shlex.quote(str(folder))} && {PIP} install '.[charts]')")
