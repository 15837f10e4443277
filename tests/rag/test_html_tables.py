"""An HTML table's merged cells laid out on the grid a browser draws."""

from __future__ import annotations

from rag.readers.html_tables import cell, table_rows


def test_a_header_of_two_rows_names_each_column_by_the_cell_above_it_alone() -> None:
    rows = [
        [cell("Item", rowspan="2", header=True), cell("Interval", colspan="2", header=True)],
        [cell("1,000 km", header=True), cell("10,000 km", header=True)],
        [cell("Oil"), cell("R"), cell("R")],
    ]
    assert table_rows(rows) == [["Item", "1,000 km", "10,000 km"], ["Oil", "R", "R"]]


def test_a_header_whose_rows_each_name_the_column_joins_them() -> None:
    rows = [
        [cell("km", header=True), cell("1,000", header=True), cell("10,000", header=True)],
        [cell("months", header=True), cell("1", header=True), cell("12", header=True)],
        [cell("Oil"), cell("R"), cell("")],
    ]
    assert table_rows(rows)[0] == ["km / months", "1,000 / 1", "10,000 / 12"]


def test_a_cell_spanning_rows_stands_in_each_and_one_spanning_columns_once() -> None:
    rows = [
        [cell("Group"), cell("Item"), cell("Value")],
        [cell("Engine", rowspan="2"), cell("Oil"), cell("4.5 L")],
        [cell("Coolant"), cell("6 L")],
        [cell("Brakes: see the brake chapter", colspan="3")],
    ]
    assert table_rows(rows)[1:] == [
        ["Engine", "Oil", "4.5 L"],
        ["Engine", "Coolant", "6 L"],
        ["Brakes: see the brake chapter", "", ""],
    ]


def test_a_first_row_of_data_cells_names_the_columns_and_bad_spans_count_one() -> None:
    rows = [[cell("Part"), cell("Torque")], [cell("Wheel nut", colspan="x"), cell("110 Nm")]]
    assert table_rows(rows) == [["Part", "Torque"], ["Wheel nut", "110 Nm"]]
