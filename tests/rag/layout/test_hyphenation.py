"""Lines of a paragraph joined: hyphenation at a line end undone, other hyphens kept."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from rag.layout.hyphenation import join_lines, vocabulary


def test_a_word_broken_at_a_line_end_is_joined() -> None:
    assert join_lines(["Fill the con-", "tainer to the re-", "spective mark."]) == (
        "Fill the container to the respective mark."
    )


def test_a_compound_the_document_writes_with_its_hyphen_keeps_it() -> None:
    known = vocabulary(["Our four-wheel drive models"])
    assert join_lines(["the four-", "wheel drive"], known) == "the four-wheel drive"
    assert join_lines(["the four-", "wheel drive"]) == "the fourwheel drive"


def test_a_hyphen_before_a_capital_or_a_digit_belongs_to_the_word() -> None:
    assert join_lines(["Wi-", "Fi and CO-", "Pilot, 0-", "100 km/h"]) == (
        "Wi-Fi and CO-Pilot, 0-100 km/h"
    )


def test_soft_hyphens_and_blank_lines_leave_no_trace() -> None:
    assert join_lines(["tem\u00ad", "perature", "", "range"]) == "temperature range"


@given(st.lists(st.text(alphabet="abc de", min_size=1, max_size=12), max_size=6))
def test_lines_without_hyphens_are_joined_by_single_spaces(lines: list[str]) -> None:
    joined = join_lines(lines)
    assert joined == " ".join(x.strip() for x in lines if x.strip())
