"""A legend beside a table ("FA = front axle, RA = rear axle") is written out in the table."""

from __future__ import annotations

from rag.blocks import Block
from rag.layout.legends import expand_legends, legend

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
