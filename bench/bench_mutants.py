"""Mutation score of graders/ against its tests (opt-in; minutes, not seconds).

    python bench/bench_mutants.py [--jobs N] [--only PATTERN] [--sample N] [--list] [--retest LOG]

Each mutant changes one spot of one module in graders/ (inside a function): a comparison
(== !=, < <=, > >=, in / not in, is / is not), `and`/`or`, a dropped `not`, True/False/None,
an integer +1, `+`/`-`, or an `if` whose test becomes False (the branch dropped). For every mutant a
forked child imports drills.graders from a mutated copy and runs the check's own test module
(tests/graders/checks/test_<check>.py), then, if it survives, the fairness items judged on every
recording (tests/scenarios/scenarios.fairness); shared modules run tests/graders/checks, then all of
tests/graders and the fairness items. A mutant is killed
when a test fails. Prints the survivors and the kill score (goal: at least 90 %).

Why not mutmut: mutmut 3 (3.8.1 tried) runs the tests from a `mutants/` copy and needs the mutated
modules importable under their file paths; here graders/ is installed as `drills.graders`
(package-dir mapping), so its tests never reach mutmut's copies and it stops with "could not find
any test case for any mutant". mutmut 2 mutates files in place, which is unsafe in a worktree that
other processes read.
"""
from __future__ import annotations

import argparse
import ast
import copy
import fnmatch
import importlib.util
import os
import re
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GRADERS = ROOT / "graders"
FAIRNESS = ROOT / "tests" / "scenarios" / "scenarios.fairness"
CHECK_TESTS = ROOT / "tests" / "graders" / "checks"
TIMEOUT_S = 120

SWAP_COMPARE = {ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.LtE, ast.LtE: ast.Lt,
                ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.In: ast.NotIn, ast.NotIn: ast.In,
                ast.Is: ast.IsNot, ast.IsNot: ast.Is}
SWAP_BINOP = {ast.Add: ast.Sub, ast.Sub: ast.Add}


def _sites(tree: ast.AST):
    """(node, description, mutate(node) -> replacement) for every mutable spot inside functions."""
    in_function = set()
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            body = fn.body if isinstance(fn.body, list) else [fn.body]
            for stmt in body:
                in_function.update(id(n) for n in ast.walk(stmt))
            for dec in getattr(fn, "decorator_list", []):   # registrations are not behaviour
                in_function.difference_update(id(n) for n in ast.walk(dec))
    for node in ast.walk(tree):
        if id(node) not in in_function:
            continue
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                if type(op) in SWAP_COMPARE:
                    new = SWAP_COMPARE[type(op)]
                    yield node, line, f"{type(op).__name__} -> {new.__name__}", \
                        (lambda n, i=i, new=new: _with(n, ops=[*n.ops[:i], new(), *n.ops[i + 1:]]))
        elif isinstance(node, ast.BoolOp):
            new = ast.Or if isinstance(node.op, ast.And) else ast.And
            yield node, line, f"{type(node.op).__name__} -> {new.__name__}", \
                (lambda n, new=new: _with(n, op=new()))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield node, line, "drop not", (lambda n: n.operand)
        elif isinstance(node, ast.BinOp) and type(node.op) in SWAP_BINOP:
            new = SWAP_BINOP[type(node.op)]
            yield node, line, f"{type(node.op).__name__} -> {new.__name__}", \
                (lambda n, new=new: _with(n, op=new()))
        elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
            yield node, line, f"{node.value} -> {not node.value}", (lambda n: ast.Constant(not n.value))
        elif isinstance(node, ast.Constant) and node.value is None:
            yield node, line, "None -> ''", (lambda n: ast.Constant(""))
        elif isinstance(node, ast.Constant) and type(node.value) is int:
            yield node, line, f"{node.value} -> {node.value + 1}", (lambda n: ast.Constant(n.value + 1))
        elif isinstance(node, ast.If):
            yield node, line, "if-branch dropped", (lambda n: _with(n, test=ast.Constant(False)))


def _with(node, **fields):
    new = copy.copy(node)
    for key, value in fields.items():
        setattr(new, key, value)
    return new


class _Replace(ast.NodeTransformer):
    def __init__(self, target: ast.AST, make):
        self.target, self.make = target, make

    def generic_visit(self, node):
        if node is self.target:
            return self.make(node)
        return super().generic_visit(node)


def mutants(path: Path) -> list[tuple[int, int, str]]:
    tree = ast.parse(path.read_text())
    return [(i, line, what) for i, (_, line, what, _) in enumerate(_sites(tree))]


def mutated_source(path: Path, index: int | None) -> str:
    if index is None:   # the baseline: the module as it is
        return path.read_text()
    tree = ast.parse(path.read_text())
    node, _, _, make = list(_sites(tree))[index]
    return ast.unparse(ast.fix_missing_locations(_Replace(node, make).visit(tree)))


def tests_for(path: Path) -> list[list[str]]:
    """Test runs in order, cheapest first: the first that fails kills the mutant."""
    own = CHECK_TESTS / f"test_{path.stem.replace('-', '_')}.py"
    if path.parent.name == "checks" and own.is_file():
        return [[str(own)], [str(FAIRNESS)]]
    return [[str(CHECK_TESTS)], [str(ROOT / "tests" / "graders"), str(FAIRNESS)]]


def run_mutant(copy_root: Path, path: Path, index: int) -> bool:
    """True when the tests kill the mutant (run in a forked child on its own copy of graders/)."""
    work = Path(tempfile.mkdtemp(prefix="mutant-", dir=copy_root))
    shutil.copytree(GRADERS, work / "graders", ignore=shutil.ignore_patterns("__pycache__"))
    target = work / "graders" / path.relative_to(GRADERS)
    target.write_text(mutated_source(path, index))
    pid = os.fork()
    if pid == 0:   # child: drills.graders from the mutated copy, then the tests
        code = 3
        try:
            sys.dont_write_bytecode = True
            for name in [m for m in sys.modules if m == "drills.graders" or m.startswith("drills.graders.")]:
                del sys.modules[name]
            spec = importlib.util.spec_from_file_location(
                "drills.graders", work / "graders" / "__init__.py",
                submodule_search_locations=[str(work / "graders")])
            module = importlib.util.module_from_spec(spec)
            sys.modules["drills.graders"] = module
            spec.loader.exec_module(module)
            import pytest
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            for tests in tests_for(path):
                code = pytest.main(["-x", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                                    "-o", "addopts=", "--rootdir", str(ROOT), *tests])
                if code != 0:
                    break
        finally:
            os._exit(int(code))
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            shutil.rmtree(work, ignore_errors=True)
            return True   # a mutant that hangs the tests is caught by their timeout
        time.sleep(0.05)
    shutil.rmtree(work, ignore_errors=True)
    return os.waitstatus_to_exitcode(status) != 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--only", default="*", help="glob over paths below graders/, e.g. 'checks/pods_*'")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("--retest", type=Path, metavar="LOG",
                        help="run again only the survivors printed by an earlier complete run (its output)")
    parser.add_argument("--sample", type=int, default=1, metavar="N",
                        help="judge every Nth mutant only (a quicker estimate of the score)")
    args = parser.parse_args()
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    files = [p for p in sorted(GRADERS.rglob("*.py"))
             if fnmatch.fnmatch(p.relative_to(GRADERS).as_posix(), args.only)]
    todo = [(p, i, line, what) for p in files for i, line, what in mutants(p)][::max(1, args.sample)]
    total = len(todo)
    if args.retest:
        earlier = set(re.findall(r"survived: (\S+):\d+ #(\d+) ", args.retest.read_text()))
        todo = [m for m in todo if (m[0].relative_to(ROOT).as_posix(), str(m[1])) in earlier]
    if args.list:
        for p, i, line, what in todo:
            print(f"{p.relative_to(ROOT)}:{line} #{i} {what}")
        print(f"{len(todo)} mutants")
        return 0
    # warm the parent so that every forked child starts fast (never drills.graders itself)
    import jinja2, jsonschema, pytest, yaml  # noqa: E401,F401
    import drills.catalog, drills.evidence, drills.probes, drills.render  # noqa: E401,F401
    started = time.monotonic()
    copy_root = Path(tempfile.mkdtemp(prefix="drills-mutants-"))
    survivors = []
    try:
        for path in {p for p, *_ in todo}:   # unmutated, every test run must pass
            if run_mutant(copy_root, path, None):
                print(f"the tests fail on unmutated {path.relative_to(ROOT)}: fix them first")
                return 1
        def judged(m):
            return m, run_mutant(copy_root, m[0], m[1])
        pool = ThreadPoolExecutor(max_workers=args.jobs) if args.jobs > 1 else None
        results = pool.map(judged, todo) if pool else map(judged, todo)
        try:
            for n, ((p, i, line, what), killed) in enumerate(results, 1):
                if not killed:
                    survivors.append(f"{p.relative_to(ROOT)}:{line} #{i} {what}")
                    print(f"\rsurvived: {survivors[-1]}")
                print(f"\r{n}/{len(todo)} mutants, {len(survivors)} survived", end="", flush=True)
        finally:
            if pool:
                pool.shutdown()
    finally:
        shutil.rmtree(copy_root, ignore_errors=True)
    print()
    killed = total - len(survivors)
    score = 100.0 * killed / total if total else 0.0
    print(f"mutation score of graders/: {killed}/{total} killed = {score:.1f} % "
          f"(goal 90 %) in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
