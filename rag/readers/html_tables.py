"""An HTML table's cells laid out on their grid, the way a browser draws them: a cell that spans
rows (`rowspan`) stands in each row it covers, one that spans columns (`colspan`) is read once,
in its first column, and a header of several rows names each column by what stands above it;
written out as a pipe table, for an HTML page and for the HTML tables converters leave in
Markdown (a table with merged cells has no other way to be written there).

Read cell by cell instead, a table whose header groups its columns ("Service interval" over
"10,000 km", "20,000 km", …) has rows wider than its header, and every column after a merged
cell shifts left under another column's name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# Said between the names a header of several rows gives one column ("10,000 km / 12 months").
NAME_JOINER = " / "
# An HTML table in Markdown, with the tables nested one deep inside it (whose closing tags
# follow the first one's).
HTML_TABLE = re.compile(r"<table\b.*?</table>(?:(?:(?!<table\b).)*?</table>)*", re.I | re.S)
# No table has more columns than this; a larger span is the page's mistake.
MAX_SPAN = 64


@dataclass(frozen=True)
class Cell:
    """One `<td>` or `<th>` as written: its text, its spans, whether it is a header cell."""

    text: str
    rows: int = 1
    columns: int = 1
    header: bool = False


@dataclass(frozen=True)
class Placed:
    """A cell where the grid puts it: the cell, and whether this is its first column."""

    cell: Cell
    first_column: bool


def _span(value: str | None) -> int:
    try:
        return max(1, min(int(str(value).strip() or 1), MAX_SPAN))
    except ValueError:
        return 1


def cell(
    text: str, rowspan: str | None = None, colspan: str | None = None, header: bool = False
) -> Cell:
    """A cell from its attributes as the page wrote them (spans that are no number count 1)."""
    return Cell(text, _span(rowspan), _span(colspan), header)


def laid_out(rows: Sequence[Sequence[Cell]]) -> list[list[Placed | None]]:
    """The grid: each row as wide as the widest, each slot the cell that covers it (None where
    no cell does)."""
    grid: list[dict[int, Placed]] = [{} for _ in rows]
    for r, row in enumerate(rows):
        column = 0
        for c in row:
            while column in grid[r]:
                column += 1
            for dr in range(min(c.rows, len(rows) - r)):
                for dc in range(c.columns):
                    grid[r + dr][column + dc] = Placed(c, dc == 0)
            column += c.columns
    width = max((max(slots) + 1 for slots in grid if slots), default=0)
    return [[slots.get(i) for i in range(width)] for slots in grid]


def header_rows(rows: Sequence[Sequence[Cell]], in_head: int) -> int:
    """How many rows make the header: those of `<thead>`, else the leading rows of header
    cells, else the first row."""
    if in_head:
        return in_head
    leading = 0
    for row in rows:
        if not row or not all(c.header for c in row):
            break
        leading += 1
    return leading or 1


def column_names(header: Sequence[Sequence[Placed | None]]) -> list[str]:
    """Each column's name from the header rows above it, top to bottom: a cell spanning
    several columns names a group, left out where a row below names the column alone."""
    width = len(header[0]) if header else 0
    names = []
    for column in range(width):
        above = [row[column] for row in header if row[column] is not None]
        own = [p for p in above if p and p.cell.columns == 1]
        kept = own or above
        texts = list(dict.fromkeys(p.cell.text for p in kept if p and p.cell.text))
        names.append(NAME_JOINER.join(texts))
    return names


def body_row(row: Sequence[Placed | None]) -> list[str]:
    """A body row's texts: a cell spanning rows in each of them, one spanning columns once."""
    return [p.cell.text if p is not None and p.first_column else "" for p in row]


def table_rows(rows: Sequence[Sequence[Cell]], in_head: int = 0) -> list[list[str]]:
    """The table as rows of text, the first naming the columns."""
    rows = [row for row in rows if row]
    if not rows:
        return []
    grid = laid_out(rows)
    top = header_rows(rows, in_head)
    return [column_names(grid[:top]), *(body_row(row) for row in grid[top:])]


def own_rows(table: Any) -> list[Any]:
    """A `<table>`'s rows, not those of a table inside it."""
    return [row for row in table.find_all("tr") if row.find_parent("table") is table]


def _cell_text(cell: Any) -> str:
    return " ".join(cell.get_text(" ").split()).replace("|", "/")


def pipe_table(table: Any) -> list[str]:
    """A `<table>` element as a pipe table's lines, its merged cells laid out,
    the first row naming the columns. Rows of a table inside it are that table's."""
    own = own_rows(table)
    cells = [
        [
            cell(_cell_text(c), c.get("rowspan"), c.get("colspan"), c.name == "th")
            for c in row.find_all(["th", "td"], recursive=False)
        ]
        for row in own
    ]
    in_head = sum(1 for row in own if row.find_parent("thead") is not None)
    rows = table_rows(cells, in_head)
    if not rows:
        return []
    return [
        "| " + " | ".join(rows[0]) + " |",
        "|" + "---|" * len(rows[0]),
        *("| " + " | ".join(row) + " |" for row in rows[1:]),
    ]


def tables_as_pipes(markdown: str) -> str:
    """Markdown with each HTML `<table>` in it written as a pipe table (converters write a table
    with merged cells in HTML), set apart by blank lines."""
    if "<table" not in markdown.lower():
        return markdown
    from bs4 import BeautifulSoup

    def piped(match: re.Match[str]) -> str:
        table = BeautifulSoup(match.group(0), "html.parser").find("table")
        lines = pipe_table(table) if table is not None else []
        return "\n\n" + "\n".join(lines) + "\n\n" if lines else match.group(0)

    return HTML_TABLE.sub(piped, markdown)
