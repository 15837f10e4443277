"""The offline answerer: the prompt format, extraction, and streaming like a chat model."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from agents import extraction
from agents.extraction import rules, vehicles, vocabulary, wording
from agents.extraction.conditions import conditions
from agents.extraction.question import read_question
from agents.extraction.rules import Candidate
from agents.model_message import AnswerRequest, build_messages, parse, render
from agents.offline_model import ExtractiveChatModel, tokens
from rag.catalogue import Catalogue, ModelEntry, VariantEntry
from rag.glossary import Renaming
from rag.retriever import RetrievedChunk

TABLE = """| Figure | Aster Performance | Ridge Hybrid | Sable 2.0T GT |
|---|---|---|---|
| Combined power | 310 kW | 210 kW | 150 kW |
| Torque | 660 Nm | 500 Nm | 350 Nm |"""


def chunk(text: str, n: int = 1, heading: str = "Performance") -> RetrievedChunk:
    return RetrievedChunk(
        id=f"c{n}", text=text, source="specs/model-comparison.md", title="Kestrel Model Comparison",
        heading=heading, domain="specs", score=0.8,
    )  # fmt: skip


def test_multi_line_sections_survive_the_round_trip() -> None:
    request = AnswerRequest(
        question="Which slots\nare free?",
        tool_result="Free slots:\n- Monday 09:00",
        vehicle="Ridge",
        sources=[chunk("First line.\n\nSecond line.")],
    )
    parsed = parse(render(request))
    assert parsed.question == "Which slots\nare free?"
    assert parsed.tool_result == "Free slots:\n- Monday 09:00"
    assert parsed.vehicle == "Ridge"
    assert parsed.sources == [
        (1, "Kestrel Model Comparison", "Performance", "First line.\n\nSecond line.")
    ]


def test_a_table_row_answers_with_its_column_names() -> None:
    units = extraction.split_units(TABLE, 1, 0)
    assert units[0].text == (
        "Combined power: 310 kW (Aster Performance), 210 kW (Ridge Hybrid), 150 kW (Sable 2.0T GT)"
    )


LAID_OUT = """| Tire Service Life The service life of your tires depends on many factors. It is recommended that all tires be removed from service after 10 years from the date of manufacture. | The tire identification number is a group of numbers and letters on the sidewall of the tire. |
|---|---|
| Tire Service Life The service life of your tires depends on many factors. It is recommended that all tires be removed from service after 10 years from the date of manufacture. | Tire Labeling Example |"""  # noqa: E501


def test_a_table_that_lays_out_prose_is_read_as_its_cells_sentences() -> None:
    units = [u.text for u in extraction.split_units(LAID_OUT, 1, 0)]
    assert (
        "It is recommended that all tires be removed from service after 10 years from the date "
        "of manufacture." in units
    )
    assert len([u for u in units if u.startswith("Tire Service Life")]) == 1  # merged: once
    assert "Tire Labeling Example" not in units  # a caption says nothing
    # A table of figures with a note beside them stays a table.
    noted = "| Item | Value | Note |\n|---|---|---|\n| Oil | 4.2 L | Use the grade above. |"
    assert [u.kind for u in extraction.split_units(noted, 1, 0)] == ["row"]


def _unit_texts(body: str) -> list[str]:
    """The units a passage's body is read into, as their texts."""
    return [u.text for u in extraction.split_units(body, 1, 0)]


def test_a_schedule_set_out_by_its_intervals_answers_with_the_interval() -> None:
    """Each sentence under a heading that only says when ("30000 MI or 48000 KM") holds at
    that interval: it states the interval, and is shown with it."""
    body = "Replace the cabin air filter.\n\nInspect the brake hoses and lines."
    units = extraction.split_units(body, 1, 0, heading="Schedule > 30000 MI or 48000 KM")
    assert [wording.shown(u) for u in units] == [
        "30000 MI or 48000 KM: Replace the cabin air filter.",
        "30000 MI or 48000 KM: Inspect the brake hoses and lines.",
    ]
    assert "interval" in rules.figures_stated(units[0])
    for heading in ("Cabin air filter", "2.4 L engine", "12 V battery"):
        (plain, _) = extraction.split_units(body, 1, 0, heading=heading)
        assert wording.shown(plain) == "Replace the cabin air filter."
        assert "interval" not in rules.figures_stated(plain)


def test_a_picture_alone_on_its_line_is_no_unit() -> None:
    body = (
        "If the level is low, add DOT 3 brake fluid.\n\n![BRAKE FLUID RESERVOIR](60220101)\n\n"
        "- ![switch with INDICATOR LIGHT / ON / OFF]\n\nFill the brake fluid to the line."
    )
    units = _unit_texts(body)
    assert units == [
        "If the level is low, add DOT 3 brake fluid.",
        "Fill the brake fluid to the line.",
    ]


def test_a_pictures_callout_numbers_left_on_a_line_are_no_unit() -> None:
    body = "# Rear lights\n5 6 7\n\nThe stop and tail lights take bulb No. 1157."
    units = _unit_texts(body)
    assert units == ["The stop and tail lights take bulb No. 1157."]


def test_figures_under_a_title_line_are_read_under_that_title() -> None:
    body = (
        "Front Brake Rotors\n\nRotor Diameter 323.0 mm (12.7 in.)\n\n"
        "Rotor Minimum Thickness 30.7 mm (1.209 in.)\n\n"
        "Rear Brake Rotors\n\nRotor Minimum Thickness 24.0 mm (0.94 in.)\n\n"
        "Replace any rotor that is worn below 24 mm."
    )
    units = _unit_texts(body)
    assert units == [
        "Front Brake Rotors: Rotor Diameter 323.0 mm (12.7 in.)",
        "Front Brake Rotors: Rotor Minimum Thickness 30.7 mm (1.209 in.)",
        "Rear Brake Rotors: Rotor Minimum Thickness 24.0 mm (0.94 in.)",
        "Replace any rotor that is worn below 24 mm.",
    ]


def test_a_title_line_over_prose_or_a_heading_titles_nothing() -> None:
    body = "Brake Fluid\n\nUse DOT 4 fluid. Change it every 2 years.\n\n# Tyres\n\nFront 2.2 bar"
    units = _unit_texts(body)
    assert "Brake Fluid: Use DOT 4 fluid." not in units
    assert "Front 2.2 bar" in units


def test_a_pages_trail_of_where_it_sits_is_no_unit() -> None:
    body = (
        "Home >> Repair and Diagnosis >> Specifications >> Fuel Tank\n\n"
        "Fuel Tank 20.0 gallons (75.7 liters)\n\n"
        "Manuals » Maintenance » Brake Fluid\n\n"
        "To set it, touch Controls > Service > Wheel Configuration."
    )
    units = _unit_texts(body)
    assert units == [
        "Fuel Tank 20.0 gallons (75.7 liters)",
        "To set it, touch Controls > Service > Wheel Configuration.",
    ]


NESTED = """- Oil capacity, qt. (liter):
  - Dry fill: 8.5 (8.0)
  - Drain and refill:
    - with filter: 8.2 (7.8)
    - without filter: 7.4 (7.0)
- Oil grade (API): SF"""


def test_a_nested_list_item_is_read_with_the_items_that_announce_it() -> None:
    units = [u.text for u in extraction.split_units(NESTED, 1, 0)]
    assert "Oil capacity, qt. (liter): Drain and refill: without filter: 7.4 (7.0)" in units
    assert "Oil capacity, qt. (liter): Dry fill: 8.5 (8.0)" in units
    assert units[-1] == "Oil grade (API): SF"


NAMED_FIGURES = """- Overall length
  - in. 184.1
  - (mm) (4675)

- Steps to follow
  - Open the hood.
- Check the level with the dipstick before every long trip
  - 2 marks apart"""


def test_figures_nested_under_an_item_naming_them_are_read_with_that_name() -> None:
    units = [u.text for u in extraction.split_units(NAMED_FIGURES, 1, 0)]
    assert "Overall length: in. 184.1" in units
    assert "Overall length: (mm) (4675)" in units
    assert "Steps to follow: Open the hood." not in units  # no figure
    assert "2 marks apart" not in " ".join(u for u in units if u.startswith("Check"))


ANNOUNCED = """With the engine off, check that the throttle rotates smoothly.

Freeplay at the throttle grip flange:
1/16 - 1/4 in (2 - 6 mm)

Check the throttle cable for damage:
Replace it if it is frayed."""


def test_a_figure_on_the_line_after_the_words_announcing_it_is_read_with_them() -> None:
    units = [u.text for u in extraction.split_units(ANNOUNCED, 1, 0)]
    assert "Freeplay at the throttle grip flange: 1/16 - 1/4 in (2 - 6 mm)" in units
    assert "Replace it if it is frayed." in units  # a sentence is not a figure announced


STEPS = """1. Replace the gasket and tighten the water drain plug to the specified torque.

Tightening torque: 31 ± 2 N·m

2. Apply sealant to the cylinder block drain plug, then tighten it to the standard torque.

Specified sealant: Part No. 4171 or equivalent

Tightening torque: 39 ± 5 N·m

Capacity: 4.9 L

### Oil filter

Tightening torque: 14 ± 2 N·m"""


def test_a_figure_under_a_step_is_read_with_the_step_it_completes() -> None:
    units = {u.text: u.scored_text for u in extraction.split_units(STEPS, 1, 0)}
    assert "water drain plug" in units["Tightening torque: 31 ± 2 N·m"]
    # Past another figure of the same step, and only figures the step names.
    assert "cylinder block drain plug" in units["Tightening torque: 39 ± 5 N·m"]
    assert "drain plug" not in units["Capacity: 4.9 L"]
    # A heading starts anew: the figure under it is its own.
    assert "drain plug" not in units["Tightening torque: 14 ± 2 N·m"]


CHECKED = """4. Start the engine and let it run at idle.

5. Check the idle speed.

Standard value: 700 ± 100 r/min

Limit: 650 r/min"""


def test_a_figure_labelled_only_as_a_given_value_is_read_with_the_step_before_it() -> None:
    units = {u.text: u.scored_text for u in extraction.split_units(CHECKED, 1, 0)}
    assert "idle speed" in units["Standard value: 700 ± 100 r/min"]
    assert "idle speed" in units["Limit: 650 r/min"]
    assert "quantity" in extraction.answer_kinds_in("Standard value: 700 ± 100 r/min")


MEASURED = """Check the brake pad thickness through the check port.

Standard value:

<Short wheelbase> 10.0 mm

<Long wheelbase> 11.5 mm

Limit: 2.0 mm

Turn the adjuster 2 turns.

Limit: 5 turns"""


def test_a_figure_under_a_label_and_other_figures_is_read_with_the_step_before_them() -> None:
    units = {u.text: u.scored_text for u in extraction.split_units(MEASURED, 1, 0)}
    assert "brake pad thickness" in units["Limit: 2.0 mm"]
    assert "wheelbase" not in units["Limit: 2.0 mm"]
    # A short step that ends a sentence is a step, figure or not.
    assert "adjuster" in units["Limit: 5 turns"]


ANNOUNCING = """If the clearance is not as specified, adjust it.

Standard value (cold engine):

Intake valve: 0.10 mm

Exhaust valve: 0.15 mm

Tighten the lock nut.

Exhaust valve: 0.20 mm"""


def test_records_under_a_line_announcing_them_are_read_with_it() -> None:
    units = [u.text for u in extraction.split_units(ANNOUNCING, 1, 0)]
    assert "Standard value (cold engine): Intake valve: 0.10 mm" in units
    assert "Standard value (cold engine): Exhaust valve: 0.15 mm" in units
    assert "Standard value (cold engine):" not in units  # alone, it says nothing
    assert "Exhaust valve: 0.20 mm" in units  # past other text, a record is its own


TITLED = """Adjust tire pressure to the cold tire pressure indicated below:

Tire pressure, psi (kPa)

- Front 26 (180)
- Rear 41 (280)

Steps to take before towing

- Check the hitch 2 times.
- Inflate the trailer tires to 35 psi."""


def test_a_short_list_of_bare_figures_is_read_under_the_line_that_titles_it() -> None:
    units = [u.text for u in extraction.split_units(TITLED, 1, 0)]
    assert "Tire pressure, psi (kPa): Front 26 (180)" in units
    assert "Tire pressure, psi (kPa): Rear 41 (280)" in units
    # A title naming no unit, or an item stating its own, leaves the items as they are.
    assert "Check the hitch 2 times." in units
    assert "Inflate the trailer tires to 35 psi." in units
    # Nor does a title reach past a table to the list after it.
    table = "| a | b |\n|---|---|\n| x | 1 |"
    after = f"Tire pressure, psi (kPa)\n- Front 26 (180)\n{table}\n- Rear 41 (280)"
    units = [u.text for u in extraction.split_units(after, 1, 0)]
    assert "Tire pressure, psi (kPa): Front 26 (180)" in units
    assert "Rear 41 (280)" in units


def test_a_named_model_keeps_only_its_column() -> None:
    units = extraction.split_units(TABLE, 1, 0, focus="Ridge")
    assert [u.text for u in units] == [
        "Combined power (Ridge Hybrid): 210 kW",
        "Torque (Ridge Hybrid): 500 Nm",
    ]


ENGINES = """| Parameter | Diesel | Petrol |
|---|---|---|
| Max. Engine output | 70 PS @ 4000 rpm | 85 PS @ 6000 rpm |
| Fuel tank – Capacity | 35 liters | 35 liters |
| Battery | 12V, 50 Ah | 12V, 44Ah |"""


def test_the_column_the_question_names_is_the_one_read() -> None:
    asked = frozenset(vocabulary.asked_terms("how much power does the petrol engine make?"))
    units = extraction.split_units(ENGINES, 1, 0, asked=asked)
    assert [wording.shown(u) for u in units] == [
        "Maximum Engine output (Petrol): 85 PS @ 6000 rpm",
        "Fuel tank – Capacity (Petrol): 35 liters",
        "Battery (Petrol): 12V, 44Ah",
    ]


def _read_for(table: str, question: str) -> list[str]:
    """The units of `table` as read for `question` (the columns it names)."""
    asked = frozenset(vocabulary.asked_terms(question))
    return [u.text for u in extraction.split_units(table, 1, 0, asked=asked)]


def test_a_question_naming_the_rows_label_column_still_reads_their_values() -> None:
    table = (
        "| No. | Light Bulbs | Bulb No. | Wattage |\n|---|---|---|---|\n"
        "| 1 | Front turn signal lights | 1156 | 27 |\n| 5 | Stop and tail lights | 1157 | 27/8 |"
    )
    assert _read_for(table, "What bulb number do the stop and tail lights take?") == [
        "Front turn signal lights (Bulb No.): 1156",
        "Stop and tail lights (Bulb No.): 1157",
    ]


def test_a_column_under_the_name_of_the_one_before_is_read_with_it() -> None:
    table = (
        "| Gear | Shift points | | Note |\n|---|---|---|---|\n"
        "| 1st to 2nd | Shift up at | 16 mph (25 km/h) | Toe |"
    )
    assert _read_for(table, "at what speed should I shift from 1st to 2nd?") == [
        "1st to 2nd: Shift up at (Shift points), 16 mph (25 km/h)"
    ]


def test_a_figure_alone_in_a_first_column_is_read_after_the_line_announcing_it() -> None:
    layout = (
        "| Fuel type: Unleaded gasoline only | Lower edge of |\n|---|---|\n"
        "| Recommended fuel octane number: | |\n| | filler neck |\n"
        "| Pump Octane Number (PON) 86 or higher. | |\n| Tank capacity: 5.3 L | |"
    )
    units = [u.text for u in extraction.split_units(layout, 1, 0)]
    assert "Recommended fuel octane number: Pump Octane Number (PON) 86 or higher." in units
    assert "Tank capacity: 5.3 L" in units


def test_a_value_the_same_in_every_column_is_said_once() -> None:
    units = extraction.split_units(ENGINES, 1, 0)
    assert units[1].text == "Fuel tank – Capacity: 35 liters"
    assert units[2].text == "Battery: 12V, 50 Ah (Diesel), 12V, 44Ah (Petrol)"


def test_a_column_of_short_words_is_read_with_the_row_label() -> None:
    table = (
        "| Tyre size | Version | Front | Rear |\n|---|---|---|---|\n"
        "| 175/65 R14 | Petrol | 33 psi | 30 psi |\n| 175/65 R14 | Diesel | 36 psi | 30 psi |"
    )
    asked = frozenset(vocabulary.asked_terms("front pressure for the diesel"))
    units = extraction.split_units(table, 1, 0, asked=asked)
    assert [u.text for u in units] == [
        "175/65 R14, Petrol (Front): 33 psi",
        "175/65 R14, Diesel (Front): 36 psi",
    ]
    assert "Diesel" in units[1].scored_text


def test_a_figure_legend_set_as_a_table_is_no_answer() -> None:
    legend = (
        "|  |  |\n|---|---|\n| 1. Dip stick | 4. Washer container |\n"
        "| 2. Filler cap | 5. Air filter |"
    )
    assert extraction.split_units(legend, 1, 0) == []


MERGED_DOWN = """|  |  |  |
|---|---|---|
|  | Recommended: SAE 10W-30 |  |
| Engine oil |  |  |
|  | After draining: 0.7 L |  |
|  | After disassembly: 0.9 L |  |
| Brake fluid | DOT 4 |  |"""


def test_a_row_with_its_first_cell_empty_is_named_by_the_row_above_that_has_one() -> None:
    units = [u.text for u in extraction.split_units(MERGED_DOWN, 1, 0)]
    assert units == [
        "Recommended: SAE 10W-30",  # nothing above names it: the figure alone
        "Engine oil: After draining: 0.7 L",
        "Engine oil: After disassembly: 0.9 L",
        "Brake fluid: DOT 4",
    ]


GROUPED = """|  | Light bulbs | Bulb No. | W |
|---|---|---|---|
| Exterior | Headlights Low beam | 9006 | 51 |
| Exterior | Back-up lights | 921 | 16 |
| Exterior | License plate lights | ⎯ | 5 |
| Interior | Interior light | ⎯ | 8 |"""


def test_a_row_is_named_by_its_group_and_its_name_where_a_first_column_groups_rows() -> None:
    units = [u.text for u in extraction.split_units(GROUPED, 1, 0)]
    assert units[1] == "Exterior, Back-up lights: 921 (Bulb No.), 16 (W)"
    assert units[3] == "Interior, Interior light (W): 8"  # a dash is no value


def test_a_bare_figure_takes_the_unit_its_row_s_label_closes_on() -> None:
    table = (
        "| Item | Standard value | Limit |\n|---|---|---|\n"
        "| Valve opening pressure of radiator cap kPa | 93 - 123 | Minimum 83 |\n"
        "| Radiator cap condition | Replace if cracked | - |"
    )
    units = [u.text for u in extraction.split_units(table, 1, 0)]
    assert units[0].endswith("93 - 123 kPa (Standard value), Minimum 83 kPa (Limit)")
    assert "Replace if cracked" in units[1] and "kPa" not in units[1]
    fuses = "| Fuse | Rating |\n|---|---|\n| Fuse A | 15 |\n| Fuse B | 10 |"
    assert extraction.split_units(fuses, 1, 0)[0].text == "Fuse A (Rating): 15"


def test_a_caption_standing_alone_is_no_answer() -> None:
    units = extraction.split_units("Tyre pressure sticker location\n\nCheck it cold.", 1, 0)
    assert [u.text for u in units] == ["Check it cold."]


def test_a_sentence_is_about_the_vehicle_its_paragraph_named(sample_catalogue: Any) -> None:
    body = (
        "Kestrel Ridge Hybrid: 230 kPa front and rear when unladen. When laden or towing, "
        "250 kPa front and 290 kPa rear.\n\n"
        "Kestrel Ridge Hybrid Tow Pack: 240 kPa front and rear when unladen. When laden or "
        "towing, 280 kPa front and 380 kPa rear."
    )
    units = extraction.candidates([(1, "Tyres", "Tyre pressures", body)], "Ridge Hybrid",
                                  sample_catalogue)  # fmt: skip
    texts = [u.text for u in units]
    assert "When laden or towing, 250 kPa front and 290 kPa rear." in texts
    assert not any("380 kPa" in t for t in texts)


def test_safety_sentences_are_recognised() -> None:
    assert extraction.Unit("Stop safely and switch the vehicle off.", 1, 0, 0).safety
    assert extraction.Unit("Do not charge the vehicle.", 1, 0, 0).safety
    assert not extraction.Unit("Book a diagnostic check.", 1, 0, 0).safety


def test_tokens_concatenate_to_the_text_exactly() -> None:
    text = "- Line one [1]\n- Line  two [2]\n"
    assert "".join(tokens(text)) == text


def test_the_model_streams_the_answer_and_cites_it(embedder: Any) -> None:
    model = ExtractiveChatModel(embedder=embedder)
    messages = build_messages(
        "system",
        AnswerRequest(
            question="What is the Ridge's combined power?", sources=[chunk(TABLE)], vehicle="Ridge"
        ),
    )
    pieces = [c.content for c in model.stream(messages)]
    assert len(pieces) > 3
    answer = "".join(str(p) for p in pieces)
    assert answer == model.invoke(messages).content
    assert "210 kW" in answer and "[1]" in answer and "310 kW" not in answer


def test_a_fixed_reply_is_given_as_is(embedder: Any) -> None:
    model = ExtractiveChatModel(embedder=embedder)
    reply = model.invoke(
        build_messages("s", AnswerRequest(question="hi", reply="Hello!\nHow can I help?"))
    )
    assert reply.content == "Hello!\nHow can I help?"


def _catalogue(models: dict[str, list[str]]) -> Catalogue:
    """A catalogue of these models, each with its variants."""
    return Catalogue(
        models=[
            ModelEntry(name=name, variants=[VariantEntry(name=v) for v in variants])
            for name, variants in models.items()
        ]
    )


def _answer(question: str, body: str, embedder: Any) -> list[str]:
    units = extraction.select(question, [(1, "Manual", "Section", body)], embedder.encode)
    return [u.text for u in units]


JUMP_START = """Use only a battery of the same rating.

Make the connections as follows:

- Connect the red lead to the positive terminal of the flat battery.
- Connect its other end to the positive terminal of the booster battery.
- Connect the black lead to the negative terminal of the booster battery.
- Connect its other end to bare metal of the car with the flat battery.
- Start the engine of the booster car."""


def test_a_how_to_question_gets_the_steps_in_their_order(embedder: Any) -> None:
    answer = _answer("My battery is flat, how do I jump start the car?", JUMP_START, embedder)
    assert answer == [
        "Connect the red lead to the positive terminal of the flat battery.",
        "Connect its other end to the positive terminal of the booster battery.",
        "Connect the black lead to the negative terminal of the booster battery.",
        "Connect its other end to bare metal of the car with the flat battery.",
    ]


SERVICE = """A standard service takes about 2 hours at the workshop.

The standard service is due every 15,000 km or 12 months."""


def test_how_often_is_answered_by_the_interval_not_by_how_long_it_takes(embedder: Any) -> None:
    answer = _answer("How often does it need a standard service?", SERVICE, embedder)
    assert answer[0] == "The standard service is due every 15,000 km or 12 months."


HOURS = """Mon–Fri: 07:30–18:00.

Sat: 09:00–13:00."""


def test_a_short_form_the_text_writes_matches_the_word_asked(embedder: Any) -> None:
    answer = _answer("What time does the workshop open on Saturdays?", HOURS, embedder)
    assert answer[0] == "Sat: 09:00–13:00."


def test_advice_with_quoted_words_is_still_safety_advice() -> None:
    unit = extraction.Unit("In this case, stop the vehicle, switch ‘OFF’ the engine.", 1, 0, 0)
    assert unit.safety


def test_orders_are_told_from_descriptions() -> None:
    for text in ("Drive gently; the message clears.", "Stop the vehicle.", "Do not open it.",
                 "Always switch off the engine.", "Press and hold the knob.",
                 "Please consult a dealer as soon as possible.",
                 "As soon as conditions permit, safely stop the vehicle."):  # fmt: skip
        assert rules.gives_order(text), text
    for text in ("The coupling has disengaged.", "Tyre pressure must be checked.",
                 "Warning lights come on.", "If it is hot, wait.",
                 "Indicates that the system has detected a fault."):  # fmt: skip
        assert not rules.gives_order(text), text


WARNINGS = (
    "| Warning message | Procedure |\n|---|---|\n"
    "| Cruise Control Fault | Indicates that the cruise control system has detected a fault. "
    "Please consult a dealer as soon as possible. |\n"
    "| Airbag Fault | Indicates that the airbag system has detected a fault. As soon as "
    "conditions permit, safely stop the vehicle and contact a dealer immediately. |"
)


@pytest.mark.parametrize(
    ("question", "first"),
    [
        ("The dash says Cruise Control Fault. What should I do?", "Cruise Control Fault"),
        ("How urgent is an Airbag Fault?", "Airbag Fault"),
        ("It says Airbag Fault. Is there anything I can try?", "Airbag Fault"),
        ("Which level am I supposed to check for a Cruise Control Fault?", "Cruise Control"),
    ],
)
def test_asked_what_to_do_a_row_says_its_instruction_before_its_description(
    question: str, first: str, embedder: Any
) -> None:
    units = extraction.select(question, [(1, "Manual", "Warnings", WARNINGS)], embedder.encode)
    lead = units[0].text
    assert lead.startswith(first) and lead.index("dealer") < lead.index("Indicates"), lead


def test_asked_what_it_means_a_row_keeps_its_order(embedder: Any) -> None:
    units = extraction.select(
        "What does Cruise Control Fault mean?",
        [(1, "Manual", "Warnings", WARNINGS)],
        embedder.encode,
    )
    assert "(Procedure): Indicates that the cruise control" in units[0].text


SCHEDULE = """| Sr. No. | Operation | Interval | 12 | 24 |
|---|---|---|---|---|
| Engine – 1 | Clean air filter element | 15K / 12 M | ● | ● |
| Engine – 2 | Change engine oil and oil filter | 15K / 12 M | ● | ● |"""


def test_a_row_named_by_its_number_is_read_by_its_first_words() -> None:
    units = extraction.split_units(SCHEDULE, 1, 0)
    assert units[1].text == "Engine – Change engine oil and oil filter (Interval): 15K / 12 M"
    assert "Change engine oil" in units[1].scored_text


def test_abbreviations_are_written_out_so_a_sentence_ends_where_it_ends() -> None:
    unit = extraction.Unit("No. of gears: approx. 5 (max. 6)", 1, 0, 0)
    assert wording.shown(unit) == "Number of gears: approx 5 (maximum 6)"


def test_another_variants_figure_yields_to_the_asked_variants(embedder: Any) -> None:
    catalogue = _catalogue({"Talus": ["Talus 2.2D", "Talus 2.2D Trail"]})
    body = (
        "Maximum braked towing: 3,500 kg (2.2D).\n\n"
        "The 2.2D Trail tows up to 3,200 kg braked, its raised suspension allowing less."
    )
    units = extraction.select(
        "what's the braked towing of the Talus 2.2D Trail?",
        [(1, "Talus", "Towing", body)],
        embedder.encode,
        focus="Talus 2.2D Trail",
        catalogue=catalogue,
    )
    assert "3,200 kg" in units[0].text


def test_a_measure_asked_for_is_answered_in_its_own_units(embedder: Any) -> None:
    table = (
        "| | Turbo |\n|---|---|\n| Maximum permitted engine speed | 6700 rpm |\n"
        "| Top track speed | 173 mph (278 km/h) |\n| Maximum torque | 516 ftlb. (700 Nm) |\n"
        "| Maximum engine output | 500 hp (368 kW) |"
    )
    top_speed = _answer("What's the top speed?", table, embedder)
    assert top_speed[0].startswith("Top track speed")
    power = _answer("How much horsepower does it have?", table, embedder)
    assert power[0].startswith("Maximum engine output")


def test_a_column_of_a_more_specific_variant_answers_for_the_variant(embedder: Any) -> None:
    """Asked about the Turbo, a table whose column is the Turbo with its gearbox is the Turbo's:
    its row is read, not left out as another vehicle's."""
    catalogue = _catalogue(
        {"Cayenne": ["Cayenne Turbo", "Cayenne S Tiptronic S", "Cayenne Turbo Tiptronic S"]}
    )
    engine = "| | Cayenne Turbo |\n|---|---|\n| Maximum permitted engine speed | 6700 rpm |"
    performance = (
        "| | Cayenne S Tiptronic S | Cayenne Turbo Tiptronic S |\n|---|---|---|\n"
        "| Top track speed | 160 mph (258 km/h) | 173 mph (278 km/h) |"
    )
    units = extraction.select(
        "What's the top speed of the Cayenne Turbo?",
        [(1, "Cayenne", "Engine data", engine), (2, "Cayenne", "Performance", performance)],
        embedder.encode,
        focus="Cayenne Turbo",
        catalogue=catalogue,
    )
    assert units[0].text == "Top track speed (Cayenne Turbo Tiptronic S): 173 mph (278 km/h)"


def test_a_unit_that_names_the_measure_asked_for_comes_before_a_figure_of_its_kind(
    embedder: Any,
) -> None:
    distances = (
        "The time gap is 1.8 seconds. This corresponds to 66 yd. (60 meters) at a speed of "
        "75 mph (120 km/h)."
    )
    performance = (
        "| | Sport |\n|---|---|\n| Acceleration 0–60 mph (96 km/h) | 5.6 seconds |\n"
        "| Top track speed | 160 mph (258 km/h) |"
    )
    units = extraction.select(
        "0 to 60 mph time?",
        [(1, "Manual", "Distance settings", distances), (2, "Manual", "Performance", performance)],
        embedder.encode,
    )
    assert units[0].text == "Acceleration 0–60 mph (96 km/h) (Sport): 5.6 seconds"
    reservoir = (
        "In this case, the remaining quantity is only approx. 0.5 liter. The maximum filling "
        "capacity is approx. 4.5 liters."
    )
    assert _answer("How much washer fluid does it hold?", reservoir, embedder)[0].startswith(
        "The maximum filling capacity"
    )


PSM_AFTER_BATTERY = """After reconnecting the battery, the stability control light is on and a \
message on the display reports a fault. This fault can be corrected with a few simple steps:

1. Start the engine.
2. With the vehicle stationary, turn the steering wheel a few times to the left and right.
3. Drive a short distance in a straight line until the warning light goes out."""


def test_steps_announced_near_the_best_match_are_the_answer_to_what_to_do(embedder: Any) -> None:
    """The best match only restates the symptom; the sentence beside it announces the steps,
    and the steps are what was asked."""
    question = "after reconnecting the battery the stability control light is on, how do I fix it?"
    answer = _answer(question, PSM_AFTER_BATTERY, embedder)
    assert answer[:2] == [
        "Start the engine.",
        "With the vehicle stationary, turn the steering wheel a few times to the left and right.",
    ]


RUNNING_IN = """The more you look after the engine when it is new, the better it will run.

Avoid rapid acceleration and prolonged high speed running for the first 1,500 – 1,800 kms.

Do not keep the engine idling for a long time."""


def test_a_period_of_the_car_s_life_is_answered_in_time_or_distance(embedder: Any) -> None:
    answer = _answer("how long is the running-in period for a new car?", RUNNING_IN, embedder)
    assert any("1,500 – 1,800 kms" in unit for unit in answer)


def test_kilometres_written_kms_are_a_distance() -> None:
    assert "distance" in extraction.answer_kinds_in("for the first 1,500 kms")
    assert "period" in extraction.answer_kinds_in("2 years or 50,000 km, whichever comes first")


OIL_INTERVAL = """| Model | Engine oil and filter interval |
|---|---|
| Sable | Every 10,000 km or 12 months |

If you mainly drive short trips, tow, or drive on track days, change the oil in either Sable \
variant every 7,500 km or 6 months."""

BRAKE_CARE = """Shorten the brake care and cabin filter intervals if you:

- Drive regularly on salted roads in winter: clean the brake calipers every 6 months.
- Drive in dusty areas: replace the cabin air filter every 6 months.

The car has one main scheduled service, due every 12 months or 20,000 km."""


def test_what_holds_only_under_a_condition_not_asked_about_scores_less(embedder: Any) -> None:
    """The exception ("If you mainly drive short trips, …") loses `unasked_condition`'s 0.15
    against what holds as a rule; asked about that condition, it loses nothing."""

    def penalties(question: str, body: str) -> list[float]:
        catalogue = vehicles.knowing(None, None)
        units = extraction.candidates([(1, "Manual", "Oil", body)], None, catalogue, question)
        scored = extraction.score(question, units, embedder.encode, None, catalogue)
        return [round(-scored.fired(i).get("unasked_condition", 0.0), 6) for i in range(len(units))]

    assert penalties("how often does the Sable need an oil change?", OIL_INTERVAL) == [0.0, 0.15]
    assert penalties("I mainly drive short trips: how often should the oil be changed?",
                     OIL_INTERVAL) == [0.0, 0.0]  # fmt: skip
    assert penalties("how often does the car need servicing?", BRAKE_CARE) == [
        0.0, 0.15, 0.15, 0.0
    ]  # fmt: skip


def test_a_condition_the_question_names_is_no_exception() -> None:
    (conditional,) = conditions(
        [extraction.Unit("If you tow, change the oil every 7,500 km.", 1, 0, 0)]
    )
    assert conditional == " you tow"


def test_how_quick_to_100_asks_for_the_acceleration_time() -> None:
    assert "acceleration" in extraction.answer_kinds_wanted("How quick is the GT to 100?")
    assert "acceleration" not in extraction.answer_kinds_wanted("how fast does it charge to 100 %?")


@pytest.mark.parametrize(
    ("question", "interval"),
    [
        ("when should I change the oil?", True),
        ("When is the cambelt due?", True),
        ("when does the timing belt need doing", True),
        ("what fluid goes in, and when is it replaced?", True),
        ("and when is it fully open?", False),  # a condition: a temperature
        ("When does the radiator fan come on?", False),
        ("when does it stop charging?", False),
    ],
)
def test_when_asks_for_an_interval_only_of_servicing(question: str, interval: bool) -> None:
    assert ("interval" in extraction.answer_kinds_wanted(question)) is interval


def test_how_big_asks_for_a_figure_outright() -> None:
    """Asked "how big", a sentence with no figure of the kind asked loses against one with."""
    asked = read_question("How big is the fuel tank?")
    no_figure = Candidate(extraction.Unit("The fuel tank sits under the rear seats.", 1, 0, 0))
    assert asked.directly
    assert rules.fired(rules.contributions(asked, no_figure))["kind_missing"] < 0


def test_asked_about_one_vehicle_a_comparison_with_another_says_less_of_it() -> None:
    catalogue = _catalogue({"Sable": ["Sable 2.0T GT"], "Aster": ["Aster Performance"]})
    compares = extraction.Unit(
        "The Sable 2.0T GT has the highest top speed even though the Aster Performance is "
        "quicker.", 1, 0, 0
    )  # fmt: skip
    alone = extraction.Unit("The Sable 2.0T GT reaches 100 km/h in 6.4 s.", 1, 0, 1)
    assert vehicles.compares(compares, "Sable 2.0T GT", catalogue)
    assert not vehicles.compares(alone, "Sable 2.0T GT", catalogue)


def test_how_deep_wide_or_tall_asks_for_a_length_however_the_question_goes_on() -> None:
    assert "length" in extraction.answer_kinds_wanted("how deep a river can it drive through")
    assert "length" in extraction.answer_kinds_wanted("At what tread depth do the marks show?")
    assert "length" in extraction.answer_kinds_wanted("how wide a gap does it fit through?")
    assert "length" not in extraction.answer_kinds_wanted("how long does the service take?")


def test_the_documents_words_set_beside_the_customer_s_do_not_hide_what_is_asked() -> None:
    # `rag.glossary.with_terms` writes the documents' word in brackets after the customer's.
    asked = "How much gearbox (transmission) oil goes in the transaxle?"
    assert extraction.answer_kinds_wanted(asked) == {"volume"}
    assert "interval" in extraction.answer_kinds_wanted("when is the cambelt (timing belt) due?")


def test_a_bare_figure_takes_its_kind_from_any_unit_its_label_or_heading_names() -> None:
    for heading, kind in (
        ("Tightening torques (daN.m)", "torque"),
        ("Tightening torque (lbf·ft)", "torque"),
        ("Torque, kgf·m", "torque"),
        ("Tyre pressure (kgf/cm2)", "pressure"),
        ("Capacity (cm3)", "volume"),
        ("Main dimensions (in mm)", "length"),
    ):
        assert kind in vocabulary.kinds_stated("Drain plug: 2.5", heading), heading
    assert "length" not in vocabulary.kinds_stated("Drain plug: 2.5", "Tightening torque (lbf·ft)")


def test_which_oil_or_fluid_asks_for_a_grade_with_a_word_between_but_not_for_its_amount() -> None:
    assert "grade" in extraction.answer_kinds_wanted("What gear oil goes in the transfer case?")
    assert "grade" in extraction.answer_kinds_wanted("what brake fluid do i top it up with?")
    assert "grade" not in extraction.answer_kinds_wanted("What engine oil capacity does it have?")
    assert "grade" not in extraction.answer_kinds_wanted("what oil pressure light is that?")


def test_a_measure_is_known_in_the_units_manuals_write_it_in() -> None:
    for torque in ("9.0 N·m", "2.5 daN.m", "6.6 lbf·ft", "18 ft-lbs", "0.9 kgf·m", "25 Nm"):
        assert "torque" in extraction.answer_kinds_in(torque), torque
    for pressure in ("2.2 kgf/cm2", "1.75 kg/cm²", "350 mbar", "2.1 bar", "32 psi"):
        assert "pressure" in extraction.answer_kinds_in(pressure), pressure
    for volume in ("125 cm3", "120 ml", "1.0 US qt", "3 pints", "0.9 L"):
        assert "volume" in extraction.answer_kinds_in(volume), volume
    assert "torque" not in extraction.answer_kinds_in("use a 10 mm socket")
    for temperature in ("88 °C", "88°C", "190 °F"):
        assert "temperature" in extraction.answer_kinds_in(temperature), temperature
    for grade in ("0W-20", "DOT 4", "SAE 90", "API GL-5", "GL-4 or higher", "ATF", "JASO MA"):
        assert "grade" in extraction.answer_kinds_in(grade), grade
    for engine_speed in ("800 rpm", "700 ± 100 r/min", "750 tr/min", "850 min-1", "850 min⁻¹"):
        assert "quantity" in extraction.answer_kinds_in(engine_speed), engine_speed
        assert "duration" not in extraction.answer_kinds_in(engine_speed), engine_speed


def test_a_grade_is_stated_by_its_designation_not_by_a_word_that_names_one() -> None:
    for grade in ("DOT4", "DOT 3", "ATF Type T-IV", "91 octane", "86 PON", "octane number: 86"):
        assert "grade" in extraction.answer_kinds_in(grade), grade
    for none in (
        "Fill the brake fluid to the dotted line.",
        "the type of fuel you use",
        "meets the minimum octane rating",
    ):
        assert "grade" not in extraction.answer_kinds_in(none), none


def test_how_many_km_asks_for_a_distance_not_any_figure() -> None:
    assert extraction.answer_kinds_wanted("How many km can it do on battery alone?") == {"distance"}
    assert "distance" not in extraction.answer_kinds_in("fuel consumption: 4.9 l/100 km")
    assert "distance" in extraction.answer_kinds_in("electric range, combined: 62 km")


def test_a_time_of_day_is_not_a_measure_with_two_decimals() -> None:
    for time_of_day in ("Monday to Friday: 08:00–18:00", "9.30 am", "08.00-18.00", "Closed"):
        assert "clock" in extraction.answer_kinds_in(time_of_day), time_of_day
    for measure in ("Intake valve: 0.10 mm", "Regulated voltage: 14.50 V"):
        assert "clock" not in extraction.answer_kinds_in(measure), measure


def test_a_range_that_is_normal_is_a_span_of_values_not_a_distance() -> None:
    assert "distance" in extraction.answer_kinds_wanted("What is the range of the car?")
    for span in (
        "idle goes up when I switch the AC on, what range is normal for that?",
        "what's the normal range for the oil pressure?",
    ):
        assert "distance" not in extraction.answer_kinds_wanted(span), span


def test_fully_loaded_meets_full_load() -> None:
    assert vocabulary.terms("fully loaded") == vocabulary.terms("full load")


def test_a_figure_for_the_vehicles_with_something_holds_only_with_it() -> None:
    depth = "The water must not be deeper than 55.5 cm for vehicles with level control."
    heater = "<Long wheelbase (vehicles with rear heater)> 10.5 L"
    plain = "The vehicle with the engine running must not be left unattended."
    assert conditions([extraction.Unit(t, 1, 0, i) for i, t in enumerate([depth, heater])]) == [
        "level control",
        "rear heater",
    ]
    assert conditions([extraction.Unit(plain, 1, 0, 0)]) == [None]  # one vehicle: no subset


def test_a_condition_ends_at_its_comma_not_at_a_thousands_separator() -> None:
    (condition,) = conditions(
        [extraction.Unit("Under severe use the filter is replaced every 20,000 km, and…", 1, 0, 0)]
    )
    assert condition == " severe use the filter is replaced every 20,000 km"


LOAN = (
    "A replacement car is free of charge when the booked work takes 3 hours or longer. "
    "It must be reserved when you book, no later than 5 working days before the appointment."
)


COOLANT_LIFE = (
    "The factory coolant lasts 5 years or 150,000 km. "
    "However, towing may call for a change at 50,000 km."
)


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        (LOAN, [
            "A replacement car is free of charge when the booked work takes 3 hours or longer.",
            "It must be reserved when you book, no later than 5 working days before the "
            "appointment.",
        ]),
        # "However," or "In addition," goes on from a statement: the statement comes first.
        (COOLANT_LIFE, [
            "The factory coolant lasts 5 years or 150,000 km.",
            "However, towing may call for a change at 50,000 km.",
        ]),
    ],
)  # fmt: skip
def test_an_answer_does_not_open_on_a_sentence_that_points_back_or_goes_on(
    text: str, answer: list[str]
) -> None:
    scored = extraction.Scored(
        extraction.split_units(text, 1, 0),
        scores=np.asarray([0.60, 0.70]),  # the second sentence matched best
        vectors=np.eye(3, dtype=np.float32),
        codes=[],
    )
    assert [u.text for u in extraction.pick(scored)] == answer


def test_the_documents_words_for_the_question_s_terms_reach_the_answerer() -> None:
    request = AnswerRequest(
        question="Do I get a loan car?", terms=[Renaming("loan car", ("replacement car",))]
    )
    assert parse(render(request)).terms == [Renaming("loan car", ("replacement car",))]


TRANSMISSION = """The gear pattern is shown on the gear lever knob. Shift gears with the \
clutch pedal pressed.

| Parameter | Value |
|---|---|
| Gearbox – type | Synchromesh |
| Gearbox – number of gears | 6-Forward, 1-Reverse |"""


def test_how_many_is_answered_by_a_number_of_things(embedder: Any) -> None:
    assert "count" in extraction.answer_kinds_wanted("how many gears does it have")
    assert "count" not in extraction.answer_kinds_wanted("how many km can it go")
    assert "count" in extraction.answer_kinds_in("6-Forward, 1-Reverse")
    answer = _answer("how many gears does the gearbox have", TRANSMISSION, embedder)
    assert "6-Forward" in answer[0]


LIGHT_RING = """Check the light ring around the charging socket. Blue: the car is ready. Pulsing \
green: charging. Flashing yellow: the car is waiting for its charging timer. Red: a fault has \
been found.

At home, check whether the wall charger's own app reports a fault or a power limit."""


def test_a_key_the_question_names_in_full_is_what_it_describes(embedder: Any) -> None:
    answer = _answer(
        "Plugged in at home overnight, nothing happened. The ring around the socket was "
        "flashing yellow",
        LIGHT_RING,
        embedder,
    )
    assert "Flashing yellow: the car is waiting for its charging timer." in answer


NOISES = """- Sable: a hum from the rear axle at low speed. This is the pedestrian warning sound.
- All models: a squeak from the brakes on the first stops of a damp morning. This is a film of \
moisture on the discs and goes after a few stops."""


def test_an_item_describing_what_the_customer_describes_answers_with_what_it_says_of_it(
    embedder: Any,
) -> None:
    answer = _answer(
        "my Ridge squeaks on the first stops on a damp morning, should I worry?", NOISES, embedder
    )
    assert answer[0] == "This is a film of moisture on the discs and goes after a few stops."
    described = _answer("what is the hum from the rear axle at low speed?", NOISES, embedder)
    assert described[0].startswith("This is the pedestrian")
    unasked = _answer("which noises are normal?", NOISES, embedder)
    assert all(not unit.startswith("This is") for unit in unasked)


def test_a_variants_own_row_comes_before_its_models_column_of_a_comparison(
    embedder: Any,
) -> None:
    """Asked about a variant, the table with a row per version, read in the column the
    question names best ("braked" before "unbraked"), answers before the model's column of a
    range-wide comparison."""
    catalogue = _catalogue({"Ridge": ["Ridge Hybrid", "Ridge Hybrid Tow Pack"], "Sable": []})
    versions = (
        "| Version | Braked trailer | Unbraked trailer | Payload |\n|---|---|---|---|\n"
        "| Ridge Hybrid | 3,000 kg | 750 kg | 960 kg |\n"
        "| Ridge Hybrid Tow Pack | 3,500 kg | 750 kg | 850 kg |"
    )
    comparison = (
        "| Item | Ridge | Sable |\n|---|---|---|\n"
        "| Maximum braked towing | 3,500 kg (Hybrid Tow Pack) | 1,600 kg |"
    )
    units = extraction.select(
        "What's the braked towing capacity of the Ridge Hybrid Tow Pack?",
        [(1, "Ridge", "Towing", versions), (2, "Compare", "Range", comparison)],
        embedder.encode,
        focus="Ridge Hybrid Tow Pack",
        catalogue=catalogue,
    )
    assert units[0].text == "Ridge Hybrid Tow Pack (Braked trailer): 3,500 kg"
    assert units[1].model_wide


def test_a_key_followed_by_a_figure_is_a_record_not_a_description() -> None:
    asked = read_question("what's the braked towing capacity of the Sable?")
    record = extraction.Unit("Towing capacity, braked: 1,100 kg", 1, 0, 0, kind="item")
    description = extraction.Unit("Towing capacity, braked: see the trailer plate", 1, 0, 1)
    assert not rules.key_named(asked, Candidate(record))
    assert rules.key_named(asked, Candidate(description))


def test_each_part_of_a_two_part_question_is_answered_in_its_order(embedder: Any) -> None:
    # Scored as one question, the answer gives the tank's capacity alone; each part scored on
    # its own, the tank's capacity, asked first, leads and the octane follows.
    model = ExtractiveChatModel(embedder=embedder)
    sources = [
        chunk("Fuel: unleaded petrol, octane number 87 or higher", 1, heading="Fuel"),
        chunk("Fuel tank capacity: 50 L (13.2 gal.)", 2, heading="Capacities"),
        chunk("Engine oil capacity with filter: 4.4 L", 3, heading="Capacities"),
    ]
    question = "How big is the fuel tank, and what's the minimum octane I can run?"
    answer = model.invoke(build_messages("s", AnswerRequest(question=question, sources=sources)))
    lead, *rest = str(answer.content).split("\n\n")
    assert lead == "Fuel tank capacity: 50 L (13.2 gal.) [2]"
    assert rest == ["- Fuel: unleaded petrol, octane number 87 or higher [1]"]


def test_a_figure_further_down_answers_before_couldnt_find(embedder: Any) -> None:
    # The best unit is about changing the oil and gives no interval; the schedule's row,
    # scoring well below it, does: it answers, not "I couldn't find that".
    model = ExtractiveChatModel(embedder=embedder)
    sources = [
        chunk(
            "The engine oil must be changed more often when the vehicle is driven on short "
            "trips or in dusty conditions; have the engine oil changed by a dealer.",
            1,
            heading="Engine oil",
        ),
        chunk("Oil and filter: every 15,000 km or 12 months", 2, heading="Service schedule"),
    ]
    question = "How often does the engine oil have to be changed?"
    answer = model.invoke(build_messages("s", AnswerRequest(question=question, sources=sources)))
    assert str(answer.content).startswith("Oil and filter: every 15,000 km or 12 months [2]")
