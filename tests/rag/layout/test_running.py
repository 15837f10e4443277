"""Running headers, footers and page numbers are found by repeating, and only they go."""

from __future__ import annotations

from rag.layout.running import page_number_line, without_running_lines
from tests.rag.layout.words import line, page

WORDS = ("Braking", "Steering", "Lighting", "Heating", "Parking", "Towing", "Fuelling", "Seating")


def _manual(pages: int) -> list:  # type: ignore[type-arg]
    return [
        page(
            n,
            line("Owner's Manual · Vela", 50, 20, size=8),
            line(f"Chapter {1 + n // 4}", 450, 20, size=8),
            line(f"Body text that differs on page {n}.", 50, 120),
            line(f"{WORDS[n % len(WORDS)]} starts this page where every page starts.", 50, 100),
            line(f"- {n} -", 290, 770, size=8),
        )
        for n in range(1, pages + 1)
    ]


def test_a_line_repeated_at_the_same_height_is_a_running_header() -> None:
    kept = without_running_lines(_manual(6))
    texts = [ln.text for p in kept for ln in p.lines]
    assert not any("Owner's Manual" in t for t in texts)
    assert not any(t.startswith("- ") for t in texts)


def test_a_chapter_title_in_small_type_at_the_top_goes_even_as_it_changes() -> None:
    kept = without_running_lines(_manual(8))
    assert not any(ln.text.startswith("Chapter") for p in kept for ln in p.lines)


def test_body_text_stays_even_when_it_starts_every_page_alike() -> None:
    kept = without_running_lines(_manual(6))
    assert all(len(p.lines) == 2 for p in kept)


def test_page_numbers_are_told_in_their_usual_forms() -> None:
    for text in ("41", "- 41 -", "Page 41", "41 / 150", "p. 7", "Page 3 of 12"):
        assert page_number_line(text), text
    for text in ("41 Driving", "Oil 5W-30", "12 V"):
        assert not page_number_line(text), text
