"""Ruled tables from the lines a page draws: ruled down and across, or only across."""

from __future__ import annotations

from rag.layout.grid import Edge, find_tables, sub_rows
from rag.layout.tables import TableText, read_table
from tests.rag.layout.words import line, word


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


def test_sub_labels_level_with_the_value_s_lines_make_a_row_each() -> None:
    label = [line("Oil capacity", 40, 100), line("(drain and refill)", 40, 112),
             line("With filter", 50, 124), line("Without filter", 50, 148)]  # fmt: skip
    value = [line("1.8 L engine", 170, 124), line("4.4 qt. (4.2 L)", 170, 136),
             line("1.8 L engine", 170, 148), line("4.1 qt. (3.9 L)", 170, 160)]  # fmt: skip
    assert sub_rows(label, value) == [
        ("Oil capacity (drain and refill) With filter", "1.8 L engine 4.4 qt. (4.2 L)"),
        ("Oil capacity (drain and refill) Without filter", "1.8 L engine 4.1 qt. (3.9 L)"),
    ]


def test_a_label_wrapped_beside_a_wrapped_value_is_one_row() -> None:
    label = [line("Recommended", 40, 100), line("engine oil", 40, 112)]
    value = [line("API SJ or higher,", 170, 100), line("SAE 10W-30", 170, 112)]
    assert sub_rows(label, value) is None


def test_a_ruled_row_with_sub_labels_is_read_as_a_row_for_each() -> None:
    edges = [_rule(y, 30) for y in (100, 170, 190)] + [Edge(x, 100, x, 190) for x in (30, 160, 350)]
    words = [word("Capacity", 40, 104), word("With", 50, 128), word("filter", 80, 128),
             word("Without", 50, 152), word("filter", 95, 152),
             word("4.4", 170, 128), word("qt.", 190, 128),
             word("4.1", 170, 152), word("qt.", 190, 152),
             word("Tank", 40, 174), word("50", 170, 174), word("L", 185, 174)]  # fmt: skip
    ((table, _),) = find_tables(edges, words)
    read = read_table(table)
    assert isinstance(read, TableText)
    assert read.rows == (
        ("Capacity With filter", "4.4 qt."),
        ("Capacity Without filter", "4.1 qt."),
        ("Tank", "50 L"),
    )


def test_sub_labels_split_every_value_of_the_row_beside_a_group_cell() -> None:
    edges = [_rule(100, 30), _rule(170, 100), _rule(190, 30)]  # "Exterior" spans both rows
    edges += [Edge(x, 100, x, 190) for x in (30, 100, 220, 280, 350)]
    words = [word("Exterior", 40, 140), word("Headlights", 110, 104),
             word("Low", 110, 128), word("beam", 135, 128),
             word("High", 110, 152), word("beam", 140, 152),
             word("9006", 230, 128), word("9005", 230, 152),
             word("watts", 290, 104), word("51", 290, 128), word("60", 290, 152),
             word("Fog", 110, 174), word("55", 290, 174)]  # fmt: skip
    ((table, _),) = find_tables(edges, words)
    read = read_table(table)
    assert isinstance(read, TableText)
    assert [row[1:] for row in read.rows] == [
        ("Headlights Low beam", "9006", "watts 51"),  # a line above the sub-labels: the first
        ("Headlights High beam", "9005", "60"),
        ("Fog", "", "55"),
    ]
