"""An installed wheel must carry every scenario file: each must match the package-data globs."""
import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_every_scenario_file_is_shipped_as_package_data():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["drills.scenarios"]
    scenarios = ROOT / "scenarios"
    files = [p.relative_to(scenarios).as_posix() for p in scenarios.rglob("*")
             if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".py"]
    assert files
    unshipped = [f for f in files if not any(fnmatch.fnmatch(f, pat) and f.count("/") == pat.count("/")
                                             for pat in patterns)]
    assert not unshipped, f"add a package-data pattern for {unshipped}"
