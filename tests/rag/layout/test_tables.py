"""A table's values are read with the row and the column that name them."""

from __future__ import annotations

from rag.layout.geometry import Cell, Table
from rag.layout.tables import TableText, carried_over, continued, markdown_lines, read_table


def test_a_merged_header_over_two_rows_names_both_columns() -> None:
    table = Table(
        (
            Cell("Item", 0, 0, rows=2, bold=True),
            Cell("Engine", 0, 1, cols=2, bold=True),
            Cell("Petrol", 1, 1, bold=True),
            Cell("Diesel", 1, 2, bold=True),
            Cell("Fuel tank", 2, 0, cols=3, bold=True),
            Cell("Capacity", 3, 0),
            Cell("45 l", 3, 1),
            Cell("40 l", 3, 2),
            Cell("Gearbox", 4, 0),
            Cell("6-speed", 4, 1, cols=2),
        ),
        5,
        3,
    )
    read = read_table(table)
    assert isinstance(read, TableText)
    assert read.header == ("Item", "Engine Petrol", "Engine Diesel")
    assert read.rows == (
        ("Fuel tank – Capacity", "45 l", "40 l"),
        ("Fuel tank – Gearbox", "6-speed", "6-speed"),
    )


def test_grid_columns_split_by_a_merged_cell_are_one_column() -> None:
    table = Table(
        (
            Cell("", 0, 0), Cell("Parameter", 0, 1), Cell("Diesel", 0, 2),
            Cell("Capacity", 1, 0, cols=2), Cell("1047 cc", 1, 2),
        ),
        2,
        3,
    )  # fmt: skip
    read = read_table(table)
    assert isinstance(read, TableText)
    assert read.header == ("Parameter", "Diesel") and read.rows == (("Capacity", "1047 cc"),)


def test_a_row_under_a_label_merged_downwards_keeps_the_label() -> None:
    table = Table.of_rows([["Size", "Version", "Front"], ["175/65", "Petrol", "2.3 bar"],
                          ["", "Diesel", "2.5 bar"]])  # fmt: skip
    read = read_table(table)
    assert isinstance(read, TableText)
    assert read.rows[1] == ("175/65", "Diesel", "2.5 bar")


def test_a_row_of_figures_is_a_record_not_a_header() -> None:
    read = read_table(Table.of_rows([["Overall length", "4,120 mm"], ["Width", "1,765 mm"]]))
    assert isinstance(read, TableText) and read.header == ()
    assert markdown_lines(read) == ["- Overall length: 4,120 mm", "- Width: 1,765 mm"]


def test_a_table_set_bold_all_through_is_records_not_a_header_of_every_row() -> None:
    rows = [["Oil pressure", "395 kPa"], ["Fuel pressure", "375 kPa"], ["Gravity", "1.22"]]
    bold = [
        Cell(text, r, c, bold=(r, c) != (2, 1))  # one stray cell in another weight
        for r, row in enumerate(rows)
        for c, text in enumerate(row)
    ]
    read = read_table(Table(tuple(bold), 3, 2))
    assert isinstance(read, TableText) and read.header == ()
    assert read.rows == tuple(tuple(row) for row in rows)


def test_bold_labels_beside_plain_values_still_mark_a_bold_header() -> None:
    cells = [
        Cell("Item", 0, 0, bold=True), Cell("Petrol", 0, 1, bold=True),
        Cell("Oil", 1, 0, bold=True), Cell("4.5 l", 1, 1),
        Cell("Coolant", 2, 0, bold=True), Cell("6 l", 2, 1),
    ]  # fmt: skip
    read = read_table(Table(tuple(cells), 3, 2))
    assert isinstance(read, TableText) and read.header == ("Item", "Petrol")


def test_a_box_of_one_column_is_a_note() -> None:
    read = read_table(Table.of_rows([["NOTE"], ["Check the pres-"], ["sure when cold."]]))
    assert read == "NOTE: Check the pressure when cold."


def test_a_headerless_continuation_takes_the_header_of_the_table_before() -> None:
    before = TableText(("Parameter", "Diesel", "Petrol"), (("Power", "70 PS", "85 PS"),))
    after = TableText((), (("Top speed", "150 km/h", "160 km/h"),))
    assert continued(after, before).header == before.header
    narrower = TableText((), (("Top speed", "150 km/h"),))
    assert continued(narrower, before).header == ()


def test_a_row_broken_by_the_page_ends_on_the_next_page_with_the_row_it_began() -> None:
    before = TableText(("Item", "Value"), (("Idle", "700 rpm"), ("Voltage", "verify that the")))
    after = TableText(("", "voltage reading increases."), (("Brush length", "5.0 mm"),))
    joined = carried_over(after, before)
    assert joined is not None
    assert joined[0].rows[-1] == ("Voltage", "verify that the voltage reading increases.")
    assert joined[1] == TableText((), (("Brush length", "5.0 mm"),))


def test_a_table_opening_with_a_label_or_a_capital_carries_nothing_over() -> None:
    before = TableText((), (("Idle", "700 rpm"),))
    assert carried_over(TableText((), (("Gap", "1.1 mm"),)), before) is None
    assert carried_over(TableText((), (("", "Standard: 1.1 mm"),)), before) is None
    assert carried_over(TableText((), (("", "x", "y"),)), before) is None  # other width
    assert carried_over(TableText(("", "mm"), (("Gap", "1.1"),)), before) is None  # a unit
