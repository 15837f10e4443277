"""Reading order: a page set in columns is read down each column in turn, left to right.

A gutter is a vertical strip that body lines keep clear of, with prose on both sides (the
lines at its left mostly reach it: labels beside their values do not, and are read row by
row). Lines and tables that cross a gutter span the columns (a title over them, a wide
table): they cut the page into bands, and each band is read column by column.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import pairwise

import numpy as np

from rag.layout.geometry import Line, Page, Table

Item = Line | Table
# Where gutters may lie, as shares of the page width.
GUTTERS_FROM, GUTTERS_TO = 0.15, 0.85
# Lines a column needs for the page to be read in columns.
MIN_LINES_PER_COLUMN = 3
# Of the lines, at most this share may cross a gutter.
MAX_CROSSING = 0.15
# Prose fills its column: this share of its lines reach the last quarter of its width…
FILLED = 0.5
# Or this share of its lines run on into the line under them.
RUN_ON = 0.1
STEPS = 240
# Within such a strip, a gutter is where at most this share of the lines (at least one) more
# cross than at its clearest point.
NEARLY_CLEAR = 0.03


def gutters(page: Page) -> list[float]:
    """The x of each gutter between columns, left to right; empty for a one-column page.

    A table counts as many lines as it has rows, and as lines that fill their column."""
    lines, tables = page.lines, page.tables
    weight = len(lines) + sum(t.n_rows for t in tables)
    if weight < 2 * MIN_LINES_PER_COLUMN:
        return []
    step = page.width / STEPS
    allowed = MAX_CROSSING * weight
    xs = np.arange(page.width * GUTTERS_FROM, page.width * GUTTERS_TO + step / 2, step)
    boxes: list[Line | Table] = [*lines, *tables]
    starts = np.asarray([b.x0 for b in boxes])[:, None]
    ends = np.asarray([b.x1 for b in boxes])[:, None]
    weights = np.asarray([1 if isinstance(b, Line) else b.n_rows for b in boxes])
    crossings = (((starts < xs) & (xs < ends)) * weights[:, None]).sum(axis=0)
    candidates = [
        float(xs[min(clear, key=lambda i: crossings[i])])
        for run in _runs(i for i in range(len(xs)) if crossings[i] <= allowed)
        for clear in _clearest(run, crossings, weight)
    ]
    found: list[float] = []
    left_edge = 0.0
    for i, split in enumerate(candidates):
        right_edge = candidates[i + 1] if i + 1 < len(candidates) else page.width
        left = [b for b in boxes if left_edge <= b.x0 and b.x1 <= split]
        right = [b for b in boxes if split <= b.x0 and b.x1 <= right_edge]
        if (
            _weight(left) >= MIN_LINES_PER_COLUMN
            and _weight(right) >= MIN_LINES_PER_COLUMN
            and _prose(left, split)
            and _prose(right, max(b.x1 for b in right))
        ):
            found.append(split)
            left_edge = split
    return found


def _clearest(run: list[int], crossings: np.ndarray, weight: int) -> list[list[int]]:
    """The stretches of a run that are nearly as clear as its clearest point: a short column
    crosses fewer lines than a gutter may, so one run can hold the gutters on both its sides."""
    floor = min(int(crossings[i]) for i in run) + max(1, round(NEARLY_CLEAR * weight))
    return _runs(i for i in run if crossings[i] <= floor)


def _runs(positions: Iterable[int]) -> list[list[int]]:
    """Increasing positions grouped into runs of consecutive ones."""
    runs: list[list[int]] = []
    for i in positions:
        if runs and i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def _weight(items: Sequence[Line | Table]) -> int:
    return sum(1 if isinstance(item, Line) else item.n_rows for item in items)


def _prose(column: Sequence[Line | Table], split: float) -> bool:
    """What stands at the gutter's left reads as prose (or tables): its lines mostly fill
    the column, or run on into the next ("… the vehicle" / "speed in km/h."), which labels
    beside their values never do."""
    margin = min(item.x0 for item in column)
    reach = split - 0.25 * (split - margin)
    lines = [item for item in column if isinstance(item, Line)]
    filled = sum(1 for line in lines if line.x1 >= reach) + _weight(
        [item for item in column if isinstance(item, Table)]
    )
    if filled >= FILLED * _weight(column):
        return True
    ordered = sorted(lines, key=lambda line: line.top)
    run_on = sum(
        1
        for above, below in pairwise(ordered)
        if 0 < below.top - above.bottom < below.size
        and below.text[:1].islower()
        and not above.text.rstrip().endswith((".", ":", "!", "?"))
    )
    return run_on >= max(1, RUN_ON * len(lines))


def reading_order(page: Page) -> list[Item]:
    """The page's lines and tables in the order a person reads them."""
    items: list[Item] = [*page.lines, *page.tables]
    splits = gutters(page)
    if not splits:
        return sorted(items, key=_position)
    ordered: list[Item] = []
    band: list[Item] = []
    for item in sorted(items, key=_position):
        if any(item.x0 < split < item.x1 for split in splits):
            ordered.extend(_by_column(band, splits))
            ordered.append(item)
            band = []
        else:
            band.append(item)
    ordered.extend(_by_column(band, splits))
    return ordered


def _by_column(band: Sequence[Item], splits: Sequence[float]) -> list[Item]:
    def column(item: Item) -> int:
        return sum(1 for split in splits if item.x1 > split)

    return sorted(band, key=lambda item: (column(item), *_position(item)))


def _position(item: Item) -> tuple[float, float]:
    return (round(item.top, 0), item.x0)
