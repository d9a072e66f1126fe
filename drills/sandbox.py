"""Jinja2 for scenario packs, which may be hostile: sandboxed and bounded.

Templates, parameter `value` expressions and every rendered text run in
Jinja2's ImmutableSandboxedEnvironment: no attribute starting with `_`, no
mutation of lists and dicts, no `lipsum` (its module globals are the classic
way out). On top of that every render has a budget, because a sandbox stops
escapes but not bombs:

- steps: loop iterations and calls (so nested loops and exponential macros stop);
- work: characters of every string or list a template builds, however it builds
  it (`~`, `+`, `*`, `%`, format, filters, call results, literal text in loops),
  so memory stays bounded even where output is buffered (macros, set blocks);
- widths: padding, indent and batch sizes, and printf/format field widths;
- integers: `**` and `*` refuse results beyond MAX_INT_BITS;
- time: one deadline per render of a scenario.
Exceeding any of them raises LimitExceeded (a jinja2 SecurityError).
Templates load only from the scenario's own templates/ folder and the shared
library, never through a symlink or `..` out of them, and never beyond the
size limit.
"""
from __future__ import annotations

import functools
import os
import re
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator
from jinja2.exceptions import SecurityError
from jinja2.runtime import str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedFormatter

from drills.untrusted import MAX_PACK_FILE_BYTES, FileProblem, read_text

MAX_STEPS = 100_000                # loop iterations + calls in one render (built-ins need < 100)
MAX_WORK_CHARS = 8 * 1024 * 1024   # characters built in one render (all values, all buffers)
MAX_VALUE_CHARS = 1024 * 1024      # one string, or the items of one list
MAX_WIDTH = 10_000                 # padding, indent, batch/slice sizes, format widths
MAX_INT_BITS = 65_536
MAX_SECONDS = 5.0                  # one scenario's whole render
CALL_STEPS = 10                    # a call (macro, method) costs about ten loop iterations

_LOOP_FILTER = "drills_loop"


class LimitExceeded(SecurityError):
    """A template asked for more than a drill can need."""


class BadTemplateFile(jinja2.TemplateError):
    """A template file that is too big or not UTF-8."""


# --- the budget of one render ----------------------------------------------

class _Budget:
    __slots__ = ("steps", "work", "deadline")

    def __init__(self, deadline: float):
        self.steps = 0
        self.work = 0
        self.deadline = deadline


_active = threading.local()


@contextmanager
def deadline(seconds: float = MAX_SECONDS) -> Iterator[None]:
    """One time limit around several renders (a whole scenario); nested uses keep the outer one."""
    if getattr(_active, "deadline", None) is not None:
        yield
        return
    _active.deadline = time.monotonic() + seconds
    try:
        yield
    finally:
        _active.deadline = None


@contextmanager
def _budget() -> Iterator[_Budget]:
    outer = getattr(_active, "budget", None)
    limit = getattr(_active, "deadline", None) or time.monotonic() + MAX_SECONDS
    _active.budget = budget = _Budget(limit)
    try:
        yield budget
    finally:
        _active.budget = outer


def _current() -> _Budget:
    budget = getattr(_active, "budget", None)
    if budget is None:
        # outside render_bounded(): constant folding while compiling, where each value is small;
        # a throwaway budget still applies the per-value limits
        return _Budget(time.monotonic() + MAX_SECONDS)
    return budget


def _step(count: int = 1) -> None:
    budget = _current()
    budget.steps += count
    if budget.steps > MAX_STEPS:
        raise LimitExceeded(f"the template takes more than {MAX_STEPS:,} steps (loops and calls)")
    if time.monotonic() > budget.deadline:
        raise LimitExceeded(f"rendering takes longer than {MAX_SECONDS:g} s")


def _charge(chars: int) -> None:
    budget = _current()
    budget.work += chars
    if chars > MAX_VALUE_CHARS:
        raise LimitExceeded(f"the template builds a value of more than {MAX_VALUE_CHARS:,} characters")
    if budget.work > MAX_WORK_CHARS:
        raise LimitExceeded(f"the template builds more than {MAX_WORK_CHARS:,} characters in all")


def _weight(value: Any, cap: int = MAX_VALUE_CHARS) -> int:
    """About how many characters `value` becomes as text, counted only up to just past `cap`."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        total, stack = 0, [value]
        while stack and total <= cap:
            item = stack.pop()
            if isinstance(item, str):
                total += len(item) + 4
            elif isinstance(item, dict):
                total += 2 + 2 * len(item)
                stack.extend(item.keys())
                stack.extend(item.values())
            elif isinstance(item, (list, tuple, set, frozenset)):
                total += 2 + len(item)
                stack.extend(item)
            else:
                total += 8
        return total
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        return cap + 1
    return 8


def _charge_value(value: Any) -> Any:
    _charge(_weight(value))
    return value


def _width(value: Any, what: str) -> None:
    if isinstance(value, int) and abs(value) > MAX_WIDTH:
        raise LimitExceeded(f"{what} {value} is larger than {MAX_WIDTH:,}")


# printf-style conversions: %[flags][width][.precision]type
_PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[a-zA-Z%]")


def _check_printf(fmt: str, args: Any) -> None:
    for width, precision in _PRINTF.findall(fmt):
        for number in (width, precision):
            if number == "*":
                raise LimitExceeded("'*' widths in %-formatting are not allowed")
            if number:
                _width(int(number), "a %-format width")
    _charge(len(fmt) + _weight(args))


class _BoundedFormatter(SandboxedFormatter):
    def format_field(self, value: Any, format_spec: str) -> Any:
        for number in re.findall(r"\d+", format_spec):
            _width(int(number), "a format width")
        _charge(_weight(value))
        return super().format_field(value, format_spec)


# --- filters, with their amplifying arguments bounded ------------------------

_WIDTH_ARGS = {"center": ("width", 1), "indent": ("width", 1), "wordwrap": ("width", 1),
               "batch": ("linecount", 1), "slice": ("slices", 1), "tojson": ("indent", 1),
               "truncate": ("length", 1)}


def _bounded_filter(name: str, func: Callable) -> Callable:
    arg_name, position = _WIDTH_ARGS.get(name, (None, None))
    pass_arg = getattr(func, "jinja_pass_arg", None)
    offset = 1 if pass_arg is not None else 0   # context/eval_ctx/environment comes first

    @functools.wraps(func)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _step()
        if arg_name:
            value = kwargs.get(arg_name, args[offset + position] if len(args) > offset + position else None)
            _width(value, f"{name}() {arg_name}")
        if name == "indent":
            width = kwargs.get("width", args[offset + 1] if len(args) > offset + 1 else None)
            if isinstance(width, str):
                _charge(len(width) * (str(args[offset]).count("\n") + 1))
        if name == "format":
            _check_printf(str(args[offset]), args[offset + 1:] or kwargs)
        if name == "replace" and len(args) > offset + 2:
            _charge(_replace_size(str(args[offset]), args[offset + 1], args[offset + 2]))
        if name in ("join", "string", "pprint", "tojson", "list", "sum"):
            _charge(_weight(args[offset]))
        result = func(*args, **kwargs)
        if isinstance(result, (str, list, tuple, dict)):
            _charge(_weight(result))
        return result

    return bounded


def _replace_size(text: str, old: Any, new: Any) -> int:
    if not isinstance(old, str) or not isinstance(new, str):
        return len(text)
    count = len(text) + 1 if old == "" else text.count(old)
    return len(text) + count * max(0, len(new) - len(old))


@jinja2.pass_context
def _loop(context: Any, iterable: Iterable, literal_chars: int = 0) -> Iterator[Any]:
    """Wraps every {% for %}: each iteration is a step and costs the literal text of the body."""
    for item in iterable:
        _step()
        if literal_chars:
            _charge(literal_chars)
        yield item


# --- str methods that multiply their input ------------------------------------

def _check_str_method(obj: str, name: str, args: tuple, kwargs: dict) -> None:
    if name in ("center", "ljust", "rjust", "zfill") and args:
        _width(args[0], f"str.{name}() width")
    elif name == "expandtabs":
        tabsize = args[0] if args else kwargs.get("tabsize", 8)
        _width(tabsize, "str.expandtabs() tabsize")
        if isinstance(tabsize, int):
            _charge(len(obj) + obj.count("\t") * tabsize)
    elif name == "replace" and len(args) >= 2:
        _charge(_replace_size(obj, args[0], args[1]))
    elif name == "join" and args:
        _charge(_weight(args[0]) + len(obj) * (len(args[0]) if hasattr(args[0], "__len__") else 0))
    elif name == "translate" and args and isinstance(args[0], dict):
        longest = max((len(v) for v in args[0].values() if isinstance(v, str)), default=1)
        _charge(len(obj) * longest)


# --- the environment ------------------------------------------------------------

class _BoundedCodeGenerator(CodeGenerator):
    """Counts every loop iteration and bounds every `~` (Jinja offers no hook for either)."""

    def visit_Template(self, node: nodes.Template, frame: Any = None) -> None:
        for loop in node.find_all(nodes.For):
            literal = sum(len(d.data) for d in loop.find_all(nodes.TemplateData))
            loop.iter = nodes.Filter(loop.iter, _LOOP_FILTER, [nodes.Const(literal)], [], None, None,
                                     lineno=loop.iter.lineno)
        super().visit_Template(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Any) -> None:
        self.write("environment.bounded_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


def _finalize(value: Any) -> Any:
    """Every {{ output }} is charged before it becomes text."""
    _charge(_weight(value))
    return value


class PackEnvironment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"+", "*", "**", "%"})
    code_generator_class = _BoundedCodeGenerator

    def __init__(self, **options: Any):
        options.setdefault("undefined", jinja2.StrictUndefined)
        options.setdefault("autoescape", False)
        super().__init__(finalize=_finalize, **options)
        self.globals.pop("lipsum", None)
        self.filters = {name: _bounded_filter(name, func) for name, func in self.filters.items()}
        self.filters[_LOOP_FILTER] = _loop

    def bounded_concat(self, parts: tuple) -> str:
        _charge(sum(_weight(p) for p in parts))
        return str_join(parts)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _step()
        if operator == "**" and isinstance(left, int) and isinstance(right, int) and abs(left) > 1 \
                and right > 0 and right * left.bit_length() > MAX_INT_BITS:
            raise LimitExceeded(f"{left} ** {right} is too large a number")
        if operator == "*":
            if isinstance(left, int) and isinstance(right, int) and not isinstance(left, bool):
                if left.bit_length() + right.bit_length() > MAX_INT_BITS:
                    raise LimitExceeded("the product is too large a number")
            else:
                seq, times = (left, right) if isinstance(right, int) else (right, left)
                if isinstance(times, int) and isinstance(seq, (str, list, tuple)):
                    _charge(max(0, times) * _weight(seq, MAX_VALUE_CHARS // max(1, times) + 1))
        if operator == "+" and isinstance(left, (str, list, tuple)):
            _charge(_weight(left) + _weight(right))
        if operator == "%" and isinstance(left, str):
            _check_printf(left, right)
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        _step(CALL_STEPS)
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str):
            _check_str_method(owner, getattr(__obj, "__name__", ""), args, kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        if isinstance(result, (str, list, tuple, dict)):
            _charge(_weight(result))
        return result

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        if not callable(value) or getattr(value, "__name__", None) not in ("format", "format_map") \
                or not isinstance(getattr(value, "__self__", None), str):
            return None
        fmt: str = value.__self__
        formatter = _BoundedFormatter(self)
        is_map = value.__name__ == "format_map"

        def bounded_format(*args: Any, **kwargs: Any) -> str:
            if is_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                args, kwargs = (), args[0]
            _charge(len(fmt))
            return formatter.vformat(fmt, args, kwargs)

        return bounded_format


class PackLoader(jinja2.BaseLoader):
    """Templates from a scenario's own folder and the shared library, and nothing else."""

    def __init__(self, folders: Iterable[Path]):
        self.folders = [Path(f).resolve() for f in folders]

    def get_source(self, environment: jinja2.Environment, template: str):
        pieces = jinja2.loaders.split_template_path(template)   # refuses '..'
        for folder in self.folders:
            path = folder.joinpath(*pieces)
            if not path.is_file():
                continue
            real = path.resolve()
            if not real.is_relative_to(folder):
                raise SecurityError(f"template {template!r} points outside {folder} (a symlink)")
            try:
                source = read_text(real, MAX_PACK_FILE_BYTES)
            except FileProblem as exc:
                raise BadTemplateFile(f"template {template!r} {exc}") from exc
            mtime = os.path.getmtime(real)
            return source, str(path), lambda: os.path.exists(real) and os.path.getmtime(real) == mtime
        raise jinja2.TemplateNotFound(template)


def render_bounded(template: jinja2.Template, context: dict[str, Any], max_chars: int) -> str:
    """Render with a fresh budget, streaming, and stop as soon as the output passes max_chars."""
    out: list[str] = []
    size = 0
    with _budget():
        for chunk in template.generate(**context):
            size += len(chunk)
            if size > max_chars:
                raise LimitExceeded(f"renders to more than the limit of {max_chars // 1024} KiB")
            out.append(chunk)
    return "".join(out)


def evaluate_bounded(expression: Callable[..., Any], context: dict[str, Any], max_chars: int) -> Any:
    """Evaluate a compiled expression with a fresh budget; its value may not exceed max_chars as text."""
    with _budget():
        value = expression(**context)
        if _weight(value, max_chars) > max_chars:
            raise LimitExceeded(f"renders to more than the limit of {max_chars // 1024} KiB")
        _fail_on_undefined(value)
    return value


def _fail_on_undefined(value: Any) -> None:
    """An expression's value is kept as data, never printed, so an undefined (or unsafe) name
    inside it would slip through: raise its error the way printing would."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, jinja2.Undefined):
            item._fail_with_undefined_error()
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)


def template_line(exc: BaseException, filename: str) -> int | None:
    """The line of `filename` where a template failed (Jinja maps its frames to template lines)."""
    line = getattr(exc, "lineno", None)
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def hint_for(exc: BaseException, default: str) -> str:
    """The fix to suggest for a template failure."""
    if isinstance(exc, BadTemplateFile):
        return "templates are UTF-8 text of at most 256 KiB"
    if isinstance(exc, LimitExceeded):
        return "a drill's texts and manifests are small: remove the runaway loop, value or width"
    if isinstance(exc, SecurityError):
        return "templates may use parameters, filters and the shared macros, not Python internals or other files"
    return default


def describe(exc: BaseException) -> str:
    """What went wrong inside a template, for a one-line message."""
    if isinstance(exc, jinja2.TemplateError):
        return str(exc.message if getattr(exc, "message", None) else exc)
    if isinstance(exc, RecursionError):
        return "recursion too deep (a macro that calls itself without end?)"
    if isinstance(exc, MemoryError):
        return "out of memory"
    return f"{type(exc).__name__}: {exc}"

