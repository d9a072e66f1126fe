"""Terminal output: Rich consoles, report tables, durations. Imported by verbs only.

Every string that comes from a cluster, an evidence bundle or a scenario pack is
untrusted: it goes to the terminal only through `inert` (control characters shown
escaped, long strings cut) and inside `rich.text.Text` objects, which Rich never
parses as markup. Our own fixed wording may use markup; nothing else may.
"""
from __future__ import annotations

import json
import re
import sys
import unicodedata
from typing import Any, Iterable

from rich.console import Console
from rich.table import Table
from rich.text import Text

STATUS_STYLE = {"PASS": "bold green", "FAIL": "bold red", "ERROR": "bold yellow"}
PROSE_WIDTH = 100         # task texts wrap here even on wider terminals: long lines read badly
INERT_LIMIT = 1000        # characters of one untrusted string shown before it is cut
WIDE = 120                # from this many columns on, reports use a full table
# Unicode categories a terminal may act on rather than show: C0/C1 controls (ESC, BEL, DEL...),
# format characters (bidi overrides and isolates, zero-width characters), surrogates,
# private use, and line/paragraph separators.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})


def make_console(width: int | None = None, stderr: bool = False) -> Console:
    """drills' console settings; `width` fixes the layout (tests), else Rich asks the terminal."""
    return Console(stderr=stderr, highlight=False, soft_wrap=False, emoji=False, width=width)


out = make_console()
err = make_console(stderr=True)


# --- untrusted text ------------------------------------------------------------

def _visible(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def inert(value: Any, limit: int | None = INERT_LIMIT, newlines: bool = False) -> str:
    """`value` as text a terminal only shows: every control or invisible formatting character
    escaped visibly (`\\x1b`, `\\u202e`), newlines kept only when `newlines` (a layout that
    expects them), and anything past `limit` characters replaced by a count."""
    text = value if isinstance(value, str) else str(value)
    over = len(text) - limit if limit is not None and len(text) > limit else 0
    if over:
        text = text[:limit]
    if not text.isprintable():
        text = "".join(_visible(ch) if unicodedata.category(ch) in _HIDDEN_CATEGORIES
                       and not (newlines and ch == "\n") else ch for ch in text)
    if over:
        text += f"… ({over:,} more characters)"
    return text


def plain(value: Any, style: str = "", limit: int | None = INERT_LIMIT, newlines: bool = False,
          overflow: str | None = None) -> Text:
    """Untrusted text as a Rich Text: never parsed as markup, control characters escaped.
    overflow="fold" breaks a word too long for its column instead of cutting it."""
    return Text(inert(value, limit, newlines), style=style, overflow=overflow)


def assemble(*parts: str | tuple[str, str]) -> Text:
    """One line from pieces, each plain text or (text, style); no piece is parsed as markup."""
    line = Text()
    for part in parts:
        piece, style = (part, "") if isinstance(part, str) else part
        line.append(inert(piece), style=style)
    return line


def print_plain(value: Any, style: str = "", newlines: bool = True) -> None:
    """A pack's or cluster's prose (task text, a solution step), wrapped to the terminal."""
    out.print(plain(value, style, limit=None if newlines else INERT_LIMIT, newlines=newlines),
              width=min(out.width, PROSE_WIDTH))


def progress_of(spinner):
    """A progress callback for a Rich status spinner; its messages may quote cluster strings."""
    return lambda message: spinner.update(plain(message, limit=200))


# --- commands meant to be copied -------------------------------------------------

_COMMAND_START = re.compile(r"(?<![\w./-])kubectl\s")
# where a command inside advice ends and prose resumes: "; ", ", then ", " and ...", " (remark)"
_COMMAND_END = re.compile(r";\s+|,\s+(?=then\s)|\s+(?=(?:and|then|shows|to see)\s)|\s+(?=\()")


def split_advice(text: str) -> list[tuple[bool, str]]:
    """Advice as (is_command, text) pieces in order: each `kubectl` command (up to `; `,
    `, then`, ` and `, ` shows `, ` (`, or a shell comment's end of line) and the prose around it."""
    pieces: list[tuple[bool, str]] = []

    def prose(part: str) -> None:
        part = part.strip().lstrip(";,").strip()
        if part:
            pieces.append((False, part))

    pos = 0
    while found := _COMMAND_START.search(text, pos):
        prose(text[pos:found.start()])
        comment = text.find(" # ", found.start())
        limit = comment if comment != -1 else len(text)
        end = _COMMAND_END.search(text, found.start(), limit)
        stop = end.start() if end else len(text)
        pieces.append((True, text[found.start():stop].strip()))
        pos = stop
    prose(text[pos:])
    return pieces


def print_command(command: str, indent: str = "  ") -> None:
    """A command to copy: on its own line, never wrapped or cut by Rich."""
    out.print(Text(indent + inert(command), style="bold"), soft_wrap=True)


def print_commands(commands: Iterable[str]) -> None:
    for command in commands:
        print_command(command)


def print_advice(label: str, text: str, label_style: str = "bold") -> None:
    """`label` and untrusted advice; each kubectl command in it on a line of its own."""
    pieces = split_advice(text)
    first = pieces.pop(0)[1] if pieces and not pieces[0][0] else ""
    out.print(assemble((label, label_style), " " if first else "", first))
    for is_command, piece in pieces:
        if is_command:
            print_command(piece)
        else:
            out.print(plain(piece))


# --- numbers and clocks ------------------------------------------------------------

_SI = ((10**15, "P"), (10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "k"))


def human_count(number: int | float) -> str:
    """About-sized counts: 950, 2.8 k, 320 k, 1.6 T."""
    for size, unit in _SI:
        if number >= size * 0.9995:
            value = number / size
            shown = f"{value:.1f}" if value < 9.95 else f"{value:.0f}"
            if float(shown) >= 1000 and size < _SI[0][0]:
                continue
            return f"{shown} {unit}"
    return f"{number:g}" if isinstance(number, float) else str(number)


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(round(seconds))
    if seconds >= 3600:   # a drill left open overnight: 41:15:35, not 2475:35
        return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return f"{seconds // 60}:{seconds % 60:02d}"


def clock_text(elapsed: float, target_minutes: float) -> Text:
    target = target_minutes * 60
    return assemble((duration(elapsed), "green" if elapsed <= target else "red"),
                    f" of {duration(target)} target")


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


# --- check reports ----------------------------------------------------------------

def status_text(status: str) -> Text:
    return Text(status, style=STATUS_STYLE.get(status, "bold"))


def report_title(report) -> Text:
    return assemble((report.scenario, "bold"), f" (seed {report.seed}) in ", (report.namespace, "bold"))


def report_table(report) -> Table:
    """Wide terminals: one row per check."""
    table = Table(show_lines=False, title=report_title(report))
    table.add_column("", no_wrap=True)
    table.add_column("check", no_wrap=True)
    table.add_column("result")
    for r in report.results:
        table.add_row(status_text(r.status), plain(r.name), plain(r.message, overflow="fold"))
    return table


def report_stack(report) -> Table:
    """Narrow terminals: the check's name, and its result below it at nearly full width."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True, width=5)
    grid.add_column()
    for r in report.results:
        cell = plain(r.name, "bold", overflow="fold")
        cell.append("\n")
        cell.append_text(plain(r.message, overflow="fold"))
        grid.add_row(status_text(r.status), cell)
    return grid


def print_report(report, elapsed: float | None = None, target_minutes: float | None = None) -> None:
    if out.width >= WIDE:
        out.print(report_table(report))
    else:
        out.print(report_title(report))
        out.print(report_stack(report))
    diag = report.diagnosis
    if diag is None:
        out.print(assemble((f"All {len(report.results)} checks pass.", "bold green"),
                           f" Score {report.score:g}%."))
    else:
        label = "Diagnosis:" if diag.status == "FAIL" else "Could not decide:"
        out.print(assemble((label, "bold"), " ", diag.message))
        if diag.hint:
            print_advice("Look with:", diag.hint)
        out.print(f"Score {report.score:g}%.")
    if elapsed is not None and target_minutes is not None:
        out.print(assemble("Time: ").append_text(clock_text(elapsed, target_minutes)))


# --- lists of rows --------------------------------------------------------------------

def row_table(title: str | None, columns: Iterable[str], wrap: Iterable[str] = ()) -> Table:
    """A borderless table whose headers are never cut: only the columns in `wrap` may wrap."""
    wrap = set(wrap)
    table = Table(title=title, title_justify="left", box=None, pad_edge=False, padding=(0, 2, 0, 0),
                  header_style="bold")
    for col in columns:
        table.add_column(col, no_wrap=col not in wrap, min_width=len(col))
    return table


def print_rows(rows: list[dict], *, as_json: bool, title: str, columns: tuple[str, ...],
               cells, empty: str, wrap: tuple[str, ...] = (), heading: int = 1) -> None:
    """The one way list-like verbs print: JSON for scripts, else a table (or `empty`).
    `cells(row)` gives the table cells of one row, in column order; plain strings are
    untrusted text, Text objects are shown as they are. Where the table would not fit, each row
    becomes a heading (its first `heading` cells) over its other cells."""
    if as_json:
        print_json(rows)
        return
    if not rows:
        out.print(empty)
        return
    table = row_table(title, columns, wrap)
    texts = [[cell if isinstance(cell, Text) else plain(cell) for cell in cells(row)] for row in rows]
    for row in texts:
        table.add_row(*row)
    if _table_width(columns, texts, set(wrap)) <= out.width:
        out.print(table)
    else:
        out.print(assemble((title, "bold")))
        out.print(record_stack(columns, texts, heading))


WRAP_MIN = 40   # columns a wrapping column needs to stay readable


def _table_width(columns: tuple[str, ...], texts: list[list[Text]], wrap: set[str]) -> int:
    """Width of row_table: whole cells for fixed columns, WRAP_MIN for wrapping ones, 2 between."""
    widths = [WRAP_MIN if col in wrap else max(len(col), *(row[i].cell_len for row in texts))
              for i, col in enumerate(columns)]
    return sum(widths) + 2 * (len(widths) - 1)


def record_stack(columns: tuple[str, ...], texts: list[list[Text]], heading: int = 1):
    """Rows too wide for the terminal: the first `heading` cells as a heading line, the others
    below it as `column value` pairs that wrap as a paragraph, so nothing is cut."""
    from rich.console import Group
    from rich.padding import Padding
    parts = []
    for row in texts:
        head = Text(" ", style="bold", overflow="fold").join(row[:heading])
        head.stylize("bold")
        pairs = [Text.assemble((col, "dim"), " ", value) for col, value in
                 zip(columns[heading:], row[heading:]) if value.plain]
        parts.append(head)
        if pairs:
            body = Text(" · ", overflow="fold").join(pairs)
            parts.append(Padding(body, (0, 0, 0, 2)))
    return Group(*parts)
