"""An answer that falls into a loop is told apart from one that repeats only its shape."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.runaway import MIN_SPAN, LoopWatch, looping

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize(
    "text",
    [
        "Service " * 10,
        "The Aster has a range of 430 km. " + "Check the tyre pressure every month. " * 3,
        "Yes." + "a" * MIN_SPAN,
        "It is fine. " + "Service " * 10 + "Servi",
    ],
    ids=["a word", "a sentence", "a letter", "unfinished"],
)
def test_text_repeated_at_the_end_loops(text: str) -> None:
    assert looping(text)


@pytest.mark.parametrize(
    "text",
    [
        "Service " * 9,  # 72 characters: too short to be sure
        "Check the oil. Check the oil. Then drive on.",
        "| Item | 10,000 km | 20,000 km |\n" + "|---" * 40,  # a rule has no letter
        "1. Check the fuse.\n2. Check the fuse box.\n3. Check the fuse rating.\n" * 2,
    ],
    ids=["short", "said twice", "table rule", "a list"],
)
def test_shape_repeated_or_short_repeats_do_not(text: str) -> None:
    assert not looping(text)


def test_no_page_of_our_documentation_reads_as_a_loop_at_any_point() -> None:
    for page in DOCS.glob("*.md"):
        text = page.read_text(encoding="utf-8")
        looped = [at for at in range(MIN_SPAN, len(text), 16) if looping(text[:at])]
        assert not looped, f"{page.name} loops before {text[looped[0] - 100 : looped[0]]!r}"


def test_a_watch_reads_the_answer_as_it_streams() -> None:
    watch = LoopWatch()
    assert not any(watch.feed(word + " ") for word in ["The", "Aster", "goes", "430", "km"])
    fed = 0
    while not watch.feed("Service "):
        fed += 1
    assert 9 <= fed < 14 and watch.looped
