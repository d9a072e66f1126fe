"""Issue 9: every bad pack or setting through the INSTALLED CLI, as a user would meet it.

Each case asserts the documented exit code, exactly one line on stderr (none for a success
without warnings), no traceback, nothing of the payload on stdout, and nothing created or
changed in the sandbox folder (which is also the working directory, where `touch pwned` lands).
"""
from __future__ import annotations

import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

from drills.errors import ExitCode
from tests.unit.hostile_packs.packs import TEXT_PLACES, make_pack, with_template_line
from tests.unit.hostile_packs.test_limits import BILLION_LAUGHS

DRILLS = shutil.which("drills", path=str(Path(sys.executable).parent))

PWN = "{{ cycler.__init__.__globals__.os.system('touch pwned') }}"
ID = "{{ lipsum.__globals__['os'].popen('id').read() }}"


def _task(payload: str) -> Callable[[Path], Path]:
    return lambda root: make_pack(root, edit=lambda m: TEXT_PLACES[0][2](m, payload))


def _param(name: str, spec: dict) -> Callable[[Path], Path]:
    return lambda root: make_pack(root, edit=lambda m: m["parameters"].update({name: spec}))


def _raw(text: str) -> Callable[[Path], Path]:
    return lambda root: make_pack(root, raw_yaml=text)


@dataclass
class Case:
    name: str
    argv: list[str]
    code: int
    pack: Callable[[Path], Path] | None = None
    env: dict[str, str] = field(default_factory=dict)
    config: bytes | None = None
    says: str = ""            # a word the one stderr line must contain
    stderr_lines: int = 1
    seconds: float = 10.0      # CPU seconds the command may use (a bomb is stopped before)


BAD_PACK, USAGE = int(ExitCode.BAD_SCENARIO_PACK), int(ExitCode.USAGE)
RENDER_EVIL = ["render", "evil", "--seed", "1"]
RENDER_GOOD = ["render", "selector-mismatch", "--seed", "1"]
CASES = [
    # 1. code in templates and texts
    Case("template-os-system", RENDER_EVIL, BAD_PACK, lambda r: make_pack(r, templates=with_template_line(PWN)),
         says="service.yaml.j2"),
    Case("task-popen-id", RENDER_EVIL, BAD_PACK, _task(ID), says="field task"),
    Case("hint-os-system", RENDER_EVIL, BAD_PACK, lambda r: make_pack(r, edit=lambda m: TEXT_PLACES[1][2](m, PWN)),
         says="hints.1"),
    Case("value-os-system", RENDER_EVIL, BAD_PACK, _param("svc_name", {"value": PWN}), says="parameters.svc_name"),
    Case("ssti-subclasses", RENDER_EVIL, BAD_PACK, _task("{{ ''.__class__.__mro__[1].__subclasses__() }}"), says="task"),
    Case("ssti-config", RENDER_EVIL, BAD_PACK, _task("{{ config.items() }}"), says="config"),
    Case("ssti-self-context", RENDER_EVIL, BAD_PACK, _task("{{ self._TemplateReference__context }}"), says="task"),
    Case("ssti-request", RENDER_EVIL, BAD_PACK, _task("{{ request.application }}"), says="request"),
    Case("ssti-joiner", RENDER_EVIL, BAD_PACK, _task("{{ joiner.__init__.__globals__ }}"), says="task"),
    Case("ssti-namespace", RENDER_EVIL, BAD_PACK, _task("{{ namespace.__init__.__globals__ }}"), says="task"),
    Case("ssti-attr-filter", RENDER_EVIL, BAD_PACK, _task("{{ cycler|attr('__init__')|attr('__globals__') }}"),
         says="task"),
    Case("ssti-format", RENDER_EVIL, BAD_PACK, _task("{{ '{0.__init__.__globals__}'.format(cycler) }}"), says="task"),
    Case("ssti-include-passwd", RENDER_EVIL, BAD_PACK,
         lambda r: make_pack(r, templates=with_template_line("{% include '../../../../etc/passwd' %}")),
         says="passwd"),
    Case("range-bomb", RENDER_EVIL, BAD_PACK, _task("{{ range(10**9)|list }}"), says="task", seconds=3),
    # 2. a broken pack fails alone
    Case("no-such-word-list", RENDER_EVIL, BAD_PACK, _param("app", {"words": "no_such_list"}), says="parameters.app"),
    Case("no-such-word-list-list", ["list"], 0, _param("app", {"words": "no_such_list"}), says="warning"),
    Case("no-such-word-list-builtin", RENDER_GOOD, 0, _param("app", {"words": "no_such_list"}), stderr_lines=0),
    Case("reversed-int", RENDER_EVIL, BAD_PACK, _param("replicas", {"int": [3, 2]}), says="parameters.replicas"),
    Case("unknown-kind", ["show", "evil"], BAD_PACK, _param("replicas", {"dice": 6}), says="parameters.replicas"),
    Case("typo-of-undefined", RENDER_EVIL, BAD_PACK, _param("wrong_value", {"typo": "ghost"}),
         says="parameters.wrong_value"),
    Case("missing-pack-folder", ["list"], 0, env={"DRILLS_SCENARIO_PATH": "/nonexistent/packs"}, says="warning"),
    # 3. the right party: usage and settings
    Case("bad-namespace-flag", [*RENDER_GOOD, "--namespace", "Bad_NS"], USAGE, says="namespace"),
    Case("blank-image", RENDER_GOOD, USAGE, env={"DRILLS_IMAGE": " "}, says="DRILLS_IMAGE"),
    Case("config-image-42", RENDER_GOOD, USAGE, config=b"image: 42\n", says="config.yaml"),
    Case("config-not-mapping", RENDER_GOOD, USAGE, config=b"- a\n- b\n", says="config.yaml"),
    Case("config-bad-utf8", RENDER_GOOD, USAGE, config=b"image: \xff\n", says="UTF-8"),
    Case("config-bad-yaml", RENDER_GOOD, USAGE, config=b"image: [a\ncontext: b\n", says="column"),
    Case("home-unknown-user", RENDER_GOOD, USAGE, env={"DRILLS_HOME": "~nouser-drills/x"}, says="DRILLS_HOME"),
    # 4. and 5. limits, one-line YAML errors
    Case("billion-laughs", RENDER_EVIL, BAD_PACK, _raw(BILLION_LAUGHS), says="alias", seconds=3),
    Case("huge-scenario-yaml", RENDER_EVIL, BAD_PACK,
         lambda r: make_pack(r, edit=lambda m: m.update(teaches="x" * 400_000)), says="limit"),
    Case("60mb-task", RENDER_EVIL, BAD_PACK, _task("{% for i in range(60) %}{{ 'y' * 1000000 }}{% endfor %}"),
         says="task", seconds=3),
    Case("nested-loops", RENDER_EVIL, BAD_PACK,
         _task("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"), seconds=5),
    Case("multi-line-yaml-error", RENDER_EVIL, BAD_PACK, _raw("id: evil\ntitle: [unclosed\nx: y\n"), says="column"),
]


@pytest.fixture(scope="module")
def drills_bin():
    assert DRILLS, f"no installed drills next to {sys.executable}"
    return DRILLS


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in root.rglob("*") if p.is_file() or p.is_symlink()}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_installed_cli(case: Case, tmp_path: Path, drills_bin: str):
    home, drills_home = tmp_path / "home", tmp_path / "drills-home"
    home.mkdir()
    drills_home.mkdir()
    env = {"PATH": f"{Path(drills_bin).parent}:/usr/bin:/bin", "HOME": str(home),
           "DRILLS_HOME": str(drills_home), "LANG": "C.UTF-8", "COLUMNS": "120"}
    if case.pack:
        env["DRILLS_SCENARIO_PATH"] = str(case.pack(tmp_path))
    if case.config is not None:
        (drills_home / "config.yaml").write_bytes(case.config)
    env.update(case.env)
    before = _snapshot(tmp_path)
    started = time.monotonic()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run([drills_bin, *case.argv], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=60)
    elapsed = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU, not wall time: on a machine shared with other xdist workers and jobs the wall
    # time of a 0.4 s command says more about the load than about the sandbox's budget
    cpu = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
    stderr = result.stderr
    assert result.returncode == case.code, stderr
    assert "Traceback" not in stderr
    assert len(stderr.splitlines()) == case.stderr_lines and stderr.count("\n") == case.stderr_lines, stderr
    assert case.says in stderr
    assert "uid=" not in result.stdout and "root:x:" not in result.stdout
    assert not (tmp_path / "pwned").exists()
    assert _snapshot(tmp_path) == before, "the command created or changed files"
    assert cpu < case.seconds, f"used {cpu:.1f} s of CPU ({elapsed:.1f} s wall)"
