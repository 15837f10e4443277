"""A maintenance schedule set as a grid (items down the side, intervals across the top, a mark
where an item is due) read as what it says of each item: "Change engine oil: every 15,000 km
(at 15,000 km, 30,000 km, …)", or, where a legend gives the marks' meanings, "Engine oil:
inspect at 10,000 km, 30,000 km; replace every 20,000 km (at …)". Pure: blocks in, blocks out.

A row of dots under a row of figures says nothing to a question "how often is the air filter
replaced": the item and its intervals are two ends of a table apart, with a column of marks
between them. Written out, the sentence holds both.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.blocks import TABLE_SEPARATOR, Block

# What a schedule's cell holds where an item is due: a dot, a tick, a cross, or a letter or
# two that a legend explains ("I", "R", "I/R").
SYMBOL = "●•○◯◎◉✓✔✗✘×xX*■□▲△◆◇"
MARK = re.compile(rf"^(?:[{SYMBOL}]|[A-Z]{{1,2}}(?:\s?/\s?[A-Z]{{1,2}})?)$")
# An interval's name: short, with a figure in it ("15K 12", "10,000 km", "24 months").
INTERVAL = re.compile(r"^(?=.*\d).{1,24}$")
FIGURE = re.compile(r"(\d+(?:[.,]\d+)*)\s*([kK])?\b")
# A schedule has at least this many interval columns, and marks in this many of its cells.
MIN_INTERVALS = 3
MIN_MARKS = 3
# A serial number, alone or after a group's name ("General – 1").
SERIAL = re.compile(r"^\d{1,3}[.)]?$|\s*[–-]\s*\d{1,3}[.)]?$")
# How far from its schedule a legend may stand: blocks between them, no heading among them.
NEAR = 3


@dataclass(frozen=True)
class Grid:
    """A pipe table's text: its column names and its rows, each as wide as the names."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def grid(table: Block) -> Grid | None:
    """A pipe table's header and rows, each row as wide as the header (a table written with
    an empty header takes its first row for one)."""
    if table.kind != "table" or len(table.lines) < 3 or not TABLE_SEPARATOR.match(table.lines[1]):
        return None
    header = tuple(_cells(table.lines[0]))
    width = len(header)
    rows = tuple(
        tuple((_cells(line) + [""] * width)[:width])
        for line in table.lines[2:]
        if not TABLE_SEPARATOR.match(line)
    )
    if not any(header) and rows:  # read without a header: its first row names the columns
        header, rows = rows[0], rows[1:]
    return Grid(header, rows)


def interval_columns(table: Grid) -> list[int]:
    """The columns named by an interval whose cells hold only marks, when there are enough
    of them, and of marks in them, for the table to be a schedule."""
    columns = [
        c
        for c, name in enumerate(table.header)
        if c > 0
        and INTERVAL.match(name)
        and all(not row[c] or MARK.match(row[c]) for row in table.rows)
    ]
    marks = sum(1 for row in table.rows for c in columns if row[c])
    return columns if len(columns) >= MIN_INTERVALS and marks >= MIN_MARKS else []


def mark_legend(block: Block, marks: set[str]) -> dict[str, str]:
    """What a text block says the schedule's marks mean ("I: Inspect, R = Replace"), when
    saying so is all it does."""
    if block.kind not in ("text", "list") or not marks:
        return {}
    text = " ".join(line.removeprefix("- ").removeprefix("\\") for line in block.lines).strip()
    keys = "|".join(re.escape(m) for m in sorted(marks, key=len, reverse=True))
    entry = re.compile(rf"(?:^|(?<=[\s,;]))({keys})\s*(?:[:=]|\s[-–—]|(?=\s[a-z]))\s*", re.I)
    found = list(entry.finditer(text))
    if not found or found[0].start() != 0:
        return {}
    legend: dict[str, str] = {}
    for match, following in zip(found, [*found[1:], None], strict=True):
        end = following.start() if following else len(text)
        meaning = text[match.end() : end].strip(" ,;.")
        if not meaning or len(meaning) > 80:
            return {}
        legend[match.group(1).upper()] = meaning
    return legend


def _figure(name: str) -> float | None:
    """The first figure in an interval's name, thousands written out ("1.5K" is 1500)."""
    match = FIGURE.search(name)
    if not match:
        return None
    number = match.group(1)
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+", number):
        number = number.replace(",", "")
    try:
        value = float(number.replace(",", "."))
    except ValueError:
        return None
    return value * 1000 if match.group(2) else value


def _every(names: Sequence[str]) -> str | None:
    """The interval an item recurs at, when it falls due at one, two, three… times the first:
    that first interval's name."""
    values = [_figure(name) for name in names]
    if len(names) < 2 or any(v is None or v <= 0 for v in values):
        return None
    step = values[0]
    assert step is not None
    regular = all(abs(v - step * (i + 1)) < 1e-6 * step for i, v in enumerate(values) if v)
    return names[0] if regular else None


def _item(row: Sequence[str], columns: Sequence[int], name_column: int) -> str:
    """An item's name: its own cell, after the labels left of it (a group's name), serial
    numbers left out."""
    parts = []
    for c in columns:
        if c > name_column:
            break
        text = SERIAL.sub("", row[c]).strip()
        if text and text not in parts:
            parts.append(text)
    return " – ".join(parts)


def _due(names: list[str], all_names: Sequence[str]) -> str:
    every = _every(names)
    if every:
        return f"every {every} (at {', '.join(names)})"
    if len(names) == len(all_names) and len(names) >= MIN_INTERVALS:
        return f"at every interval, {names[0]} to {names[-1]}"
    return f"at {', '.join(names)}"


def _verb(meaning: str) -> str:
    """A legend's meaning as it reads mid-sentence: "Replace" is "replace", "ATF" stays."""
    first = meaning.split(" ", 1)[0]
    return meaning[:1].lower() + meaning[1:] if first[1:].islower() else meaning


def schedule_lines(table: Grid, legend: dict[str, str]) -> list[str] | None:
    """The schedule's rows as "item (column: value): when it is due", or None when the table
    is not a schedule."""
    intervals = interval_columns(table)
    if not intervals:
        return None
    others = [c for c in range(len(table.header)) if c not in intervals]
    if not others:
        return None
    lengths = {c: sum(len(row[c]) for row in table.rows) for c in others}
    name_column = max(others, key=lambda c: lengths[c])
    names = [table.header[c] for c in intervals]
    lines = []
    for row in table.rows:
        item = _item(row, others, name_column)
        attributes = [
            f"{table.header[c]}: {row[c]}" if table.header[c] else row[c]
            for c in others
            if c > name_column and row[c]
        ]
        by_mark: dict[str, list[str]] = {}
        for c, name in zip(intervals, names, strict=True):
            if row[c]:
                by_mark.setdefault(row[c].upper(), []).append(name)
        due = []
        for mark, marked in by_mark.items():
            meaning = _verb(legend[mark]) if mark in legend else ""
            if not meaning and len(by_mark) > 1:
                meaning = mark  # a mark no legend explains, said as it is printed
            due.append(f"{meaning} {_due(marked, names)}".strip())
        head = f"{item} ({'; '.join(attributes)})" if attributes else item
        if not head:
            continue
        lines.append(f"- {head}: {'; '.join(due)}" if due else f"- {head}")
    return lines


def _marks(table: Grid) -> set[str]:
    """The marks in the table's interval columns (none when it is no schedule)."""
    columns = interval_columns(table)
    return {row[c].upper() for row in table.rows for c in columns if row[c]}


def _legend_near(blocks: Sequence[Block], at: int, marks: set[str]) -> dict[str, str]:
    """The legend of the schedule at `at`: the nearest block after it, else before it, that
    explains its marks, with no heading between them."""
    for step in (1, -1):
        i = at + step
        while 0 <= i < len(blocks) and abs(i - at) <= NEAR and blocks[i].kind != "heading":
            found = mark_legend(blocks[i], marks)
            if found:
                return found
            i += step
    return {}


def read_schedules(blocks: Sequence[Block]) -> tuple[Block, ...]:
    """The blocks with each schedule table read out as a list, one item per row."""
    out = list(blocks)
    for at, block in enumerate(blocks):
        table = grid(block)
        if table is None:
            continue
        marks = _marks(table)
        if not marks:
            continue
        lines = schedule_lines(table, _legend_near(blocks, at, marks))
        if lines:
            out[at] = Block("list", tuple(lines), block.page, block.page_end)
    return tuple(out)
