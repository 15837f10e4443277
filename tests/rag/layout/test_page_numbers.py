"""Printed page numbers are told by their sequence: they go, and where a document has no pages
of its own they give it its pages."""

from __future__ import annotations

from rag.blocks import Block
from rag.layout.page_numbers import page_number_blocks, paged_by_numbers, without_page_numbers

PAGE_TEXT = (
    "Check the tyre pressures when the tyres are cold, at least once a month and before a trip."
)


def _text(line: str, page: int | None = None) -> Block:
    return Block("text", (line,), page)


def _pages(*numbers: str, first_page: int | None = None) -> list[Block]:
    """A page of text and then its printed number, for each number; the pages counted from
    `first_page` when the document has pages."""
    blocks = []
    for n, number in enumerate(numbers):
        page = None if first_page is None else first_page + n
        blocks += [_text(f"{PAGE_TEXT} ({n})", page), _text(number, page)]
    return blocks


def test_numbers_that_rise_page_by_page_are_page_numbers_and_go() -> None:
    blocks = _pages("3", "4", "5", first_page=7)
    assert page_number_blocks(blocks) == {1: 3, 3: 4, 5: 5}
    assert [b.text for b in without_page_numbers(blocks)] == [
        f"{PAGE_TEXT} (0)",
        f"{PAGE_TEXT} (1)",
        f"{PAGE_TEXT} (2)",
    ]


def test_page_numbers_may_be_written_as_words_or_between_dashes() -> None:
    blocks = _pages("Page 12", "- 13 -", "Page 14 of 80")
    assert list(page_number_blocks(blocks).values()) == [12, 13, 14]


def test_a_page_left_without_a_number_does_not_break_the_sequence() -> None:
    blocks = [
        *_pages("8", first_page=12),
        _text(PAGE_TEXT, 13),  # a full-page picture's page, unnumbered
        *_pages("10", "11", first_page=14),
    ]
    assert list(page_number_blocks(blocks).values()) == [8, 10, 11]


def test_two_numbers_are_not_yet_a_sequence() -> None:
    assert page_number_blocks(_pages("4", "5", first_page=8)) == {}


def test_numbers_out_of_step_with_the_pages_are_content() -> None:
    """Three figures of a list, each a paragraph, on one page: not that page's number."""
    blocks = [_text(PAGE_TEXT, 4), _text("1", 4), _text("2", 4), _text("3", 4)]
    assert page_number_blocks(blocks) == {}


def test_a_figure_s_callouts_are_not_page_numbers() -> None:
    """Without pages to go by, numbers a few words apart are callouts, not pages."""
    blocks = [_text("1"), _text("Fuel cap"), _text("2"), _text("Dipstick"), _text("3")]
    assert page_number_blocks(blocks) == {}


def test_a_document_without_pages_takes_them_from_its_printed_numbers() -> None:
    blocks = [*_pages("3", "4", "5"), _text("The back cover.")]
    paged = paged_by_numbers(blocks)
    assert [(b.text, b.page) for b in paged] == [
        (f"{PAGE_TEXT} (0)", 3),
        (f"{PAGE_TEXT} (1)", 4),
        (f"{PAGE_TEXT} (2)", 5),
        ("The back cover.", 6),
    ]


def test_numbers_at_the_top_of_the_pages_start_them() -> None:
    blocks = [_text("3"), _text(PAGE_TEXT), _text("4"), _text(PAGE_TEXT), _text("5")]
    blocks.append(_text("The last page."))
    assert [b.page for b in paged_by_numbers(blocks)] == [3, 4, 5]


def test_a_document_with_pages_keeps_them() -> None:
    blocks = _pages("3", "4", "5", first_page=7)
    assert [b.page for b in paged_by_numbers(blocks)] == [7, 8, 9]
