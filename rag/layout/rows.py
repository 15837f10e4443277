"""Tables set without lines: runs of rows whose pieces stand in the same columns.

A row here is the lines that share a baseline (a label and its value, set apart by a wide
gap). Two or more such rows in a row, their second pieces starting at about the same x,
are a table ("Kerb weight ........ 1,190 kg").
"""

from __future__ import annotations

from collections.abc import Sequence

from rag.layout.geometry import Cell, Line, Table

Item = Line | Table
ALIGN = 1.5  # font sizes: how far the columns of two rows may stand apart


def _rows(items: Sequence[Item]) -> list[list[Item]]:
    rows: list[list[Item]] = []
    for item in items:
        if (
            rows
            and isinstance(item, Line)
            and isinstance(rows[-1][-1], Line)
            and abs(item.bottom - rows[-1][-1].bottom) < 0.5 * item.size
            and item.x0 > rows[-1][-1].x1
        ):
            rows[-1].append(item)
        else:
            rows.append([item])
    return rows


def _aligned(a: list[Item], b: list[Item]) -> bool:
    if len(a) < 2 or len(a) != len(b):
        return False
    size = max(x.size for x in (*a, *b) if isinstance(x, Line))
    return all(abs(x.x0 - y.x0) <= ALIGN * size for x, y in zip(a[1:], b[1:], strict=True))


def in_rows(items: Sequence[Item]) -> set[int]:
    """The ids of the lines that share their row with another piece: cells, not headings."""
    return {id(x) for row in _rows(items) if len(row) > 1 for x in row if isinstance(x, Line)}


def with_text_tables(items: Sequence[Item]) -> list[Item]:
    """The items, each run of aligned multi-piece rows replaced by one table."""
    out: list[Item] = []
    rows = _rows(items)
    i = 0
    while i < len(rows):
        j = i + 1
        while j < len(rows) and _aligned(rows[i], rows[j]):
            j += 1
        if j - i >= 2:
            out.append(_table(rows[i:j]))
        else:
            out.extend(rows[i])
        i = j if j - i >= 2 else i + 1
    return out


def _table(rows: Sequence[list[Item]]) -> Table:
    lines = [[x for x in row if isinstance(x, Line)] for row in rows]
    cells = tuple(
        Cell(line.text, r, c, bold=line.bold)
        for r, row in enumerate(lines)
        for c, line in enumerate(row)
    )
    flat = [line for row in lines for line in row]
    return Table(
        cells,
        len(lines),
        max(len(row) for row in lines),
        min(x.x0 for x in flat),
        min(x.top for x in flat),
        max(x.x1 for x in flat),
        max(x.bottom for x in flat),
    )
