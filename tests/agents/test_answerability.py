"""When the passages do not answer: each rule on its own, then the answer it makes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from agents.answerability import (
    NOT_FOUND,
    RULES,
    asks_more,
    choose,
    choose_each,
    figure_first,
    figure_missing,
    figures_asked,
    lead_kinds,
    message_missing,
    not_found,
    stated,
    subject_missing,
    unanswered,
)
from agents.extraction import Unit
from tests.utils.scored_units import scored


def unit(text: str, source: int = 1, heading: str = "", label: str = "") -> Unit:
    return Unit(text=text, source=source, rank=0, position=0, heading=heading, label=label)


@pytest.mark.parametrize(
    ("question", "text"),
    [
        ("How much horsepower does the 2.4 L engine make?", "Oil capacity with filter: 4.4 L"),
        ("what torque should the spark plugs be tightened to?", "Spark plug gap: see the label"),
        ("How high is the seat?", "Push down on the rear of the seat until it locks."),
        ("How many miles between oil changes?", "Oil capacity: 0.8 qt. (0.8 L)"),
    ],
)
def test_a_figure_asked_for_that_no_unit_states_is_not_found(question: str, text: str) -> None:
    found = figure_missing(question, [unit(text)])
    assert found is not None and found.rule == "figure_missing"


@pytest.mark.parametrize(
    ("question", "text"),
    [
        ("How much horsepower does it make?", "Maximum output: 74 kW (100 hp) at 5,500 rpm"),
        ("What's the rear tyre pressure?", "Rear: 2.5 bar (36 psi)"),
        ("how often are the spark plugs changed?", "Spark plugs: every 60,000 km or 4 years"),
        # Asked about, not for: the warning light, not a pressure.
        ("The oil pressure light came on, what now?", "Stop the engine and check the oil level."),
        ("Which fluid goes in the power steering?", "Use the recommended fluid."),
        # A capacity that is no volume: what a battery stores, how many seats, how much load.
        ("What is the battery capacity?", "Battery capacity: 60 kWh (usable)"),
        ("What's the seating capacity?", "Number of seats: 5"),
        ("What is the load capacity of the roof rack?", "Maximum roof load: 75 kg"),
    ],
)
def test_a_unit_stating_the_figure_or_a_question_not_asking_for_one_answers(
    question: str, text: str
) -> None:
    assert figure_missing(question, [unit(text)]) is None


def test_a_bare_figure_counts_when_its_heading_names_the_unit() -> None:
    row = unit("Ground clearance: 170", heading="Main dimensions (in mm)")
    assert "length" in stated(row)
    assert figure_missing("What's the ground clearance?", [row]) is None


def test_a_bare_figure_counts_when_the_labels_of_its_record_name_the_unit() -> None:
    asked = "How much gear oil does the front differential hold?"
    assert unanswered(asked, [unit("Oil capacity, qt. (liter): Front: 3.2 (3.0)")]) is None
    assert unanswered(asked, [unit("Oil type: Hypoid gear oil API GL-5")]) is not None


def test_any_chosen_unit_may_state_the_figure() -> None:
    units = [unit("Check the level when the engine is cold."), unit("Capacity: 4.2 L", 2, "Oil")]
    assert unanswered("How much oil does it take?", units) is None


@pytest.mark.parametrize(
    ("question", "text", "heading"),
    [
        ("What's the valve clearance spec?", "Minimum ground clearance: 6.5 in", ""),
        ("whats the turning circle diameter", "Rim diameter: Nominal diameter of the bead", ""),
        ("What's the curb weight?", "Trailer weight rating: 1500 lb. (680 kg)", "Towing"),
    ],
)  # fmt: skip
def test_a_figure_of_something_no_unit_names_is_not_found(
    question: str, text: str, heading: str
) -> None:
    found = subject_missing(question, [unit(text, heading=heading)])
    assert found is not None and found.rule == "subject_missing"


@pytest.mark.parametrize(
    ("question", "text", "heading", "label"),
    [
        # Named in the unit's heading or label, or in any of its words.
        ("How much oil does it take with a filter change?", "With filter: 4.4 L", "Engine oil", ""),
        ("What's the top speed?", "Maximum speed: 180 km/h", "", ""),
        ("Torque for the sump drain plug?", "Tightening torque: 39 N·m", "Drain plug", ""),
        ("What is the front tyre pressure?", "2.3 bar", "", "Front"),
        # Naming none, but the figure of no other thing.
        ("Max weight capacity incl. rider and gear?", "Maximum weight capacity: 265 lb", "", ""),
        ("How much torque does the make?", "Combined torque: 350 Nm", "", ""),
    ],
)  # fmt: skip
def test_a_unit_naming_a_word_of_what_is_asked_about_may_answer(
    question: str, text: str, heading: str, label: str
) -> None:
    assert subject_missing(question, [unit(text, heading=heading, label=label)]) is None


def test_no_unit_at_all_is_not_found() -> None:
    found = unanswered("anything", [])
    assert found is not None and found.rule == "nothing_chosen"


def test_every_rule_is_named_after_its_function() -> None:
    assert {rule.__name__ for rule in RULES} == {
        "figure_missing",
        "subject_missing",
        "message_missing",
    }


def test_the_answer_says_so_and_cites_the_closest_passages() -> None:
    text = not_found([unit("a", 2), unit("b", 2), unit("c", 1), unit("d", 3)])
    assert text == f"{NOT_FOUND} The closest passages I have are [2] and [1]."
    assert not_found([]) == NOT_FOUND


def test_a_missing_figure_says_which_kinds_were_asked_for() -> None:
    found = figure_missing("What torque are the wheel nuts tightened to?", [unit("Tighten them.")])
    assert found is not None and found.wanted == {"torque"}


def test_the_figures_asked_for_are_those_a_value_is_asked_of() -> None:
    assert figures_asked("What torque are the wheel nuts tightened to?") == {"torque"}
    assert figures_asked("The oil pressure light came on, what now?") == frozenset()


def test_choose_answers_with_a_figure_further_down_rather_than_not_found() -> None:
    found = scored(
        ("Have the engine oil changed by a dealer.", 0.97),
        ("Oil and filter: every 15,000 km or 12 months", 0.72),
    )
    units, finding = choose("How often is the engine oil changed?", found)
    assert finding is None
    assert [u.text for u in units] == ["Oil and filter: every 15,000 km or 12 months"]


def test_choose_finds_nothing_stated_when_no_unit_states_the_figure() -> None:
    units, finding = choose("What torque for the wheel nuts?", scored(("Tighten them.", 0.9)))
    assert finding is not None and finding.rule == "figure_missing"
    assert [u.text for u in units] == ["Tighten them."]


def test_choose_with_nothing_scored_answers_nothing() -> None:
    assert choose("anything", None) == ([], None)


TANK_AND_OCTANE = "How big is the fuel tank, and what's the minimum octane?"


def test_each_part_s_lead_answers_in_the_order_the_parts_ask() -> None:
    # The whole message read as one question: the tank's capacity, then a unit close to it.
    whole = scored(
        ("Fuel tank capacity: 50 L", 0.9),
        ("Use unleaded fuel only.", 0.85),
        ("Octane number: 87 or higher", 0.5),
    )
    tank = scored(
        ("Fuel tank capacity: 50 L", 0.9),
        ("Use unleaded fuel only.", 0.6),
        ("Octane number: 87 or higher", 0.5),
    )
    octane = scored(
        ("Fuel tank capacity: 50 L", 0.5),
        ("Use unleaded fuel only.", 0.6),
        ("Octane number: 87 or higher", 0.9),
    )
    units, finding = choose_each(
        TANK_AND_OCTANE,
        whole,
        [("How big is the fuel tank", tank), ("what's the minimum octane?", octane)],
    )
    assert finding is None
    assert [u.text for u in units] == [
        "Fuel tank capacity: 50 L",
        "Octane number: 87 or higher",
        "Use unleaded fuel only.",
    ]


def test_one_part_is_answered_as_the_whole_question() -> None:
    whole = scored(("Fuel tank capacity: 50 L", 0.9))
    assert choose_each("How big is the fuel tank?", whole, []) == choose(
        "How big is the fuel tank?", whole
    )


def test_a_unit_leading_two_parts_is_said_once_as_the_part_asking_what_to_do_has_it() -> None:
    meaning = scored(("Indicates a fault. Consult a dealer as soon as possible.", 0.9))
    todo = replace(
        scored(("Consult a dealer as soon as possible. Indicates a fault.", 0.9)), action=True
    )
    units, _ = choose_each(
        "what does Clutch Fault mean and what should I do?",
        meaning,
        [("what does Clutch Fault mean", meaning), ("what should I do?", todo)],
    )
    assert [u.text for u in units] == ["Consult a dealer as soon as possible. Indicates a fault."]


def test_a_message_nothing_answers_as_a_whole_is_not_answered_by_a_part() -> None:
    whole = scored(("Tighten the axle nut firmly.", 0.9))
    links = scored(("Chain: number of links, 108", 0.9))
    _, finding = choose_each(
        "How many links, and what torque for the axle nut?",
        whole,
        [("How many links", links), ("what torque for the axle nut?", whole)],
    )
    assert finding is not None and finding.rule == "figure_missing"


def test_a_question_asks_more_than_its_figure_with_another_kind_or_a_second_question() -> None:
    for question in (
        "How much oil does it take and what grade?",
        "when does it stop charging, what's the default battery limit?",
    ):
        assert asks_more(question, figures_asked(question)), question
    for question in ("How much gearbox oil goes in the transaxle?", "What is the tyre pressure?"):
        assert not asks_more(question, figures_asked(question)), question


def test_asked_outright_for_a_time_or_a_temperature_a_unit_stating_one_leads() -> None:
    found = scored(
        ("The more you look after the engine when it is new, the better it runs.", 0.9),
        ("Avoid full throttle for the first 1,500 km.", 0.88),
    )
    units, finding = choose("How long is the running-in period?", found)
    assert finding is None
    assert units[0].text == "Avoid full throttle for the first 1,500 km."
    assert lead_kinds("At what temperature does the thermostat open?") == {"temperature"}
    assert lead_kinds("Which oil viscosity is recommended?") == {"grade"}
    # Not for what to do, nor for a question that only mentions a kind.
    assert lead_kinds("What should I do when it is cold?") == frozenset()
    assert lead_kinds("The oil temperature light came on") == frozenset()


def test_a_lead_of_several_sentences_says_the_one_stating_the_figure_first() -> None:
    found = scored(
        (
            "All dimensions are measured vertical to the ground. Trim heights should be within"
            " 13 mm (0.5 in) to be considered correct.",
            0.9,
        ),
    )
    units, _ = choose("How far off can the trim height be?", found)
    assert units[0].text == (
        "Trim heights should be within 13 mm (0.5 in) to be considered correct. All"
        " dimensions are measured vertical to the ground."
    )
    # Asked what to do, the sentences keep their order: the first may be the first step.
    units, _ = choose("What should I do if the trim height is off by 20 mm?", found)
    assert units[0].text.startswith("All dimensions")
    assert figure_first(units[0], frozenset({"length"})).text.startswith("Trim heights")
    assert figure_first(unit("Trim heights should be within 13 mm."), frozenset({"length"})) == (
        unit("Trim heights should be within 13 mm.")
    )
    # A record cut at an abbreviation is no two sentences.
    record = unit("Spark plug gap, in. (mm): 0.031 (0.8)")
    assert figure_first(record, frozenset({"length"})) == record


def test_asked_which_fluid_a_unit_stating_its_grade_leads() -> None:
    found = scored(
        ("For this reason use a sealed 1 L brake fluid container.", 0.9),
        ("Specified brake fluid: DOT3 or DOT4", 0.85),
    )
    units, finding = choose("Which brake fluid should I use?", found)
    assert finding is None
    assert units[0].text == "Specified brake fluid: DOT3 or DOT4"


def test_how_deep_or_how_thick_asks_for_a_value() -> None:
    assert figures_asked("how deep can I wade through water with it?") == {"length"}
    units, finding = choose(
        "how deep can I wade through water with it?",
        scored(
            ("Do not drive through deep or rapidly flowing water.", 0.9),
            ("The water must not be deeper than 50 cm.", 0.85),
        ),
    )
    assert finding is None
    assert units[0].text == "The water must not be deeper than 50 cm."
    # Asked what to do, the advice keeps the lead.
    units, _ = choose(
        "how deep is too deep, what should I do?",
        scored(
            ("Do not drive through deep or rapidly flowing water.", 0.9),
            ("The water must not be deeper than 50 cm.", 0.85),
        ),
    )
    assert units[0].text == "Do not drive through deep or rapidly flowing water."


def test_a_gap_a_thickness_or_a_part_s_play_is_asked_for_as_a_length() -> None:
    for question in (
        "What gap should the spark plugs be set to?",
        "how thin can the brake pads get before they need replacing?",
        "How much free play should the clutch pedal have?",
        "How thick must the brake discs be at the least?",
    ):
        assert figures_asked(question) == {"length"}, question
    _, finding = choose(
        "What gap should the spark plugs be set to?",
        scored(("Installing the spark plugs with the wrong gap can cause poor performance.", 0.9)),
    )
    assert finding is not None and finding.rule == "figure_missing"


def test_a_message_the_question_quotes_that_no_unit_says_is_not_found() -> None:
    asked = "What does Lane Keep Assist Fault mean?"
    other = unit("Indicates that the rear drive assist system has a fault.",
                 label="Rear Drive Assist System Fault")  # fmt: skip
    found = message_missing(asked, [other])
    assert found is not None and found.rule == "message_missing"
    said = unit("Indicates that lane keeping is unavailable.", label="Lane Keep Assist Fault")
    assert message_missing(asked, [other, said]) is None


def test_a_message_said_in_other_forms_of_its_words_is_said() -> None:
    # Most of its words are enough ("Temp" for "Temperature"), in any case.
    shown = unit("Engine coolant temperature high: stop the car and let it cool.")
    assert message_missing("The car shows Engine Coolant Temp High, what now?", [shown]) is None


def test_two_capitalised_words_or_the_question_s_first_are_no_message() -> None:
    line = unit("Check the oil level with the dipstick.")
    assert message_missing("Does my Honda Trail need oil?", [line]) is None
    assert message_missing("Lane Keep Assist: what is it?", [line]) is None
