"""A running header left as each page's first paragraph stays where it first stands and goes
from the pages after."""

from __future__ import annotations

from rag.blocks import Block
from rag.layout.running_titles import running_titles, without_running_titles

BODY = "Check the chain slack at several points along the chain."


def _page(page: int, *lines: str) -> list[Block]:
    return [Block("text", (line,), page) for line in lines]


def test_a_line_opening_pages_in_a_row_is_kept_once() -> None:
    blocks = [
        *_page(4, "Maintenance Fundamentals", BODY),
        *_page(5, "Maintenance Fundamentals", BODY),
        *_page(6, "Maintenance Fundamentals", BODY),
        *_page(7, "Specifications", BODY),
    ]
    assert running_titles(blocks) == {2, 4}
    assert [(b.text, b.page) for b in without_running_titles(blocks)] == [
        ("Maintenance Fundamentals", 4),
        (BODY, 4),
        (BODY, 5),
        (BODY, 6),
        ("Specifications", 7),
        (BODY, 7),
    ]


def test_a_title_on_pages_apart_is_not_a_running_header() -> None:
    blocks = [*_page(4, "Drive Chain", BODY), *_page(9, "Drive Chain", BODY)]
    assert running_titles(blocks) == set()


def test_a_sentence_or_a_line_inside_a_page_is_not_a_running_header() -> None:
    blocks = [
        *_page(4, "Park on level ground.", "Drive Chain"),
        *_page(5, "Park on level ground.", "Drive Chain"),
    ]
    assert running_titles(blocks) == set()


def test_a_document_without_pages_has_no_running_headers() -> None:
    blocks = [Block("text", ("Drive Chain",)), Block("text", ("Drive Chain",))]
    assert running_titles(blocks) == set()
