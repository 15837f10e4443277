"""Markdown as converters write it: pages from their page breaks, sentences they set as
headings read as sentences, and a table cut by a page read whole."""

from __future__ import annotations

from rag.blocks import Block, from_markdown, joined_across_pages, to_markdown
from rag.chunking import chunk_blocks

PAGES = "Intro text.\n\n<!-- page 2 -->\n\n# Engine\n\nOil text.\n\n{3}------------\n\nMore.\n"


def test_page_markers_give_the_blocks_after_them_their_page() -> None:
    blocks = from_markdown(PAGES)
    assert [(b.text, b.page) for b in blocks] == [
        ("Intro text.", None), ("Engine", 2), ("Oil text.", 2), ("More.", 3),
    ]  # fmt: skip
    chunk = next(c for c in chunk_blocks(blocks) if "Oil" in c.text)
    assert (chunk.page, chunk.page_end) == (2, 3)  # packed with "More." from page 3


def test_rules_of_five_dashes_count_pages_when_there_are_enough_of_them() -> None:
    text = "\n\n-----\n\n".join(f"Page {n} text." for n in range(1, 5))
    assert [b.page for b in from_markdown(text)] == [1, 2, 3, 4]
    assert [b.page for b in from_markdown("One.\n\n-----\n\nTwo.")] == [None, None]


def test_form_feeds_start_pages() -> None:
    assert [b.page for b in from_markdown("One.\fTwo.\fThree.")] == [1, 2, 3]


def test_a_sentence_a_converter_set_as_a_heading_stays_a_sentence() -> None:
    text = "##### If the warning light comes on, the airbag\n\nsystem must be checked."
    blocks = from_markdown(text)
    assert [b.kind for b in blocks] == ["text"]
    assert "airbag system must be checked" in " ".join(blocks[0].lines).replace("\n", " ")


def test_a_table_cut_by_a_page_is_one_table_with_its_header() -> None:
    text = (
        "| Parameter | Diesel | Petrol |\n|---|---|---|\n| Power | 70 PS | 85 PS |\n\n"
        "<!-- page 2 -->\n\n41 Technical data\n\n"
        "| Top speed | 150 km/h | 160 km/h |\n|---|---|---|\n| Length | 3746 mm | 3746 mm |\n"
    )
    (table,) = [b for b in joined_across_pages(from_markdown(text)) if b.kind == "table"]
    assert table.lines[0] == "| Parameter | Diesel | Petrol |"
    assert "| Top speed | 150 km/h | 160 km/h |" in table.lines
    assert (table.page, table.page_end) == (None, 2)


def test_two_tables_of_other_columns_stay_two() -> None:
    text = (
        "| A | B |\n|---|---|\n| a | 1 |\n\n<!-- page 2 -->\n\n"
        "| Name | Value | Unit |\n|---|---|---|\n| x | 1 | mm |\n"
    )
    assert sum(b.kind == "table" for b in joined_across_pages(from_markdown(text))) == 2


def test_blocks_round_trip_to_markdown() -> None:
    text = "# Title\n\nText.\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    assert to_markdown(from_markdown(text)) == text


def test_a_break_ends_a_passage_and_writes_nothing() -> None:
    before, after = Block("text", ("Oil text.",), 2), Block("text", ("Fuel text.",), 3)
    blocks = [before, Block("break", (), 2), after]
    assert [c.text for c in chunk_blocks(blocks)] == ["Oil text.", "Fuel text."]
    assert [c.text for c in chunk_blocks([before, after])] == ["Oil text.\n\nFuel text."]
    assert to_markdown(blocks) == "Oil text.\n\nFuel text.\n"
