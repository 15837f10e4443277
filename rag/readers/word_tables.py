"""A Word table's grid read once: each merged cell's text where it means something, and no more.

Word merges cells across columns (`gridSpan`) and downwards (`vMerge`); the reader gives the
grid as slots, every slot naming the cell that covers it. Read here, each rule a function:
- the header is the rows Word marks as header rows, else the first row and, under a cell merged
  across columns, a second row naming those columns (`header_rows`, `header_names`); a first
  row that gives a measure ("Spark plug gap | 0.8 - 0.9 mm") over rows that give measures too
  is the table's first record, not column names, and the table has no header (`a_record`);
- a value merged across columns that have names of their own is the value of each of them
  ("Gearbox | 6-speed | 6-speed" under "1.2 Petrol | 1.5 Diesel"); any other cell merged across
  columns (a row's label, a title, a value under one name) is written once (`repeats_across`);
- a cell merged downwards labels each row it covers, except where the rows do not line up with
  it: a converter that lays a page's lines out as rows merges each cell over two or three of
  them, its neighbours over others, and such a cell is written once, in its first row
  (`staggered`);
- a row where no cell starts (all of it merged down from the row above, or empty) goes;
- a header cell a converter ran down into the body ("Regular Replace" over the column) is
  the column's name, not each row's value; only a label in the first column carries on;
- a table laid out in lines, most of its cells merged downwards staggered, is no table: it is a
  page's text set in columns, read a column at a time (`laid_out_in_lines`, `column_texts`);
- two tables a converter joined side by side (labels and figures, then labels and figures
  again) are read as two (`side_by_side`);
- a column of sub-labels beside the row's label ("Front", "Rear" on some rows, before the
  figures) makes one label with it, as a group and its label ("Tire size – Rear"), so the
  row reads "label: column: value" (`one_label`).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rag.layout.tables import TableText, markdown_lines, under

# A table is a page's lines of text when at least this many of its cells stagger, and they
# are at least this share of its cells with text merged downwards.
MIN_STAGGERED = 6
STAGGERED_SHARE = 2 / 3
# A column of figures: at least this share of its cells hold a number; of labels, at most
# the rest, and MIN_LABELS of them.
FIGURES_SHARE = 2 / 3
MIN_LABELS = 3
DIGIT = re.compile(r"\d")
# A sub-label beside a row's label ("Front", "Rear", "Without trailer") is this short.
SUB_LABEL_WORDS = 3
# A figure with its unit of measure ("0.8 - 0.9 mm", "1.0 US qt", "125 cm3", "1,400 rpm"): what
# a record gives, and a column's name does not (a variant's name, "1.5 Diesel", is no measure).
MEASURE = re.compile(
    r"\d(?:[\d,.]*\d)?\s*(?:US |Imp\.? )?"
    r"(?:mm|cm3?|cc|m|in|ft|kg|lbs?|lbf|L|l|ml|qt|gal|kPa|MPa|psi|bar|N·?m|Nm|kgf|rpm|V|Ah|A|W|"
    r"kW|hp|PS|km/h|mph|°[CF])(?![\w/])"
)
# Rows below a first row of measures that make it a record: this many give measures too.
MIN_RECORDS = 1
# "NOTE", "WARNING", "CAUTION!" opening a note box: written "NOTE: …" as the PDF reader does.
BOX_LABEL = re.compile(r"^[^\W\d_]{2,}(?: [^\W\d_]{2,}){0,2}[!:]?$")


@dataclass(frozen=True)
class Slot:
    """One grid column of a table row: the cell covering it (merged cells share an id) and
    that cell's text."""

    cell: int | None
    text: str = ""


@dataclass(frozen=True)
class Span:
    """The rows and grid columns a cell covers, first and last."""

    top: int
    bottom: int
    left: int
    right: int


Grid = Sequence[Sequence[Slot]]


def spans(rows: Grid) -> dict[int, Span]:
    """Where each cell of the grid stands."""
    found: dict[int, Span] = {}
    for r, row in enumerate(rows):
        for c, slot in enumerate(row):
            if slot.cell is None:
                continue
            was = found.get(slot.cell)
            found[slot.cell] = (
                Span(r, r, c, c)
                if was is None
                else Span(was.top, r, min(was.left, c), max(was.right, c))
            )
    return found


def staggered(placed: Mapping[int, Span]) -> frozenset[int]:
    """The cells merged downwards whose rows overlap those of a cell beside them without one
    holding the other: lines of text set side by side, not a label over its rows."""
    by_left: dict[int, list[tuple[int, Span]]] = {}
    for cell, span in placed.items():
        if span.bottom > span.top:  # only cells over several rows can stagger
            by_left.setdefault(span.left, []).append((cell, span))
    found: set[int] = set()
    for cells in by_left.values():
        for cell, span in cells:
            for other, beside in by_left.get(span.right + 1, ()):
                if (
                    span.top < beside.top <= span.bottom < beside.bottom
                    or beside.top < span.top <= beside.bottom < span.bottom
                ):
                    found.update((cell, other))
    return frozenset(found)


def laid_out_in_lines(rows: Grid) -> bool:
    """Most of the table's cells with text merged downwards stagger with their neighbours:
    a converter set a page's columns of text as a table of its lines."""
    placed = spans(rows)
    lines_of_text = staggered(placed)
    merged_down = {
        slot.cell
        for row in rows
        for slot in row
        if slot.cell is not None and slot.text and placed[slot.cell].bottom > placed[slot.cell].top
    }
    found = lines_of_text & merged_down
    return len(found) >= MIN_STAGGERED and len(found) >= STAGGERED_SHARE * len(merged_down)


def column_texts(rows: Grid) -> list[list[str]]:
    """Each grid column's text, top to bottom: every cell once, in the column it starts in."""
    placed = spans(rows)
    columns: list[list[str]] = [[] for _ in range(max((len(r) for r in rows), default=0))]
    for r, row in enumerate(rows):
        for c, slot in enumerate(row):
            span = placed.get(slot.cell) if slot.cell is not None else None
            if span is not None and (span.top, span.left) == (r, c):
                columns[c] += [line for line in slot.text.split("\n") if line.strip()]
    return [lines for lines in columns if lines]


def subdivides(first: Sequence[Slot], second: Sequence[Slot]) -> bool:
    """The second row names the columns under the first row's merged cells and nothing
    else: a two-row header."""
    spanned = False
    for column, slot in enumerate(first):
        merged = sum(1 for s in first if s.cell == slot.cell) > 1
        below = second[column]
        if merged and slot.text:
            cells_below = {second[c].cell for c, s in enumerate(first) if s.cell == slot.cell}
            if len(cells_below) < 2 or not below.text:
                return False
            spanned = True
        elif below.text and below.cell != slot.cell:
            return False
    return spanned


def header_rows(rows: Grid, marked: int = 0) -> int:
    """How many leading rows name the columns: those Word marks, else one, or two when the
    second names the columns under the first's merged cells; none when the first row is a
    record (`a_record`)."""
    if marked:
        return marked
    if a_record(rows):
        return 0
    return 2 if len(rows) > 2 and subdivides(rows[0], rows[1]) else 1


def a_record(rows: Grid) -> bool:
    """The first row gives a measure beside its label, and so do rows below it: "Spark plug
    gap | 0.8 - 0.9 mm" over "Idle speed | 1,400 rpm" is the table's first record. A
    schedule's header of intervals ("1,000 km | 6,000 km") stands over marks, not measures,
    and stays the header."""
    return len(rows) > 1 and _measures(rows[0]) and sum(map(_measures, rows[1:])) >= MIN_RECORDS


def _measures(row: Sequence[Slot]) -> bool:
    """A cell after the row's first gives a figure with its unit."""
    label = row[0].cell if row else None
    return any(s.cell != label and MEASURE.search(s.text) for s in row[1:] if s.cell is not None)


def header_names(rows: Grid) -> list[str]:
    """Each column's name, from the header rows above one another; a cell merged across
    columns names the first of them only, unless a row below names each."""
    names: list[str] = []
    previous: tuple[int | None, ...] | None = None
    for column in range(len(rows[0])):
        cells = tuple(row[column].cell for row in rows)
        parts: list[str] = []
        seen: list[int | None] = []
        for row in rows:
            slot = row[column]
            if slot.text and slot.cell not in seen:
                parts.append(cell_text(slot))
            seen.append(slot.cell)
        names.append("" if cells == previous else " ".join(parts))
        previous = cells
    return names


def repeats_across(span: Span, names: Sequence[str], width: int) -> bool:
    """A cell merged across columns is the value of each column it covers: it is not the row's
    label, not across the whole row, and every column it covers has a name of its own."""
    if span.left == 0 or span.right - span.left + 1 >= width:
        return False
    covered = [names[c] if c < len(names) else "" for c in range(span.left, span.right + 1)]
    return all(covered) and len(set(covered)) == len(covered)


def body_rows(rows: Grid, first: int, names: Sequence[str]) -> list[list[str]]:
    """The rows under the header, each merged cell written where it means something (see the
    module's rules); a row that says nothing new left out."""
    placed = spans(rows)
    lines_of_text = staggered(placed)
    width = len(names)
    out: list[list[str]] = []
    for r in range(first, len(rows)):
        texts: list[str] = []
        new = False
        for c, slot in enumerate(rows[r]):
            if slot.cell is None or not slot.text:
                texts.append("")
                continue
            span = placed[slot.cell]
            if span.top < first and span.left > 0:
                texts.append("")  # a column's name run down into the body names no value
                continue
            top = max(span.top, first)
            down = r == top or slot.cell not in lines_of_text
            across = c == span.left or repeats_across(span, names, width)
            texts.append(cell_text(slot) if down and across else "")
            new = new or (r == top and c == span.left)
        if new:
            out.append(texts)
    return out


def table_parts(rows: Grid, marked_header_rows: int = 0) -> list[list[str]]:
    """The lines of the blocks a table makes: a pipe table or a note's text, one for each of
    the tables set side by side in it, or the text of each column of a table laid out in
    lines."""
    if laid_out_in_lines(rows):
        return column_texts(rows)
    edges = [0, *side_by_side(rows), len(rows[0]) if rows else 0]
    parts = [[row[a:b] for row in rows] for a, b in itertools.pairwise(edges)]
    return [lines for part in parts if (lines := table_lines(part, marked_header_rows))]


def side_by_side(rows: Grid) -> list[int]:
    """The grid columns where a second table starts beside the first, as a converter joins
    two tables of a page into one: a column of labels right of a column of figures, with a
    column of figures of its own further right, no cell across the edge, and no header row
    naming every column."""
    placed = spans(rows)
    width = len(rows[0]) if rows else 0
    if width and all(slot.text and not DIGIT.search(slot.text) for slot in rows[0]):
        return []  # a header row naming every column: one table
    kinds = [_column_kind(rows, placed, c) for c in range(width)]
    edges: list[int] = []
    for c in range(2, width - 1):
        crossed = any(span.left < c <= span.right for span in placed.values())
        if (
            not crossed
            and kinds[c - 1] == "figures"
            and kinds[c] == "labels"
            and "figures" in kinds[c + 1 :]
            and c - (edges[-1] if edges else 0) >= 2
        ):
            edges.append(c)
    return edges


def _column_kind(rows: Grid, placed: Mapping[int, Span], column: int) -> str | None:
    """The kind of the cells that start in the grid column (`_kind`)."""
    return _kind(
        [
            slot.text
            for r, row in enumerate(rows)
            if (slot := row[column]).cell is not None
            and (placed[slot.cell].top, placed[slot.cell].left) == (r, column)
        ]
    )


def _kind(texts: Sequence[str]) -> str | None:
    """ "figures" when most of the texts hold a figure, "labels" when few do (and there are
    MIN_LABELS of them), else None; empty texts do not count."""
    texts = [text for text in texts if text]
    with_figures = sum(1 for text in texts if DIGIT.search(text))
    if texts and with_figures >= FIGURES_SHARE * len(texts):
        return "figures"
    if len(texts) >= MIN_LABELS and with_figures <= (1 - FIGURES_SHARE) * len(texts):
        return "labels"
    return None


def one_label(
    names: Sequence[str], body: Sequence[Sequence[str]]
) -> tuple[list[str], list[list[str]]]:
    """A row's label and the sub-labels beside it (columns of a few words, filled on some rows
    only, before the figures) as one label, as the PDF's tables read a group and its label:
    "Tire size | Rear | 80/90-17" is "Tire size – Rear | 80/90-17"."""
    width = len(names)
    count = 1
    while count < width and _sub_labels([row[count] for row in body if count < len(row)]):
        count += 1
    kinds = [_kind([row[c] for row in body if c < len(row)]) for c in range(count, width)]
    if count < 2 or "figures" not in kinds:
        return list(names), [list(row) for row in body]
    joined = []
    for row in body:
        label = ""
        for part in row[:count]:
            label = under(label, part) if part else label
        joined.append([label, *row[count:]])
    return [" ".join(n for n in names[:count] if n), *names[count:]], joined


def _sub_labels(column: Sequence[str]) -> bool:
    """A column of labels of a few words ("Front", "Rear") filled on no more than half of
    the rows."""
    filled = [text for text in column if text]
    return (
        _kind(filled) == "labels"
        and len(filled) * 2 <= len(column)
        and all(len(text.split()) <= SUB_LABEL_WORDS for text in filled)
    )


def table_lines(rows: Grid, marked_header_rows: int = 0) -> list[str]:
    """A table as a pipe table, or a one-column table (a note box) as its text."""
    rows = [r for r in rows if any(s.text for s in r)]
    if not rows:
        return []
    if all(len({s.cell for s in row if s.cell is not None}) <= 1 for row in rows):
        return _note([line for row in rows for line in _row_text(row).split("\n")])
    count = header_rows(rows, marked_header_rows if marked_header_rows < len(rows) else 0)
    if not count:  # records with no column names, read as the PDF reader reads them
        body = body_rows(rows, 0, [""] * len(rows[0]))
        return markdown_lines(TableText((), tuple(tuple(cells) for cells in body)))
    names = header_names(rows[:count])
    names, body = one_label(names, body_rows(rows, count, names))
    lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    lines.extend("| " + " | ".join(cells) + " |" for cells in body)
    return lines


def cell_text(slot: Slot) -> str:
    """A cell's text on one line, with no pipe of its own."""
    return " ".join(slot.text.split("\n")).replace("|", "/").strip()


def _row_text(row: Sequence[Slot]) -> str:
    return next((s.text for s in row if s.text), "")


def _note(lines: list[str]) -> list[str]:
    lines = [line for line in lines if line]
    if len(lines) > 1 and BOX_LABEL.match(lines[0]) and lines[0].upper() == lines[0]:
        return [f"{lines[0].rstrip('!:')}: {lines[1]}", *lines[2:]]
    return lines
