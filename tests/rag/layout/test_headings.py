"""Headings by type: larger than the body, or bold and alone; labels are not headings."""

from __future__ import annotations

from rag.layout.headings import label, type_scale
from tests.rag.layout.words import line, page

BODY = "Body text set in the size most letters of the document are set in."


def test_sizes_larger_than_the_body_are_heading_levels_largest_first() -> None:
    pages = [page(1, line("Chapter", 50, 40, size=18, bold=True),
                  line("Section", 50, 70, size=13, bold=True),
                  line("Sub-section", 50, 90, bold=True),
                  *[line(BODY, 50, 110 + 14 * i) for i in range(8)])]  # fmt: skip
    scale = type_scale(pages)
    levels = [scale.level(ln) for ln in pages[0].lines[:4]]
    assert levels == [1, 2, 3, None]


def test_a_bold_word_in_capitals_is_a_label_and_a_sentence_is_never_a_heading() -> None:
    pages = [page(1, *[line(BODY, 50, 110 + 14 * i) for i in range(4)])]
    scale = type_scale(pages)
    assert label(line("WARNING", 50, 40, bold=True))
    assert scale.level(line("WARNING", 50, 40, bold=True)) is None
    sentence = "This bold line is a whole sentence of advice, not a title at all."
    assert scale.level(line(sentence, 50, 40, bold=True)) is None
