"""A legend beside a table ("FA = front axle, RA = rear axle") is written out in the table."""

from __future__ import annotations

from rag.blocks import Block
from rag.layout.legends import expand_legends, legend, letter_legend

TABLE = Block(
    "table",
    (
        "| Tyre | Part load FA | Part load RA |",
        "|---|---|---|",
        "| 255/55 R 18 | 37 psi | 42 psi |",
        "| Spare (RA only) | - | 51 psi |",
    ),
    page=312,
)
LEGEND = Block("text", ("FA = front axle, RA = rear axle",), page=312)


def test_a_legend_after_its_table_writes_out_its_header_and_row_labels() -> None:
    table, kept = expand_legends([TABLE, Block("text", ("Set the load first.",)), LEGEND])[::2]
    assert table.lines[0] == "| Tyre | Part load front axle | Part load rear axle |"
    assert table.lines[3].startswith("| Spare (rear axle only) |")
    assert table.lines[2] == TABLE.lines[2]  # values are left as they are
    assert table.page == 312 and kept == LEGEND  # the legend stays, for whoever reads it


def test_a_legend_before_its_table_counts_too_but_not_across_a_heading() -> None:
    assert expand_legends([LEGEND, TABLE])[1].lines[0].endswith("rear axle |")
    heading = Block("heading", ("Spare wheel",), level=2)
    assert expand_legends([TABLE, heading, LEGEND])[0] == TABLE


def test_only_a_block_of_definitions_is_a_legend() -> None:
    assert legend(LEGEND) == {"FA": "front axle", "RA": "rear axle"}
    assert legend(Block("text", ("Note: FA = front axle.",))) == {}
    assert legend(Block("text", ("Torque = force x distance, as the table shows it",))) == {}
    assert legend(Block("list", ("- FA = front axle",))) == {}


def test_a_one_letter_abbreviation_is_written_out_in_the_header_only() -> None:
    table = Block("table", ("| Tyre | P | R |", "|---|---|---|", "| 255/55 R 18 | 2.6 | 2.9 |"))
    legend_block = Block("text", ("P = part load, R = rear axle",))
    expanded = expand_legends([table, legend_block])[0]
    assert expanded.lines[0] == "| Tyre | part load | rear axle |"
    assert expanded.lines[2] == table.lines[2]


BULBS = Block(
    "table",
    (
        "| Light | Bulb No. | W | Type |",
        "|---|---|---|---|",
        "| Headlights Low beam High beam | 9006 9005 | 51 60 | F B |",
        "| Back-up lights | 921 | 16 | C |",
    ),
)
KEYS = Block(
    "list",
    (
        "- B: HB3 halogen bulbs: C: Wedge base bulbs (clear)",
        "- F: HB4 halogen bulbs",
    ),
)


def test_a_column_of_letters_a_legend_keys_is_written_out_in_each_row() -> None:
    (table,) = expand_legends([BULBS, KEYS])
    assert table.lines[2].endswith("| 51 60 | HB4 halogen bulbs, HB3 halogen bulbs |")
    assert table.lines[3].endswith("| 16 | Wedge base bulbs (clear) |")
    assert table.lines[0] == BULBS.lines[0]


def test_a_legend_of_letters_no_table_takes_is_kept() -> None:
    prose = Block("text", ("The bulbs are listed below.",))
    assert expand_legends([prose, KEYS]) == (prose, KEYS)


def test_letters_are_written_out_only_where_every_cell_of_the_column_is_keyed() -> None:
    partly = Block("list", ("- F: HB4 halogen bulbs: B: HB3 halogen bulbs",))  # no C
    assert expand_legends([BULBS, partly])[0] == BULBS


def test_only_lines_of_letters_and_their_meanings_key_letters() -> None:
    assert letter_legend(KEYS) == {
        "B": "HB3 halogen bulbs", "C": "Wedge base bulbs (clear)", "F": "HB4 halogen bulbs"
    }  # fmt: skip
    assert letter_legend(Block("text", ("Note: check the level. A: cold",))) == {}
    assert letter_legend(Block("list", ("- A: one entry alone",))) == {}
