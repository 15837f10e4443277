"""Pictures of text read as words: a recognised line's box shared among its words, confident
lines only, and the engine's bundled models used as shipped."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw, ImageFont

from rag.readers import ocr
from rag.readers.ocr import TextLine, words_of_lines


def test_a_line_box_is_shared_among_its_words_by_their_letters() -> None:
    line = TextLine("Coolant  6.8 l", 100, 40, 240, 63, 0.99)
    words = words_of_lines([line], scale=2.0)
    assert [w.text for w in words] == ["Coolant", "6.8", "l"]
    # 13 letters and spaces over 70 points: "Coolant" takes 7 of them, a space 1, "6.8" 3.
    assert words[0].x0 == pytest.approx(50) and words[0].x1 == pytest.approx(50 + 7 * 70 / 13)
    assert words[1].x0 == pytest.approx(50 + 8 * 70 / 13)
    assert all(w.top == 20 and w.bottom == 31.5 for w in words)
    assert words[0].size == pytest.approx(11.5 / ocr.LOOSE_BOX)


def test_a_line_read_with_little_confidence_or_no_letters_is_left_out() -> None:
    lines = [TextLine("smudge", 0, 0, 50, 20, 0.3), TextLine("  ", 0, 30, 50, 50, 0.99)]
    assert words_of_lines(lines, scale=1.0) == []


@pytest.mark.skipif(not ocr.available(), reason="rapidocr is not installed")
def test_a_picture_of_text_is_read_with_the_bundled_models() -> None:
    picture = Image.new("L", (900, 200), 250)
    draw = ImageDraw.Draw(picture)
    font = ImageFont.load_default(size=34)
    draw.text((40, 40), "Tyre pressure front 2.3 bar", fill=10, font=font)
    words = ocr.read_picture(picture, scale=2.0)
    assert " ".join(w.text for w in words) == "Tyre pressure front 2.3 bar"
    assert 15 <= words[0].x0 <= 25 and words[-1].x1 < 450  # in points: half the pixels
