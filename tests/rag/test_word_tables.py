"""A Word table's merged cells are read once: a label merged across columns once, a label merged
downwards on each row it labels, lines of text a converter merged over rows once each."""

from __future__ import annotations

from rag.readers.word_tables import (
    Slot,
    Span,
    column_texts,
    laid_out_in_lines,
    one_label,
    repeats_across,
    side_by_side,
    spans,
    staggered,
    table_lines,
    table_parts,
)

LEFT = (
    "Follow these guidelines to enhance",
    "your safety: perform all routine",
    "and regular inspections specified",
    "in this manual.",
)
RIGHT = (
    "Even if you have ridden other",
    "vehicles, practise riding in a safe",
    "area to become familiar with how",
    "this vehicle works and handles.",
)


def _page_of_lines(page_number: str = "3") -> list[list[Slot]]:
    """Two columns of text as a converter sets them: one row per line of either column, each
    line merged over two rows, the right column's a row lower; the page's number beside
    them, merged down the whole table."""
    left = [Slot(n, text) for n, text in enumerate(LEFT)]
    right = [Slot(10 + n, text) for n, text in enumerate(RIGHT)]
    number = Slot(20, page_number)
    rows = [[left[0], Slot(30, ""), number]]
    for n in range(len(LEFT)):
        below = left[n + 1] if n + 1 < len(LEFT) else Slot(31, "")
        rows += [[left[n], right[n], number], [below, right[n], number]]
    return rows


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _slots(*texts: str, first: int) -> list[Slot]:
    return [Slot(first + n, text) for n, text in enumerate(texts)]


def test_a_label_merged_across_columns_is_written_once_and_labels_each_row_it_spans() -> None:
    """ "Tire size" over the label and the position columns, merged down over the front and
    rear rows: the row reads "Tire size, Front: 80/90-17", not "Tire size, Tire size, …"."""
    title, size, kind = Slot(0, "Service data"), Slot(1, "Tire size"), Slot(6, "Tire type")
    rows = [
        [title, title, title, Slot(9, "")],
        [size, size, Slot(2, "Front"), Slot(3, "80/90-17 44P")],
        [size, size, Slot(4, "Rear"), Slot(5, "80/90-17 50P")],
        [kind, kind, kind, Slot(7, "Bias-ply, tube")],
    ]
    assert table_lines(rows) == [
        _row("Service data", "", "", ""),
        "|---|---|---|---|",
        _row("Tire size", "", "Front", "80/90-17 44P"),
        _row("Tire size", "", "Rear", "80/90-17 50P"),
        _row("Tire type", "", "", "Bias-ply, tube"),
    ]


def test_a_value_merged_across_columns_is_each_named_column_s_value() -> None:
    gearbox = Slot(5, "6-speed manual")
    rows = [
        _slots("Specification", "1.2 Petrol", "1.5 Diesel", first=0),
        [Slot(4, "Gearbox"), gearbox, gearbox],
    ]
    assert table_lines(rows)[2] == _row("Gearbox", "6-speed manual", "6-speed manual")


def test_a_value_merged_across_columns_without_names_of_their_own_is_written_once() -> None:
    header, weight = Slot(1, "Value"), Slot(3, "117 kg")
    rows = [[Slot(0, "Item"), header, header], [Slot(2, "Curb weight"), weight, weight]]
    assert table_lines(rows) == [
        _row("Item", "Value", ""),
        "|---|---|---|",
        _row("Curb weight", "117 kg", ""),
    ]


def test_a_label_across_the_whole_row_is_written_once() -> None:
    group = Slot(9, "Capacities")
    rows = [
        _slots("Item", "1.2 Petrol", "1.5 Diesel", first=0),
        [group, group, group],
        _slots("Fuel tank", "45 litres", "40 litres", first=3),
    ]
    assert table_lines(rows) == [
        _row("Item", "1.2 Petrol", "1.5 Diesel"),
        "|---|---|---|",
        _row("Capacities", "", ""),
        _row("Fuel tank", "45 litres", "40 litres"),
    ]


def test_lines_of_text_merged_over_staggered_rows_are_each_written_once() -> None:
    """A page's two columns of text laid out by a converter as a table of lines: each cell
    merged over two rows, those of the next column a row lower."""
    left = [Slot(1, "Follow these guidelines:"), Slot(3, "Perform all inspections")]
    right = [Slot(2, "Even if you have ridden"), Slot(4, "practise in a safe area")]
    rows = [
        _slots("Safety", "Practice", first=10),
        [left[0], Slot(0, "")],
        [left[0], right[0]],
        [left[1], right[0]],
        [left[1], right[1]],
        [Slot(5, ""), right[1]],
    ]
    assert table_lines(rows) == [
        _row("Safety", "Practice"),
        "|---|---|",
        _row("Follow these guidelines:", ""),
        _row("", "Even if you have ridden"),
        _row("Perform all inspections", ""),
        _row("", "practise in a safe area"),
    ]


def test_a_row_where_no_cell_starts_goes() -> None:
    """Both cells merged down over two rows, as a converter splits a row at a line of the
    table beside it: the second row says nothing the first did not."""
    label, value = Slot(2, "Tire type"), Slot(3, "Bias-ply, tube")
    rows = [_slots("Item", "Value", first=0), [label, value], [label, value]]
    assert table_lines(rows)[2:] == [_row("Tire type", "Bias-ply, tube")]


def test_rows_word_marks_as_header_rows_are_the_header() -> None:
    rows = [
        _slots("Load", "Front", "Rear", first=0),
        _slots("", "bar", "bar", first=3),
        _slots("Normal", "2.3", "2.1", first=6),
    ]
    assert table_lines(rows, marked_header_rows=2) == [
        _row("Load", "Front bar", "Rear bar"),
        "|---|---|---|",
        _row("Normal", "2.3", "2.1"),
    ]
    assert table_lines(rows)[:3] == [
        _row("Load", "Front", "Rear"),
        "|---|---|---|",
        _row("", "bar", "bar"),
    ]


def test_a_first_row_giving_a_measure_over_rows_of_measures_is_a_record_not_the_header() -> None:
    rows = [
        _slots("Spark plug gap", "0.8 - 0.9 mm", first=0),
        _slots("Idle speed", "1,400 ± 100 rpm", first=2),
        _slots("Engine oil capacity", "1.0 US qt (0.9 L)", first=4),
    ]
    assert table_lines(rows) == [
        "- Spark plug gap: 0.8 - 0.9 mm",
        "- Idle speed: 1,400 ± 100 rpm",
        "- Engine oil capacity: 1.0 US qt (0.9 L)",
    ]


def test_a_header_of_intervals_over_marks_stays_the_header() -> None:
    rows = [
        _slots("Item", "1,000 km", "6,000 km", first=0),
        _slots("Engine oil", "R", "R", first=3),
        _slots("Drive chain", "I", "L", first=6),
    ]
    assert table_lines(rows)[0] == _row("Item", "1,000 km", "6,000 km")


def test_a_header_naming_variants_by_figures_without_units_stays_the_header() -> None:
    rows = [
        _slots("Specification", "1.2 Petrol", "1.5 Diesel", first=0),
        _slots("Power", "63 kW", "81 kW", first=3),
    ]
    assert table_lines(rows)[0] == _row("Specification", "1.2 Petrol", "1.5 Diesel")


def test_cells_beside_each_other_stagger_when_their_rows_overlap_without_nesting() -> None:
    placed = {
        1: Span(top=0, bottom=1, left=0, right=0),
        2: Span(top=1, bottom=2, left=1, right=1),  # a row lower than 1: staggered
        3: Span(top=0, bottom=3, left=2, right=2),  # holds 2's rows: a label over them
        4: Span(top=2, bottom=3, left=0, right=0),  # under 1, not beside it
    }
    assert staggered(placed) == {1, 2, 4}
    assert staggered(spans([[Slot(1, "a"), Slot(2, "b")], [Slot(1, "a"), Slot(3, "c")]])) == set()


def test_a_merged_cell_repeats_across_only_columns_of_names_of_their_own() -> None:
    names = ["Item", "Front", "Rear", ""]
    assert repeats_across(Span(1, 1, 1, 2), names, 4)
    assert not repeats_across(Span(1, 1, 0, 1), names, 4)  # the row's label
    assert not repeats_across(Span(1, 1, 2, 3), names, 4)  # over a column without a name
    assert not repeats_across(Span(1, 1, 1, 2), ["Item", "Size", "Size", ""], 4)


def test_a_table_laid_out_in_lines_is_read_a_column_at_a_time() -> None:
    rows = _page_of_lines()
    assert laid_out_in_lines(rows)
    assert table_parts(rows) == [list(LEFT), list(RIGHT), ["3"]]


def test_a_column_s_text_takes_each_cell_once_where_it_starts() -> None:
    title = Slot(1, "Safety")
    rows = [
        [title, title],
        [Slot(2, "First line"), Slot(3, "Beside it")],
        [Slot(2, "First line"), Slot(4, "Second\nparagraph")],
    ]
    assert column_texts(rows) == [["Safety", "First line"], ["Beside it", "Second", "paragraph"]]


def test_a_table_with_a_few_staggered_cells_is_still_a_table() -> None:
    """A specifications table where a two-line label and a two-line value stagger: the rows
    keep their meaning."""
    label, value = Slot(3, "Recommended engine oil"), Slot(4, "SAE 10W-30")
    rows = [
        _slots("Item", "Value", first=0),
        [label, Slot(5, "")],
        [label, value],
        [Slot(6, ""), value],
        _slots("Spark plug gap", "0.8 - 0.9 mm", first=7),
    ]
    assert not laid_out_in_lines(rows)
    assert table_parts(rows)[0][-1] == _row("Spark plug gap", "0.8 - 0.9 mm")


def _specifications() -> list[list[Slot]]:
    """Two tables of a specifications page joined into one by a converter: labels and
    figures, then labels and figures again, the first under its title."""
    rows = [_slots("Main components", "", "Displacement", "125 cm3", first=0)]
    left = [("Overall length", "1,960 mm"), ("Overall width", "805 mm"), ("Wheelbase", "1,255 mm")]
    right = [("Fuel", "Unleaded"), ("Tank capacity", "5.3 L"), ("Battery", "12 V-3.5 Ah")]
    for n, ((a, b), (c, d)) in enumerate(zip(left, right, strict=True)):
        rows.append(_slots(a, b, c, d, first=10 + 4 * n))
    return rows


def test_two_tables_a_converter_joined_side_by_side_are_read_as_two() -> None:
    rows = _specifications()
    assert side_by_side(rows) == [2]
    first, second = table_parts(rows)
    assert first[2:] == [
        _row("Overall length", "1,960 mm"),
        _row("Overall width", "805 mm"),
        _row("Wheelbase", "1,255 mm"),
    ]
    assert second == [  # records, no header
        "- Displacement: 125 cm3",
        "- Fuel: Unleaded",
        "- Tank capacity: 5.3 L",
        "- Battery: 12 V-3.5 Ah",
    ]


def test_a_column_of_words_after_figures_with_none_after_it_is_the_same_table() -> None:
    """ "Remarks" right of the figures: a column of the table, not a table of its own."""
    rows = [_slots("Item", "Front", "Rear", "Remarks", first=0)]
    for n, name in enumerate(("Tyre pressure", "Tread depth", "Wheel nuts")):
        rows.append(_slots(name, f"{n}.1 bar", f"{n}.2 bar", "when cold", first=10 + 4 * n))
    assert side_by_side(rows) == []


def test_a_cell_across_the_edge_keeps_the_table_whole() -> None:
    rows = _specifications()
    note = Slot(99, "Figures for the standard version")
    rows.append([note, note, note, note])
    assert side_by_side(rows) == []


def test_a_header_naming_every_column_keeps_the_table_whole() -> None:
    """Labels again right of figures ("Tool" after "Size"), under one header: one table."""
    rows = [_slots("Part", "Size", "Tool", "Torque", first=0)]
    for n, part in enumerate(("Wheel nut", "Drain plug", "Caliper bolt")):
        rows.append(_slots(part, f"M{12 + n}", "Socket", f"{30 + n} Nm", first=10 + 4 * n))
    assert side_by_side(rows) == []


def test_sub_labels_beside_a_row_s_label_make_one_label_with_it() -> None:
    names = ["Service data", "", ""]
    body = [
        ["Tire size", "Front", "80/90-17 44P"],
        ["Tire size", "Rear", "80/90-17 50P"],
        ["Tire type", "", "Bias-ply, tube"],
        ["Tire pressure", "Front", "25 psi"],
        ["Tire pressure", "Rear", "33 psi"],
        ["Spark plug", "", "CPR6EA-9"],
        ["Spark plug gap", "", "0.8 - 0.9 mm"],
        ["Idle speed", "", "1,400 rpm"],
        ["Battery", "", "12 V-3.5 Ah"],
    ]
    header, rows = one_label(names, body)
    assert header == ["Service data", ""]
    assert rows[:3] == [
        ["Tire size – Front", "80/90-17 44P"],
        ["Tire size – Rear", "80/90-17 50P"],
        ["Tire type", "Bias-ply, tube"],
    ]


def test_a_column_filled_on_every_row_is_a_column_not_a_sub_label() -> None:
    names = ["Bulb", "Type", "Bolt", "Torque"]
    body = [
        ["Headlight", "LED", "Muffler bolt", "9 Nm"],
        ["Taillight", "LED", "Cover bolt", "12 Nm"],
        ["Turn signal", "LED", "Stand bolt", "40 Nm"],
    ]
    assert one_label(names, body) == (names, body)


def test_a_column_s_name_run_down_into_the_body_is_no_row_s_value() -> None:
    """A converter stretched the header's cell down the table: it names the column once."""
    replace = Slot(2, "Regular replace")
    group = Slot(3, "Emission items")
    rows = [
        [group, Slot(0, "Item"), Slot(1, "Interval"), replace],
        [group, Slot(4, "Engine oil"), Slot(5, "6,000 km"), replace],
        [group, Slot(6, "Air cleaner"), Slot(7, "12,000 km"), replace],
    ]
    assert table_lines(rows)[2:] == [
        _row("Emission items", "Engine oil", "6,000 km", ""),
        _row("Emission items", "Air cleaner", "12,000 km", ""),
    ]
