"""A pipe table as a PDF-to-Markdown converter writes it, read as `rag.layout.tables` reads a
drawn one.

Converters (pymupdf4llm, marker, docling) keep a drawn table's grid, not its meaning: a merged
cell's text repeated in every column it spans ("| **Roof load** | **Roof load** | … |"), the
lines of a cell joined with `<br>`, emphasis as `**`, and when the first row holds no names,
placeholders for them (`Col2`, `Col3`) with the real column names in the rows below
("| | Model A | Model B |" over "| | Part load | Full load |"). Read here as a person reads
it: the rows that name the columns joined into one header, a row of one repeated label the
group of the rows under it, each cell one line of plain text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from rag.blocks import TABLE_SEPARATOR as SEPARATOR
from rag.blocks import Block
from rag.layout.tables import TableText, markdown_lines, under

PLACEHOLDER = re.compile(r"^Col\d+$")
LINE_BREAK = re.compile(r"\s*<br\s*/?>\s*", re.I)
EMPHASIS = re.compile(r"\*\*|__")
DIGIT = re.compile(r"\d")


def _split(row: str) -> list[str]:
    """A row's cells as written: one outer pipe off each end (an empty first cell stays)."""
    inner = row.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") else inner
    return inner.split("|")


def cells(row: str) -> list[str]:
    """A row's cells as plain text (`<br>` a space, emphasis gone)."""
    return [" ".join(EMPHASIS.sub("", LINE_BREAK.sub(" ", c)).split()) for c in _split(row)]


def _bold(row: str) -> list[bool]:
    """Which of the row's cells (as `cells` counts them) are set in bold."""
    return [c.strip().startswith(("**", "__")) for c in _split(row)]


def needs_reading(lines: Sequence[str]) -> bool:
    """The table has what a converter leaves (else it is kept as written)."""
    text = "\n".join(lines)
    if LINE_BREAK.search(text) or any(PLACEHOLDER.match(c) for c in cells(lines[0])):
        return True
    body = [line for line in lines[1:] if not SEPARATOR.match(line)]
    rows = [cells(line) for line in body]
    if any(_repeated(row) for row in rows):
        return True
    return bool(rows) and _names_columns(rows[0], _all_bold(rows[0], _bold(body[0])))


def read_pipe_table(lines: Sequence[str]) -> TableText:
    """The table's header (all the rows that name its columns) and its rows, label first,
    each under its group."""
    head = cells(lines[0])
    width = len(head)
    body = [line for line in lines[1:] if not SEPARATOR.match(line)]
    rows = [_padded(cells(line), width) for line in body]
    bold = [_bold(line) for line in body]
    placeholders = [bool(PLACEHOLDER.match(c)) for c in head]
    head = ["" if p else c for c, p in zip(head, placeholders, strict=True)]
    # A header row with placeholders for its columns names none; what text it has is the
    # table's title cut into cells ("Fuse | box on left side of dashboard | Col3").
    titled = any(placeholders[1:])
    title = " ".join(c for c in head if c)
    stacked: list[list[str]] = [] if titled else [head]
    taken = 0
    for row, marks in zip(rows, bold, strict=True):
        if not any(row) or _repeated(row):
            break
        if not _names_columns(row, titled or _all_bold(row, marks)):
            break
        stacked.append(row)
        taken += 1
    header = _joined(stacked, width)
    if titled and header and not header[0]:
        header[0] = title
    elif titled and not stacked:
        header = [title, *[""] * (width - 1)]
    out: list[tuple[str, ...]] = []
    group = label = ""
    for row in rows[taken:]:
        if not any(row):
            continue
        if _repeated(row):
            group, label = next(c for c in row if c), ""
            continue
        label = row[0] or label
        out.append((under(group, label), *row[1:]))
    named = tuple(header) if any(header) else ()
    return TableText(named, tuple(out))


def pipe_table_lines(lines: Sequence[str]) -> list[str]:
    """The table again as Markdown, read: one header row, every row with its group."""
    if len(lines) < 2 or not needs_reading(lines):
        return list(lines)
    return markdown_lines(read_pipe_table(lines))


def _all_bold(row: Sequence[str], marks: Sequence[bool]) -> bool:
    return all(m for c, m in zip(row, marks, strict=False) if c)


def _padded(row: list[str], width: int) -> list[str]:
    return (row + [""] * width)[:width]


def _repeated(row: Sequence[str]) -> bool:
    """One label across the whole row (a merged cell, repeated in each column it spans), or
    alone in the first cell of a wide row: the name of the rows under it."""
    filled = [c for c in row if c]
    if len(row) < 2 or not filled or len(set(filled)) != 1:
        return False
    return len(filled) == len(row) or (len(row) > 2 and bool(row[0]) and len(filled) == 1)


def _names_columns(row: Sequence[str], loose: bool) -> bool:
    """A row right under the header that names columns: no figures among its values, every
    value column named, and either no label of its own or a header that needs it."""
    values = row[1:]
    if not values or not all(values) or any(DIGIT.search(v) for v in values):
        return False
    return loose or not row[0]


def _joined(rows: Sequence[Sequence[str]], width: int) -> list[str]:
    """Each column's names from the rows above one another, a repeat said once."""
    names = []
    for i in range(width):
        parts: list[str] = []
        for row in rows:
            text = row[i] if i < len(row) else ""
            if text and (not parts or parts[-1] != text):
                parts.append(text)
        names.append(" ".join(parts))
    return names


# A loose line repeats a table's cells when it has at least this many characters of them.
MIN_ECHO = 12


def without_echoes(blocks: Sequence[Block]) -> list[Block]:
    """Blocks without the loose lines a converter also wrote out of a table on the same page
    ("Top track speed 143 mph (230 km/h) 160 mph (258 km/h)" beside the table that has it with
    its columns): the same row read twice, once without its column names."""
    rows: dict[int | None, list[str]] = {}
    for block in blocks:
        if block.kind == "table":
            for line in block.lines:
                if not SEPARATOR.match(line):
                    rows.setdefault(block.page, []).append(_flat(" ".join(cells(line))))
    out = []
    for block in blocks:
        page_rows = rows.get(block.page)
        if block.kind != "text" or not page_rows:
            out.append(block)
            continue
        kept = tuple(line for line in block.lines if not _echo(_flat(line), page_rows))
        if kept:
            out.append(replace(block, lines=kept) if kept != block.lines else block)
    return out


def _flat(text: str) -> str:
    return " ".join(EMPHASIS.sub("", text).split()).lower()


def _echo(line: str, rows: Sequence[str]) -> bool:
    long_enough = len(line) >= MIN_ECHO and (bool(DIGIT.search(line)) or len(line) >= 3 * MIN_ECHO)
    return long_enough and any(line in r for r in rows)
