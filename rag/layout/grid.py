"""Ruled tables: the lines a page draws, joined into a grid of cells, and the words in each.

The geometry of joining edges and finding the smallest rectangles they enclose is
pdfplumber's (its public table functions, fed our own edges); which grid slots each cell
covers, and the text in it, are ours.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from pdfplumber.table import (
    cells_to_tables,
    edges_to_intersections,
    intersections_to_cells,
    merge_edges,
)

from rag.layout.geometry import Cell, Line, Table, Word, group_lines
from rag.layout.turns import upright

SNAP = 3.0  # points: edges this close are one edge
MIN_EDGE = 3.0  # points: shorter strokes are not table lines


@dataclass(frozen=True)
class Edge:
    """A horizontal or vertical stroke (or a side of a drawn rectangle)."""

    x0: float
    top: float
    x1: float
    bottom: float

    @property
    def horizontal(self) -> bool:
        return (self.x1 - self.x0) >= (self.bottom - self.top)

    def as_plumber(self) -> dict[str, Any]:
        if self.horizontal:
            middle = (self.top + self.bottom) / 2
            top, bottom = middle, middle
            x0, x1 = self.x0, self.x1
        else:
            middle = (self.x0 + self.x1) / 2
            x0, x1 = middle, middle
            top, bottom = self.top, self.bottom
        return {
            "x0": x0,
            "x1": x1,
            "top": top,
            "bottom": bottom,
            "width": x1 - x0,
            "height": bottom - top,
            "orientation": "h" if self.horizontal else "v",
            "object_type": "line",
        }


def find_tables(edges: Sequence[Edge], words: Sequence[Word]) -> list[tuple[Table, set[int]]]:
    """Each ruled table on the page, with the positions in `words` of the words inside it.

    A table ruled down and across is read from the cells its lines enclose. A table ruled
    only across (lines between rows, or rows shaded in bands) gets its columns from where
    the text in it lines up, and a cell runs down until a rule crosses its column.
    """
    drawn = [e.as_plumber() for e in edges]
    drawn = [e for e in drawn if max(e["width"], e["height"]) >= MIN_EDGE]
    if not drawn:
        return []
    merged = [_edge(e) for e in merge_edges(drawn, SNAP, SNAP, SNAP, SNAP)]
    across = sorted((e for e in merged if e.horizontal), key=lambda e: e.top)
    down = [e for e in merged if not e.horizontal]
    found: list[tuple[Table, set[int]]] = []
    banded: list[tuple[float, float, float, float]] = []
    for region in sorted(_regions(across, down), key=lambda r: r[0] - r[2]):
        if any(_inside(region, other) for other in banded):
            continue  # rules under some columns of a table already read
        band = _banded(region, [e for e in across if _within(e, region)], words)
        if band is not None:
            found.append(band)
            banded.append(region)
    rest = [e.as_plumber() for e in merged if not any(_within(e, r) for r in banded)]
    cells = intersections_to_cells(edges_to_intersections(rest, SNAP, SNAP)) if rest else []
    for boxes in cells_to_tables(cells):
        table, inside = _table(boxes, words)
        if table is not None:
            found.append((table, inside))
    return sorted((t for t in found if not _layout(t[0])), key=lambda t: (t[0].top, t[0].x0))


# A cell of more words than this is a paragraph in a frame; so is a table whose words are
# mostly in cells of more than half as many. A cell whose words hold figures this often
# (variants and their capacities, listed) is a table's value, however long, not prose.
PROSE_CELL_WORDS = 80
PROSE_SHARE = 0.5
FIGURES_SHARE = 0.25
DIGIT = re.compile(r"\d")


def _layout(table: Table) -> bool:
    """Boxes drawn around columns of prose (or a page's panels) rather than a table."""
    counts = [len(c.text.split()) for c in table.cells if c.text.strip() and not _figures(c.text)]
    if len(table.cells) < 2 or not counts:
        return False
    long = sum(n for n in counts if n > PROSE_CELL_WORDS // 2)
    every = sum(len(c.text.split()) for c in table.cells)
    return max(counts) > PROSE_CELL_WORDS or long > PROSE_SHARE * every


def _figures(text: str) -> bool:
    """Most of a cell's words are not prose: at least FIGURES_SHARE of them hold a figure."""
    words = text.split()
    return sum(1 for w in words if DIGIT.search(w)) >= FIGURES_SHARE * len(words)


def _inside(
    inner: tuple[float, float, float, float], outer: tuple[float, float, float, float]
) -> bool:
    return (
        outer[0] - SNAP <= inner[0]
        and inner[2] <= outer[2] + SNAP
        and outer[1] - SNAP <= inner[1]
        and inner[3] <= outer[3] + SNAP
    )


def _edge(plumber: dict[str, Any]) -> Edge:
    return Edge(plumber["x0"], plumber["top"], plumber["x1"], plumber["bottom"])


def _within(edge: Edge, region: tuple[float, float, float, float]) -> bool:
    x0, top, x1, bottom = region
    return (
        x0 - SNAP <= edge.x0
        and edge.x1 <= x1 + SNAP
        and top - SNAP <= edge.top
        and edge.bottom <= bottom + SNAP
    )


# Horizontal rules this far apart or less belong to one table.
ROW_GAP = 120.0
MIN_RULES = 3
# Lines of text whose left ends line up, at least this many, start a column.
MIN_ALIGNED = 3


def _regions(
    across: Sequence[Edge], down: Sequence[Edge]
) -> list[tuple[float, float, float, float]]:
    """Boxes of rules of one width stacked under each other, with no line down between their
    sides: tables ruled only across (or shaded in bands)."""
    groups: list[list[Edge]] = []
    for edge in across:
        for group in groups:
            last = group[-1]
            if (
                abs(edge.x0 - last.x0) <= 2 * SNAP
                and abs(edge.x1 - last.x1) <= 2 * SNAP
                and 0 <= edge.top - last.top <= ROW_GAP
            ):
                group.append(edge)
                break
        else:
            groups.append([edge])
    regions = []
    for group in groups:
        run: list[Edge] = []
        for edge in group:
            if run and _divided(run[-1], edge, down):
                regions.append(run)
                run = [run[-1]]  # a ruled table below starts at the rule they share
            run.append(edge)
        regions.append(run)
    return [
        (min(e.x0 for e in g), g[0].top, max(e.x1 for e in g), g[-1].bottom)
        for g in regions
        if len({round(e.top) for e in g}) >= MIN_RULES
    ]


def _divided(above: Edge, below: Edge, down: Sequence[Edge]) -> bool:
    """A line down, between the rules' ends, crosses the band between them."""
    x0, x1 = max(above.x0, below.x0), min(above.x1, below.x1)
    top, bottom = above.top, below.top
    return any(
        x0 + SNAP < e.x0 < x1 - SNAP and e.top <= top + SNAP and e.bottom >= bottom - SNAP
        for e in down
    )


def _banded(
    region: tuple[float, float, float, float],
    rules: Sequence[Edge],
    words: Sequence[Word],
) -> tuple[Table, set[int]] | None:
    """A table ruled only across: rows between the rules, columns where text lines up. A box
    of one column (a note) is not a table."""
    x0, top, x1, bottom = region
    held = [
        i
        for i, w in enumerate(words)
        if x0 - SNAP <= (w.x0 + w.x1) / 2 <= x1 + SNAP and top <= (w.top + w.bottom) / 2 <= bottom
    ]
    if not held:
        return None
    inside = [words[i] for i in held]
    aligned = _aligned_starts(group_lines(inside), inside, x0, x1)
    xs = _stops([x0, *aligned, x1])
    ys = _stops([r.top for r in rules])
    rows, cols = len(ys) - 1, len(xs) - 1
    if rows < 1 or cols < 2:
        return None
    slot_words: dict[tuple[int, int], list[Word]] = {}
    for word in inside:
        r = max(0, min(rows - 1, bisect_right(ys, (word.top + word.bottom) / 2) - 1))
        c = max(0, min(cols - 1, bisect_right(xs, word.x0 + 0.5) - 1))
        slot_words.setdefault((r, c), []).append(word)
    cells: list[Cell] = []
    for c in range(cols):
        r = 0
        while r < rows:
            span = 1
            while r + span < rows and not _ruled(ys[r + span], xs[c], xs[c + 1], rules):
                span += 1  # no rule under this cell in its column: it runs on down
            texts = cell_lines(w for k in range(r, r + span) for w in slot_words.get((k, c), []))
            cells.append(
                Cell(
                    text="\n".join(line.text for line in texts),
                    row=r,
                    col=c,
                    rows=span,
                    bold=bool(texts) and all(line.bold for line in texts),
                )
            )
            r += span
    return Table(tuple(cells), rows, cols, x0, top, x1, bottom), set(held)


def _ruled(y: float, left: float, right: float, rules: Sequence[Edge]) -> bool:
    """A rule at height y runs under most of the column from left to right."""
    return any(
        abs(rule.top - y) <= SNAP
        and min(rule.x1, right) - max(rule.x0, left) >= 0.5 * (right - left)
        for rule in rules
    )


def _aligned_starts(
    lines: Sequence[Line], words: Sequence[Word], x0: float, x1: float
) -> list[float]:
    """Left of each x where at least MIN_ALIGNED lines start and that no word crosses."""
    starts: list[list[float]] = []
    for x in sorted(line.x0 for line in lines):
        if starts and x - starts[-1][-1] <= 2.0:
            starts[-1].append(x)
        else:
            starts.append([x])
    columns = []
    for group in starts:
        x = min(group) - 1.0
        if len(group) < MIN_ALIGNED or x <= x0 + SNAP or x >= x1 - SNAP:
            continue
        if any(word.x0 < x < word.x1 for word in words):
            continue
        columns.append(x)
    return columns


def _table(
    boxes: Sequence[tuple[float, float, float, float]], words: Sequence[Word]
) -> tuple[Table | None, set[int]]:
    xs = _stops([b[0] for b in boxes] + [b[2] for b in boxes])
    ys = _stops([b[1] for b in boxes] + [b[3] for b in boxes])
    x0, top, x1, bottom = xs[0], ys[0], xs[-1], ys[-1]
    inside: set[int] = set()
    centres = sorted(
        ((w.top + w.bottom) / 2, (w.x0 + w.x1) / 2, i)
        for i, w in enumerate(words)
        if top - SNAP <= (w.top + w.bottom) / 2 <= bottom + SNAP
    )
    ys_sorted = [c[0] for c in centres]
    placed: list[_Placed] = []
    for bx0, btop, bx1, bbottom in sorted(boxes, key=lambda b: (b[1], b[0])):
        start, end = bisect_left(ys_sorted, btop), bisect_right(ys_sorted, bbottom)
        held = [i for _, x, i in centres[start:end] if bx0 <= x <= bx1]
        inside.update(held)
        row, col = _index(ys, btop), _index(xs, bx0)
        rows, cols = max(1, _index(ys, bbottom) - row), max(1, _index(xs, bx1) - col)
        placed.append(_Placed(row, col, rows, cols, cell_lines(words[i] for i in held)))
    if not inside:
        return None, inside  # a drawn grid with no text in it: a figure's frame
    cells = _cells(placed, len(ys) - 1)
    n_rows = max(c.row + c.rows for c in cells)
    return Table(tuple(cells), n_rows, len(xs) - 1, x0, top, x1, bottom), inside


class _Placed(NamedTuple):
    """A box of the table on its grid: first row and column, how many it spans, its lines."""

    row: int
    col: int
    rows: int
    cols: int
    lines: list[Line]


def _cells(placed: Sequence[_Placed], n_rows: int) -> list[Cell]:
    """The table's cells; a ruled row of a label and values that holds sub-rows
    (`sub_rows`) as a row for each, the rows below moved down."""
    by_row: dict[int, list[_Placed]] = {}
    for box in placed:
        by_row.setdefault(box.row, []).append(box)
    split: dict[int, dict[int, list[str]]] = {}
    for row, boxes in by_row.items():
        if (found := _split_row(boxes)) is not None:
            split[row] = found
    start = [0] * (n_rows + 1)
    for row in range(n_rows):
        count = len(next(iter(split[row].values()))) if row in split else 1
        start[row + 1] = start[row] + count
    cells: list[Cell] = []
    for row, col, rows, cols, lines in placed:
        if row in split and col in split[row]:
            for n, text in enumerate(split[row][col]):
                cells.append(Cell(text=text, row=start[row] + n, col=col, cols=cols))
            continue
        cells.append(
            Cell(
                text="\n".join(line.text for line in lines),
                row=start[row],
                col=col,
                rows=start[min(row + rows, n_rows)] - start[row],
                cols=cols,
                bold=bool(lines) and all(line.bold for line in lines),
            )
        )
    return cells


def _split_row(boxes: Sequence[_Placed]) -> dict[int, list[str]] | None:
    """A row's label and value boxes read as sub-rows, each box's column to its texts, when
    the label holds sub-labels level with the first value's lines; a box spanning several
    rows may stand at their left (a group: "Exterior" beside the headlights' "Low beam" and
    "High beam"), not among them."""
    ordered = sorted(boxes, key=lambda b: b.col)
    single = [b for b in ordered if b.rows == 1]
    if len(single) < 2 or ordered[-len(single) :] != single:
        return None
    label, *values = single
    found = _sub_labels(label.lines, values[0].lines)
    if found is None:
        return None
    texts = {label.col: [name for name, _, _ in found]}
    # A line of another value above the first sub-label (its column's unit) stays in the row
    # (the first value has none: `_sub_labels`).
    bands = [(-math.inf if n == 0 else top, below) for n, (_, top, below) in enumerate(found)]
    for box in values:
        texts[box.col] = [
            " ".join(v.text for v in box.lines if top <= v.top < below) for top, below in bands
        ]
    return texts


# A sub-row's label is this short ("With filter", "Intake", "Rear").
SUB_LABEL_WORDS = 4


def sub_rows(label: Sequence[Line], value: Sequence[Line]) -> list[tuple[str, str]] | None:
    """A label cell that names its row first, then sub-labels level with the value's lines
    ("Oil capacity" over "With filter", "Without filter"), as (label, value) sub-rows:
    "Oil capacity With filter" and the value lines from its level to the next sub-label's.
    None when the cell's first line is level with a value line (a label wrapped beside a
    value wrapped), when value lines start above the first sub-label, or when fewer than
    two sub-labels are found."""
    found = _sub_labels(label, value)
    if found is None:
        return None
    return [
        (name, " ".join(v.text for v in value if top <= v.top < below))
        for name, top, below in found
    ]


def _sub_labels(
    label: Sequence[Line], value: Sequence[Line]
) -> list[tuple[str, float, float]] | None:
    """Each sub-row of `sub_rows`: its label ("Oil capacity With filter") and where it stands
    on the page (top, bottom); None where the label holds no sub-labels."""
    if not label or not value:
        return None

    def level(line: Line) -> bool:
        return any(abs(line.top - v.top) <= line.height / 2 for v in value)

    anchors = [
        i
        for i, line in enumerate(label)
        if level(line) and len(line.text.split()) <= SUB_LABEL_WORDS
    ]
    if len(anchors) < 2 or level(label[0]):
        return None
    first = label[anchors[0]]
    if any(v.top < first.top - first.height / 2 for v in value):
        return None
    head = " ".join(line.text for line in label[: anchors[0]])
    found = []
    for n, at in enumerate(anchors):
        end = anchors[n + 1] if n + 1 < len(anchors) else len(label)
        name = " ".join(line.text for line in label[at:end])
        top = label[at].top - label[at].height / 2
        below = label[end].top - label[end].height / 2 if end < len(label) else math.inf
        found.append((f"{head} {name}", top, below))
    return found


def cell_lines(words: Iterable[Word]) -> list[Line]:
    """A cell's lines, its words read in the frame where their letters stand upright (a
    narrow column's name set sideways): upright text first."""
    by_turn: dict[int, list[Word]] = {}
    for word in words:
        by_turn.setdefault(word.turn, []).append(upright(word))
    return [line for turn in sorted(by_turn) for line in group_lines(by_turn[turn])]


def _stops(values: Sequence[float]) -> list[float]:
    """Distinct coordinates, those within SNAP of each other taken as one."""
    stops: list[float] = []
    for value in sorted(values):
        if not stops or value - stops[-1] > SNAP:
            stops.append(value)
    return stops


def _index(stops: Sequence[float], value: float) -> int:
    i = bisect_left(stops, value - SNAP)
    return min(i, len(stops) - 1)
