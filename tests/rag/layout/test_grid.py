"""Ruled tables from the lines a page draws: ruled down and across, or only across."""

from __future__ import annotations

from rag.layout.grid import Edge, find_tables
from rag.layout.tables import TableText, read_table
from tests.rag.layout.words import word


def _rule(top: float, x0: float = 50, x1: float = 350) -> Edge:
    return Edge(x0, top, x1, top)


def test_a_grid_of_lines_is_read_cell_by_cell() -> None:
    edges = [_rule(y) for y in (100, 120, 140)] + [Edge(x, 100, x, 140) for x in (50, 200, 350)]
    words = [word("Power", 60, 104), word("70", 210, 104), word("Torque", 60, 124),
             word("140", 210, 124), word("outside", 60, 300)]  # fmt: skip
    ((table, inside),) = find_tables(edges, words)
    assert inside == {0, 1, 2, 3}
    read = read_table(table)
    assert isinstance(read, TableText)
    assert read.rows == (("Power", "70"), ("Torque", "140"))


def test_a_table_ruled_only_across_takes_its_columns_from_aligned_text() -> None:
    edges = [_rule(y) for y in (100, 120, 140, 160)]
    words = [word("Length", 60, 104), word("4120", 210, 104), word("Width", 60, 124),
             word("1765", 210, 124), word("Height", 60, 144), word("1480", 210, 144)]  # fmt: skip
    ((table, _),) = find_tables(edges, words)
    read = read_table(table)
    assert isinstance(read, TableText)
    assert read.rows == (("Length", "4120"), ("Width", "1765"), ("Height", "1480"))


def test_frames_around_paragraphs_are_not_a_table() -> None:
    edges = [_rule(y) for y in (100, 300)] + [Edge(x, 100, x, 300) for x in (50, 200, 350)]
    prose = " ".join(["word"] * 90)
    words = [word(w, 60 + (i % 10) * 12, 104 + (i // 10) * 12) for i, w in enumerate(prose.split())]
    words.append(word("other", 210, 104))
    assert find_tables(edges, words) == []


def test_a_long_cell_of_figures_beside_its_label_is_a_table_not_a_frame_of_prose() -> None:
    edges = [_rule(y) for y in (100, 300)] + [Edge(x, 100, x, 300) for x in (50, 200, 350)]
    value = " ".join(f"{n}.{n} L engine {n}.0 qt. ({n}.5 L)" for n in range(1, 10))  # 54 words
    words = [word("Capacity", 60, 104)]
    words += [word(w, 210 + (i % 6) * 20, 104 + (i // 6) * 12) for i, w in enumerate(value.split())]
    ((table, inside),) = find_tables(edges, words)
    assert len(inside) == len(words)
    read = read_table(table)
    assert isinstance(read, TableText)
    assert read.rows[0][0] == "Capacity"
