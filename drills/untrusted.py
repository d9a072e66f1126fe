"""Reading files drills did not write (scenario packs, the settings file): bounded, strict, one line.

- Files are read up to a size limit and must be UTF-8.
- YAML is parsed with the safe loader and refuses anchors and aliases, so an
  alias bomb ("billion laughs") is rejected at the first alias, before anything
  is expanded; no scenario or setting needs them.
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


class _NoAliasLoader(_BASE_LOADER):  # type: ignore[misc, valid-type]
    """The safe loader, minus anchors and aliases."""

    def construct_object(self, node, deep=False):  # noqa: D102 - PyYAML's hook
        # a node seen before is an alias (or a recursive structure): refuse it, don't share it
        if node in self.constructed_objects or node in self.recursive_objects:
            raise yaml.constructor.ConstructorError(
                None, None, "anchors and aliases (&name, *name) are not allowed", node.start_mark)
        return super().construct_object(node, deep=deep)


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
    """One YAML document, without aliases; yaml.YAMLError on bad input."""
    return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass


def load_yaml_all(text: str) -> Iterator[Any]:
    return yaml.load_all(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass


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
