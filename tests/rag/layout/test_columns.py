"""Columns are read one after the other; labels beside their values are read row by row."""

from __future__ import annotations

from rag.layout.columns import gutters, reading_order
from rag.layout.geometry import Line
from tests.rag.layout.words import line, page

PROSE = "the quick brown fox jumps over a dog"


def _two_columns() -> list[Line]:
    lines = [line("Title over both columns of this page, set wide", 50, 40, size=14)]
    for i in range(6):
        lines.append(line(f"left {i} {PROSE}", 50, 80 + 14 * i))
        lines.append(line(f"right {i} {PROSE}", 330, 80 + 14 * i))
    return lines


def test_a_page_in_two_columns_is_read_down_the_left_then_the_right() -> None:
    order = [ln.text.split()[0] for ln in reading_order(page(1, *_two_columns()))]  # type: ignore[union-attr]
    assert order == ["Title", *["left"] * 6, *["right"] * 6]


def test_three_columns_are_found() -> None:
    lines = []
    for i in range(6):
        for x in (40, 230, 420):
            lines.append(line(f"{x} the quick brown fox jumps", x, 80 + 14 * i))
    assert len(gutters(page(1, *lines, width=600))) == 2


def test_labels_beside_their_values_are_not_columns() -> None:
    labels = ["Kerb weight", "Maximum roof load", "Towing capacity", "Wheelbase", "Length"]
    lines = []
    for i, label in enumerate(labels):
        lines.append(line(label, 50, 80 + 14 * i))
        lines.append(line(f"{1000 + i} kg", 330, 80 + 14 * i))
    assert gutters(page(1, *lines)) == []
    order = [ln.text for ln in reading_order(page(1, *lines))]  # type: ignore[union-attr]
    assert order[:2] == ["Kerb weight", "1000 kg"]


def test_a_short_middle_column_keeps_its_gutters_on_both_sides() -> None:
    """As on a three-column manual page whose middle column ends early: that column crosses
    fewer lines than a gutter may, yet the gutters either side of it are both found, so the
    last column is not read line by line into the middle one."""
    lines = []
    for i in range(24):
        lines.append(line(f"left {i} the quick brown fox", 40, 80 + 14 * i))
        lines.append(line(f"right {i} the quick brown fox", 420, 80 + 14 * i))
    for i in range(3):
        lines.append(line(f"middle {i} the quick brown fox", 230, 80 + 14 * i))
    order = [ln.text.split()[0] for ln in reading_order(page(1, *lines, width=600))]  # type: ignore[union-attr]
    assert len(gutters(page(1, *lines, width=600))) == 2
    assert order == ["left"] * 24 + ["middle"] * 3 + ["right"] * 24
