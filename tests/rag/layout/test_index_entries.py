"""One line of an index or a table of contents: a term and its pages, and how sure its form is;
a figure with its unit, a sentence or a cross-reference is none."""

from __future__ import annotations

from rag.layout.index_entries import entry


def test_an_entry_is_a_term_and_its_pages_with_or_without_a_leader() -> None:
    assert entry("Engine oil ........ 6-12") is not None
    assert entry("Tyres, pressure 145, 210") is not None
    assert entry("Safety Labels.......P. 6") is not None
    assert entry("- Seats and seat belts (page 13)") is not None
    assert entry("Winter driving...................291 C") is not None  # the next letter ran on


def test_columns_run_together_on_one_line_are_each_an_entry() -> None:
    line = (
        "Driving and Driving Safety........ 147 Storage and Roof Transport ........203 "
        "Ignition Lock, Steering Lock .....148 Exercise Extreme Caution when Working"
    )
    found = entry(line)
    assert found is not None and found.count == 3


def test_a_figure_with_its_unit_a_sentence_or_a_cross_reference_is_no_entry() -> None:
    assert entry("Cylinder head bolts ........ 25 Nm") is None
    assert entry("Battery ..... 12 V") is None
    assert entry("Spark plug gap ..... 0.8") is None
    assert entry("Idle speed 1,400") is None
    assert entry("Remove the seat (page 33).") is None
    assert entry("Check for a blown fuse. 2 P. 77") is None
    assert entry("Set the fan speed to 3") is None
    assert entry("For tire pressures see page 186") is None
    assert entry("Cylinders: 4") is None


def test_a_bare_number_after_a_short_term_is_only_a_weak_entry() -> None:
    found = entry("Cylinders 4")
    assert found is not None and found.strength == "bare"


def _strength(line: str) -> str | None:
    found = entry(line)
    return found.strength if found else None


def test_only_a_page_word_marks_a_line_as_a_reference_for_sure() -> None:
    assert _strength("Safety Labels.......P. 6") == "marked"
    assert _strength("Keys......P. 80 Instruments......P. 81 Care......P. 82") == "marked"
    # a value in a list of specifications may stand after a leader, a step end in a page
    assert _strength("Seating capacity ........ 5") == "leader"
    assert _strength("Fuse box (P.77)") == "bracketed"
    assert _strength("Tyres, pressure 145, 210") == "bracketed"
    assert _strength("Towing 88") == "bare"


def test_a_line_longer_than_any_entry_is_prose_and_is_not_matched() -> None:
    assert entry("A line of notes. " * 10_000 + "12") is None
    assert entry("Engine oil " + "." * 700 + " 12") is None
