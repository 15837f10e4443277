"""The answerer's vocabulary: what a text is about, in the terms a question meets it by."""

from __future__ import annotations

from agents.extraction.vocabulary import terms


def test_a_number_is_one_term_whether_or_not_commas_group_its_thousands() -> None:
    assert terms("Oil Pressure - Minimum at 2,000 RPM") >= terms("at 2000 rpm")
    assert "150000" in terms("replace at 150,000 km")
    assert {"1", "2", "3"} <= terms("cylinders 1,2,3")  # a list, not a number
    assert {"1", "5"} <= terms("1,5 litres")  # a decimal comma, not thousands
