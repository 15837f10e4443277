"""A table's footnotes ("*1" in a cell, "*1: …" under the table) kept with the rows they
qualify."""

from __future__ import annotations

from rag.blocks import Block
from rag.layout.footnotes import attach_footnotes, note, notes

TABLE = Block(
    "table",
    (
        "|  | Model |",
        "|---|---|",
        "| Overall length | 171.9 in. (4365 mm)*1 173.0 in. (4395 mm)*2 |",
        "| Overall height*3 | 61.0 in. (1550 mm) |",
        "| Wheelbase | 102.4 in. (2600 mm)*12 |",
    ),
    page=1,
)
NOTES = Block("text", ("*1: Except sport grade models",), page=1)
MORE = Block("text", ("*2: Sport grade models",), page=1)
THIRD = Block("text", ("*3 Unladen vehicle",), page=1)


def test_a_footnote_line_gives_its_mark_and_text() -> None:
    assert note("*1: Except sport grade models") == ("*1", "Except sport grade models")
    assert note("\\# - Kms or Months whichever occurs earlier") == (
        "#",
        "Kms or Months whichever occurs earlier",
    )
    assert note("† Not in Canada") == ("†", "Not in Canada")
    assert note("1. Stop the vehicle safely.") is None
    assert note("Check the oil level.") is None
    assert notes(Block("text", ("*1: One", "Then a sentence."))) == {}


def test_each_mark_in_a_row_carries_its_note_where_it_stands() -> None:
    table, *rest = attach_footnotes([TABLE, NOTES, MORE, THIRD])
    assert table.lines[2] == (
        "| Overall length | 171.9 in. (4365 mm) (Except sport grade models) "
        "173.0 in. (4395 mm) (Sport grade models) |"
    )
    assert table.lines[3] == "| Overall height (Unladen vehicle) | 61.0 in. (1550 mm) |"
    assert table.lines[4] == TABLE.lines[4]  # "*12" is not "*1"
    assert rest == []  # in their rows now, the notes are not read again apart


def test_a_note_whose_mark_no_cell_has_stays_where_it_is() -> None:
    unused = Block("text", ("*7: Export models only",), page=1)
    assert attach_footnotes([TABLE, NOTES, unused])[1:] == (unused,)
    both = Block("list", ("- *1: Except sport grade models", "- *7: Export models only"))
    assert attach_footnotes([TABLE, both])[1] == Block("list", ("- *7: Export models only",))


def test_a_mark_that_leads_a_cell_has_its_note_after_the_value() -> None:
    schedule = Block("table", ("| Item | Every |", "|---|---|", "| Coolant | # 60K / 36M |"))
    legend = Block("text", ("\\# - Kms or Months whichever occurs earlier",))
    (table,) = attach_footnotes([schedule, legend])
    assert table.lines[2] == "| Coolant | 60K / 36M (Kms or Months whichever occurs earlier) |"


def test_a_label_value_list_is_annotated_too() -> None:
    pairs = Block("table", ("- Pedal clearance*1: 3.4 in. (87 mm)",))
    note_block = Block("list", ("- *1: With the engine running",))
    assert attach_footnotes([pairs, note_block])[0].lines == (
        "- Pedal clearance (With the engine running): 3.4 in. (87 mm)",
    )


def test_notes_past_a_heading_or_another_table_are_not_the_tables() -> None:
    heading = Block("heading", ("Weights",), level=2)
    assert attach_footnotes([TABLE, heading, NOTES])[0] == TABLE
    other = Block("table", ("| a | b |", "|---|---|", "| c | d |"))
    assert attach_footnotes([TABLE, other, NOTES])[0] == TABLE
