"""What a specialist's `sources` event says of each passage: its number, its pages when its
document has them, and a snippet of its text bounded for display."""

from __future__ import annotations

from agents.specialist import SNIPPET_CHARS, snippet, source_refs
from rag.retriever import RetrievedChunk


def chunk(
    text: str = "Rotate the tyres every 10,000 km.",
    page: int | None = None,
    page_end: int | None = None,
) -> RetrievedChunk:
    return RetrievedChunk(
        id="c1",
        text=text,
        source="maintenance/aster-owners-manual.md",
        title="Aster Owner's Manual",
        heading="Tyres > Rotation",
        domain="maintenance",
        score=0.8312,
        page=page,
        page_end=page_end,
    )


def test_a_passage_with_pages_carries_its_page_and_the_page_it_ends_on() -> None:
    (one_page, two_pages) = source_refs([chunk(page=128), chunk(page=128, page_end=129)], [1, 2])
    assert one_page == {
        "n": 1,
        "source": "maintenance/aster-owners-manual.md",
        "title": "Aster Owner's Manual",
        "heading": "Tyres > Rotation",
        "page": 128,
        "score": 0.8312,
        "snippet": "Rotate the tyres every 10,000 km.",
    }
    assert (two_pages["n"], two_pages["page"], two_pages["page_end"]) == (2, 128, 129)


def test_a_passage_without_pages_has_no_page_keys() -> None:
    (ref,) = source_refs([chunk()], [3])
    assert "page" not in ref and "page_end" not in ref
    assert ref["n"] == 3 and ref["snippet"] == "Rotate the tyres every 10,000 km."


def test_an_end_page_equal_to_the_start_page_is_left_out() -> None:
    (ref,) = source_refs([chunk(page=12, page_end=12)], [1])
    assert ref["page"] == 12 and "page_end" not in ref


def test_a_short_passage_is_its_snippet_with_whitespace_collapsed() -> None:
    text = "Check the  tyre pressures\nmonthly,\n\n  when the tyres are cold.\t"
    assert snippet(text) == "Check the tyre pressures monthly, when the tyres are cold."


def test_a_long_passage_is_cut_after_a_whole_word_with_an_ellipsis() -> None:
    text = " ".join(f"word{i:03d}" for i in range(100))  # 799 characters of 7-letter words
    cut = snippet(text)
    assert len(cut) <= SNIPPET_CHARS and cut.endswith("…")
    kept = cut.removesuffix("…").split(" ")
    assert kept == text.split(" ")[: len(kept)]  # whole words only, in order
    assert len(cut) > SNIPPET_CHARS - 10  # and nearly all the room used


def test_the_cut_leaves_no_dangling_punctuation_before_the_ellipsis() -> None:
    text = "a" * 290 + ", thereafter a sentence that does not fit"
    assert snippet(text) == "a" * 290 + "…"


def test_a_single_word_longer_than_the_limit_is_cut_inside_it() -> None:
    assert snippet("x" * 400, limit=20) == "x" * 19 + "…"


def test_table_rows_stay_one_a_line_without_the_separator_row() -> None:
    text = (
        "Cold tyre pressures, in bar.\n\n"
        "| Tyre  | Front | Rear |\n|---|:---:|---|\n| 19-inch | 2.5 | 2.7 |\n\n"
        "Check them\nmonthly."
    )
    assert snippet(text) == (
        "Cold tyre pressures, in bar.\n| Tyre | Front | Rear |\n| 19-inch | 2.5 | 2.7 |\n"
        "Check them monthly."
    )


def test_every_snippet_fits_the_limit_whatever_the_text() -> None:
    for text in ["", " \n ", "a " * 500, "| a | b |\n" * 80, "word " * 59 + "wordy" * 10]:
        assert len(snippet(text)) <= SNIPPET_CHARS
    assert source_refs([chunk(text=" \n")], [1])[0].get("snippet") is None
