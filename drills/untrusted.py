"""Reading files drills did not write (scenario packs, the settings file): bounded, strict, one line.

- Files are read up to a size limit and must be UTF-8.
- YAML is parsed with the safe loader; anchors and aliases are allowed only as far
  as the document they expand to stays small (MAX_YAML_NODES), which is counted
  before anything is expanded, so an alias bomb ("billion laughs") fails at once.
- Parser errors become one line: `line L column C: problem`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import yaml

MAX_PACK_FILE_BYTES = 256 * 1024      # scenario.yaml and each template
MAX_SETTINGS_FILE_BYTES = 64 * 1024   # DRILLS_HOME/config.yaml
MAX_MESSAGE_CHARS = 300               # of one quoted piece of a message

_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster


class FileProblem(ValueError):
    """A file that cannot be used; the message names what is wrong, not the file."""


MAX_YAML_NODES = 100_000              # of one document, with every alias expanded


def _children(node: yaml.Node) -> list:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _expanded_size(root: yaml.Node) -> int:
    """How many nodes the document has once every alias is expanded, counted without expanding
    (each distinct node once); refuses recursive aliases and anything past MAX_YAML_NODES."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            on_path.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            if sizes[key] > MAX_YAML_NODES:
                raise yaml.constructor.ConstructorError(
                    None, None, f"expands to more than {MAX_YAML_NODES:,} values through aliases "
                    "(&name, *name)", node.start_mark)
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise yaml.constructor.ConstructorError(None, None, "an alias (*name) refers to itself",
                                                    node.start_mark)
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)
    return sizes[id(root)]


def _unshared(value):
    """A copy in which every alias became an object of its own (deepcopy would keep them shared)."""
    if isinstance(value, dict):
        return {k: _unshared(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unshared(v) for v in value]
    return value


class _BoundedAliasLoader(_BASE_LOADER):  # type: ignore[misc, valid-type]
    """The safe loader, with aliases bounded by the size they expand to, and expanded into
    independent copies (so nothing downstream shares, or multiplies, one object)."""

    def construct_document(self, node):  # noqa: D102 - PyYAML's hook
        expanded = _expanded_size(node)
        data = super().construct_document(node)
        if expanded != len(self._distinct(node)):
            data = _unshared(data)
        return data

    @staticmethod
    def _distinct(root: yaml.Node) -> set[int]:
        seen: set[int] = set()
        stack = [root]
        while stack:
            node = stack.pop()
            if id(node) not in seen:
                seen.add(id(node))
                stack.extend(_children(node))
        return seen


def read_text(path: Path, limit: int) -> str:
    """The file's text; FileProblem if it is too big or not UTF-8 (OSError passes through)."""
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise FileProblem(f"is larger than the limit of {limit // 1024} KiB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileProblem(f"is not UTF-8 text (invalid byte at offset {exc.start})") from exc


def yaml_problem(exc: yaml.YAMLError) -> str:
    """One line for a parser error: `line L column C: problem (context)`."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    where = f"line {mark.line + 1} column {mark.column + 1}: " if mark is not None else ""
    return one_line(f"{where}{problem}{f' ({context})' if context else ''}")


def load_yaml(text: str) -> Any:
    """One YAML document, aliases bounded; yaml.YAMLError on bad input."""
    return yaml.load(text, Loader=_BoundedAliasLoader)  # noqa: S506 - a SafeLoader subclass


def load_yaml_all(text: str) -> Iterator[Any]:
    return yaml.load_all(text, Loader=_BoundedAliasLoader)  # noqa: S506 - a SafeLoader subclass


def load_yaml_file(path: Path, limit: int) -> Any:
    """One YAML document from a file drills did not write. Every way it can fail is one
    FileProblem whose message reads after the file name: `<file> line 3 column 1: ...`."""
    try:
        return load_yaml(read_text(path, limit))
    except yaml.YAMLError as exc:
        raise FileProblem(yaml_problem(exc)) from exc
    except RecursionError as exc:
        raise FileProblem("is nested too deep") from exc
    except OSError as exc:
        raise FileProblem(f"cannot be read ({exc.strerror or exc})") from exc


def one_line(text: Any, limit: int = MAX_MESSAGE_CHARS) -> str:
    """`text` as one line of inert characters: control characters escaped, long text cut."""
    out = []
    for ch in str(text):
        code = ord(ch)
        if ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append(" ")
        elif code < 0x20 or 0x7F <= code < 0xA0 or ch in "\u2028\u2029":
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
        if len(out) > limit:
            return "".join(out[:limit]) + "..."
    return "".join(out)
