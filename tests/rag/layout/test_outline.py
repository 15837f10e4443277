"""A PDF's outline names headings: a line on an entry's page that says its title is one."""

from __future__ import annotations

from rag.blocks import Block
from rag.layout.outline import Entry, with_outline

BLOCKS = (
    Block("heading", ("Owner's Manual",), 1, level=1),
    Block("heading", ("Maintenance",), 11, level=2),
    Block("text", ("Have the car serviced every year.",), 11),
    Block("text", ("Paint and corrosion",), 14),
    Block("text", ("The body is warranted for twelve years.",), 14),
)


def test_a_line_the_outline_names_is_a_heading_at_its_depth() -> None:
    outline = [Entry("Maintenance", 11, 0), Entry("Paint and corrosion", 14, 1)]
    blocks = with_outline(BLOCKS, outline)
    assert blocks[1] == BLOCKS[1]  # depth 0 is where the type put it: level 2
    assert blocks[3] == Block("heading", ("Paint and corrosion",), 14, level=3)
    assert blocks[4] == BLOCKS[4]


def test_an_entry_no_line_on_its_page_says_is_passed_over() -> None:
    outline = [Entry("ZICA 08 Maintenance", 11, 0), Entry("Paint and corrosion", 13, 1)]
    assert with_outline(BLOCKS, outline) == BLOCKS


def test_titles_match_whatever_their_case_and_spacing() -> None:
    blocks = with_outline(BLOCKS, [Entry("PAINT  AND CORROSION", 14, 0)])
    assert blocks[3].kind == "heading" and blocks[3].level == 1
