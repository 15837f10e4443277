"""A drawn table read as a person reads it: each value with the row and column that name it.

The grid a page draws is finer than the table it means (a merged cell spans several grid
slots; a header may take two rows). So, in order: grid columns that never hold two different
texts side by side are one column; a row mostly covered by cells from the row above finishes
that row ("Tyre" over "size"); a row with one label and nothing else names a group ("Fuel
tank") and goes in front of the labels under it; the header is the leading rows that name
columns, several header rows joined per column. A table that continues on the next page
without a header takes the header it had (`continued`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.layout.geometry import Cell, Table
from rag.layout.hyphenation import join_lines

# A note box's label: "NOTE", "WARNING", "CAUTION" as the box's first line, in capitals.
BOX_LABEL = re.compile(r"^[^\W\d_]{2,}(?: [^\W\d_]{2,}){0,2}!?$")


@dataclass(frozen=True)
class TableText:
    """A table's meaning: column names (empty when it has none) and rows, label first."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    @property
    def width(self) -> int:
        return len(self.header) if self.header else max((len(r) for r in self.rows), default=0)


@dataclass
class _LogicalCell:
    cells: list[Cell]  # distinct cells covering this row's slots of the column, left to right
    row: int

    @property
    def own(self) -> list[Cell]:
        return [c for c in self.cells if c.row == self.row]

    @property
    def spanned(self) -> bool:
        """Only cells from the rows above cover it (a label merged downwards)."""
        return bool(self.cells) and not self.own

    @property
    def text(self) -> str:
        return " ".join(t for c in self.cells if (t := _text(c.text)))

    @property
    def bold(self) -> bool:
        texts = [c for c in self.cells if c.text.strip()]
        return bool(texts) and all(c.bold for c in texts)


def _text(text: str) -> str:
    return join_lines(text.split("\n")).replace("|", "/").strip()


def _columns(grid: list[list[Cell | None]], n_cols: int) -> list[list[int]]:
    """Grid columns grouped into the table's columns: a column joins the one at its left
    while no row has two different cells with text across them."""
    groups: list[list[int]] = []
    for c in range(n_cols):
        if groups and all(_fits(row, groups[-1], c) for row in grid):
            groups[-1].append(c)
        else:
            groups.append([c])
    return groups


def _fits(row: list[Cell | None], group: list[int], c: int) -> bool:
    texts = {id(cell) for i in [*group, c] if (cell := row[i]) is not None and cell.text.strip()}
    return len(texts) <= 1


def _logical_rows(table: Table) -> list[list[_LogicalCell]]:
    grid = table.grid()
    groups = _columns(grid, table.n_cols)
    rows = []
    for r, row in enumerate(grid):
        logical = []
        for group in groups:
            seen: list[Cell] = []
            for c in group:
                cell = row[c]
                if cell is not None and all(cell is not s for s in seen):
                    seen.append(cell)
            logical.append(_LogicalCell(seen, r))
        rows.append(logical)
    return rows


def _merge_continuations(rows: list[list[_LogicalCell]]) -> list[list[_LogicalCell]]:
    """Rows mostly covered from above are folded into the row above."""
    merged: list[list[_LogicalCell]] = []
    for row in rows:
        spanned = sum(cell.spanned for cell in row)
        own_text = any(_text(c.text) for cell in row for c in cell.own)
        if merged and own_text and spanned * 2 > len(row):
            above = merged[-1]
            merged[-1] = [
                _LogicalCell(
                    [*a.cells, *(c for c in b.own if all(c is not x for x in a.cells))], a.row
                )
                for a, b in zip(above, row, strict=True)
            ]
        elif any(cell.text for cell in row):
            merged.append(row)
    return merged


def read_table(table: Table) -> TableText | str:
    """The table's header and rows; a box of one column (a note) comes back as its text."""
    rows = [r for r in _merge_continuations(_logical_rows(table)) if any(c.text for c in r)]
    if not rows:
        return ""
    keep = [i for i in range(len(rows[0])) if any(r[i].text for r in rows)]
    cells = [[r[i] for i in keep] for r in rows]
    if len(keep) == 1:
        return _note([r[0].text for r in cells])
    styled = _styled([c for r in cells for c in r if c.text])
    header_rows = _header_rows(cells, styled)
    if header_rows == len(cells):
        header_rows = 0  # column names over no rows: records, all alike
    header = _header_names(cells[:header_rows])
    body: list[tuple[str, ...]] = []
    group = label = ""
    for row in cells[header_rows:]:
        if _group_row(row, styled):
            group, label = next(c.text for c in row if c.text), ""
            continue
        texts = [c.text for c in row]
        # A row without a label of its own goes on with the one above (a merged label
        # drawn without its merge: "Engine Oil" over its petrol and diesel rows).
        label = texts[0] or label
        texts[0] = under(group, label)
        body.append(tuple(texts))
    return TableText(header, tuple(body))


# Bold marks out a table's header, labels or groups where at least this share of its cells
# with text is not bold; a table set bold all through but for a stray cell is not styled.
PLAIN_SHARE = 0.25


def _styled(cells: Sequence[_LogicalCell]) -> bool:
    """Whether bold type marks some of the table's cells (with text) out from the rest."""
    plain = sum(1 for c in cells if not c.bold)
    return plain < len(cells) and plain >= PLAIN_SHARE * len(cells)


def _note(lines: Sequence[str]) -> str:
    """A boxed note as one paragraph: "NOTE: Every time you check…"."""
    text = join_lines([line for line in lines if line])
    first, _, rest = text.partition(" ")
    if rest and BOX_LABEL.match(first) and first.upper() == first:
        return f"{first.rstrip('!:')}: {rest}"
    return text


def _header_rows(rows: list[list[_LogicalCell]], styled: bool) -> int:
    """How many leading rows name the columns."""
    first = rows[0]
    named = [c for c in first[1:] if c.text]
    if not named or _group_row(first, styled):
        return 0
    if styled and not all(c.bold for c in first if c.text):
        return 0
    if not styled and any(_measured(c.text) for c in named):
        return 0  # "Overall length | 4,120 mm": a record, not column names
    count = 1
    for row in rows[1:]:
        unlabelled = not row[0].text or row[0].spanned
        all_bold = styled and all(c.bold for c in row if c.text)
        if _group_row(row, styled) or not (unlabelled or all_bold):
            break
        if not any(c.text for c in row[1:]):
            break
        if not styled and any(_measured(c.text) for c in row[1:] if c.text):
            break
        count += 1
    return count


MEASURE = re.compile(r"\d[\d,.]*\s*[^\W\d_]{1,6}\b|\d")


def _measured(text: str) -> bool:
    return bool(MEASURE.search(text))


def _header_names(rows: Sequence[list[_LogicalCell]]) -> tuple[str, ...]:
    if not rows:
        return ()
    names = []
    for i in range(len(rows[0])):
        parts: list[str] = []
        for row in rows:
            text = row[i].text
            if text and (not parts or parts[-1] != text):
                parts.append(text)
        names.append(" ".join(parts))
    return tuple(names)


def _group_row(row: list[_LogicalCell], styled: bool) -> bool:
    """One label alone across the row: the name of the rows under it."""
    if len(row) < 2:
        return False
    texts = {id(c): c for logical in row for c in logical.cells if c.text.strip()}
    if len(texts) != 1:
        return False
    (cell,) = texts.values()
    spans = sum(1 for logical in row if any(c is cell for c in logical.cells)) > 1
    first = any(c is cell for c in row[0].cells)
    return spans or (styled and cell.bold) or (not styled and first and len(row) > 2)


def under(group: str, label: str) -> str:
    """A row's label read with its group: "Fuel tank – Capacity" (not when it says it)."""
    if not group or not label:
        return label or group
    words = {w for w in re.findall(r"[a-z]{3,}", group.lower())}
    if words and words <= set(re.findall(r"[a-z]{3,}", label.lower())):
        return label
    return f"{group} – {label}"


def continued(table: TableText, previous: TableText | None) -> TableText:
    """A table with no header of its own, of as many columns as the table before it, is the
    rest of that table: it takes its header."""
    if table.header or previous is None or not previous.header:
        return table
    if table.width != previous.width:
        return table
    return TableText(previous.header, table.rows)


def carried_over(table: TableText, previous: TableText) -> tuple[TableText, TableText] | None:
    """A page break inside a table's last row: the next page's table opens with a line whose
    label is empty and whose other cells go on in lower case ("… verify that the" | "voltage
    reading increases."). That line is the end of `previous`'s last row: (`previous` with it
    joined on, `table` without it); None when `table` opens otherwise (a line naming its
    columns by a unit each, "mm" | "in", is a header). The caller knows a page came between."""
    if not previous.rows or table.width != previous.width:
        return None
    first = table.header or (table.rows[0] if table.rows else ())
    if not first or first[0] or not any(first[1:]):
        return None
    if not all(not text or text[:1].islower() for text in first[1:]):
        return None
    if len(" ".join(first[1:]).split()) < 2:
        return None  # a unit over a column ("mm"), not words going on
    last = previous.rows[-1]
    joined = tuple(f"{a} {b}".strip() for a, b in zip(last, first, strict=True))
    rest = table.rows if table.header else table.rows[1:]
    return TableText(previous.header, (*previous.rows[:-1], joined)), TableText((), rest)


def markdown_lines(table: TableText) -> list[str]:
    """A pipe table with its header; a headerless table of two columns as "label: value"
    items, one per row."""
    if not table.header and table.width == 2:
        return [f"- {label}: {value}" if value else f"- {label}" for label, value, *_ in table.rows]
    width = table.width
    header = table.header or ("",) * width
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * width]
    for row in table.rows:
        if not table.header:  # a value spanning unnamed columns once, not once per column
            row = tuple(v for i, v in enumerate(row) if i < 2 or v != row[i - 1])
        cells = [*row, *[""] * (width - len(row))][:width]
        lines.append("| " + " | ".join(cells) + " |")
    return lines
