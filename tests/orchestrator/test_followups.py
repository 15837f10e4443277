"""Follow-up questions become standalone from the conversation and the catalogue."""

from __future__ import annotations

import pytest

from orchestrator.followups import (
    continues_previous,
    opens_as_continuation,
    retrieval_query,
    size_asked,
    standalone_query,
    vehicle_named,
    with_topic_before,
)
from rag.catalogue import Catalogue


def test_a_pronoun_follow_up_names_the_model_asked_about_before(
    sample_catalogue: Catalogue,
) -> None:
    history = ["What's the towing capacity of the Ridge?"]
    assert standalone_query("And what about its payload?", history, sample_catalogue) == (
        "And what about its payload? (Kestrel Ridge)"
    )


def test_the_most_recent_model_wins(sample_catalogue: Catalogue) -> None:
    history = ["Tell me about the Aster", "How much does the Sable 2.0T GT tow?"]
    assert standalone_query("what about its top speed?", history, sample_catalogue).endswith(
        "(Kestrel Sable 2.0T GT)"
    )


def test_naming_another_model_borrows_the_previous_topic(sample_catalogue: Catalogue) -> None:
    history = ["What's the towing capacity of the Ridge?"]
    assert standalone_query("And the Sable?", history, sample_catalogue) == (
        "What's the towing capacity of the Sable?"
    )


def test_a_standalone_question_is_left_alone(sample_catalogue: Catalogue) -> None:
    history = ["What's the towing capacity of the Ridge?"]
    assert standalone_query("hello", history, sample_catalogue) == "hello"
    assert (
        standalone_query("How big is the Aster's boot?", history, sample_catalogue)
        == "How big is the Aster's boot?"
    )


def test_my_car_means_the_customers_only_vehicle(sample_catalogue: Catalogue) -> None:
    assert standalone_query(
        "How often should my car be serviced?", [], sample_catalogue, ["Sable"]
    ).endswith("(Kestrel Sable)")


def test_models_and_variants_come_from_the_catalogue(sample_catalogue: Catalogue) -> None:
    assert sample_catalogue.models_in("ridge vs ASTER") == ["Ridge", "Aster"]
    assert sample_catalogue.variant_in("the Aster Long Range AWD") == "Aster Long Range AWD"
    assert sample_catalogue.variant_in("Ridge tow pack payload") == "Ridge Hybrid Tow Pack"
    assert sample_catalogue.variant_in("Sable") is None
    assert vehicle_named("sable 1.5 turbo economy", sample_catalogue) == "Sable 1.5T"


def test_another_companys_follow_ups_name_its_own_models(halden_catalogue: Catalogue) -> None:
    """Nothing of the sample is in the code: a second corpus brings its own names."""
    history = ["What's the braked towing capacity of the Talus 2.2D?"]
    assert standalone_query("and the Trail version?", history, halden_catalogue) == (
        "What's the braked towing capacity of the Talus 2.2D Trail?"
    )
    assert standalone_query("and its payload?", history, halden_catalogue) == (
        "and its payload? (Halden Talus 2.2D)"
    )
    assert standalone_query("And the Fjord?", history, halden_catalogue) == (
        "What's the braked towing capacity of the Fjord?"
    )
    assert halden_catalogue.models_in("aster ridge sable") == []


def test_without_a_catalogue_a_new_attribute_is_not_rewritten() -> None:
    empty = Catalogue()
    assert standalone_query("and its payload?", ["How much can the Ridge tow?"], empty) == (
        "and its payload?"
    )
    assert retrieval_query("and its payload?", None, empty) == "and its payload?"


def test_without_a_catalogue_a_new_condition_still_keeps_the_previous_question() -> None:
    history = ["At what temperature does the thermostat start to open?"]
    assert standalone_query("and when is it fully open?", history, Catalogue()) == (
        "and when is it fully open? (temperature thermostat open)"
    )


def test_a_follow_up_s_own_word_before_a_shared_one_replaces_the_previous_question_s() -> None:
    history = ["At what pressure does the relief valve start to open?"]
    assert standalone_query("and when is it fully open?", history, Catalogue()) == (
        "and when is it fully open? (pressure relief valve open)"
    )


def test_another_thing_no_phrase_stands_for_keeps_the_previous_question() -> None:
    history = ["camshaft end play spec?"]
    assert standalone_query("what about the crankshaft?", history, Catalogue()) == (
        "what about the crankshaft? (camshaft end play spec)"
    )
    # Asking a new kind of fact is a question of its own.
    assert standalone_query("and its warranty?", history, Catalogue()) == "and its warranty?"


def test_a_message_on_the_subject_before_carries_the_last_whole_questions_words() -> None:
    history = ["What compression should a healthy 2.5 engine show?", "and in psi?"]
    message = "what's the lowest reading that's still acceptable?"
    assert with_topic_before(message, history, Catalogue()) == (
        f"{message} (compression should healthy 2.5 engine show)"
    )
    assert with_topic_before(message, [], Catalogue()) == message


def test_a_short_follow_up_keeps_the_code_asked_about(sample_catalogue: Catalogue) -> None:
    history = ["what does P0A7F mean on a Ridge"]
    assert standalone_query("is it still ok to drive it?", history, sample_catalogue) == (
        "is it still ok to drive it? (Kestrel Ridge P0A7F)"
    )


def test_a_follow_up_with_its_own_question_leaves_the_code_behind(
    sample_catalogue: Catalogue,
) -> None:
    history = ["what does P0A7F mean on a Ridge"]
    message = "ok thanks. how much engine oil does it take at an oil change?"
    assert "P0A7F" not in standalone_query(message, history, sample_catalogue)


def test_a_variant_named_by_its_own_word_is_the_one_asked_about(
    sample_catalogue: Catalogue, halden_catalogue: Catalogue
) -> None:
    history = ["What's the DC fast charge peak of the Aster Standard Range RWD?"]
    assert standalone_query("and the Performance?", history, sample_catalogue) == (
        "What's the DC fast charge peak of the Aster Performance AWD?"
    )
    assert standalone_query("and its range, the Performance?", history, sample_catalogue) == (
        "and its range, the Performance? (Kestrel Aster Performance AWD)"
    )
    # An ordinary word is not a variant's name: "how long" is not the Long Range.
    assert standalone_query("how long does it take?", history, sample_catalogue) == (
        "how long does it take? (Kestrel Aster Standard Range RWD)"
    )
    fjord = ["How much power does the Fjord Long Range have?"]
    assert standalone_query("and the Sport?", fjord, halden_catalogue) == (
        "How much power does the Fjord Sport AWD have?"
    )


def test_a_short_continuation_asks_the_same_specialist_again(
    sample_catalogue: Catalogue, halden_catalogue: Catalogue
) -> None:
    assert continues_previous("and when it's loaded up or towing?", sample_catalogue)
    assert continues_previous("what about the Talus 2.2D, unladen?", halden_catalogue)
    assert continues_previous("and the Performance?", sample_catalogue)
    # A question of its own, a code or a request to act starts something new.
    assert not continues_previous("how often should it get an oil change?", sample_catalogue)
    assert not continues_previous(
        "and what tyre pressures should it run with just me in the car?", halden_catalogue
    )
    assert not continues_previous("and what does P0420 mean?", sample_catalogue)
    assert not continues_previous("and can I book it in?", sample_catalogue)


def test_a_message_opens_as_a_continuation_whatever_follows() -> None:
    assert opens_as_continuation("ok and what does the Lane Departure Fault message mean then?")
    assert opens_as_continuation("what about the rear brakes?")
    assert not opens_as_continuation("what does the Lane Departure Fault message mean?")


def test_a_new_condition_keeps_the_previous_question(sample_catalogue: Catalogue) -> None:
    history = ["tyre pressures for the Ridge Hybrid unladen?"]
    assert standalone_query("and when it's loaded up or towing?", history, sample_catalogue) == (
        "and when it's loaded up or towing? (tyre pressures unladen Kestrel Ridge Hybrid)"
    )
    # A new attribute of the same vehicle leaves the old one behind.
    assert standalone_query("and its payload?", history, sample_catalogue) == (
        "and its payload? (Kestrel Ridge Hybrid)"
    )


ALTERNATIVES = Catalogue(alternatives=[["diesel", "petrol"], ["front", "rear"]])


def test_a_follow_up_naming_a_sibling_asks_the_question_again_in_its_place() -> None:
    asked = "how much power does the petrol engine make?"
    assert standalone_query("and the diesel one?", [asked], ALTERNATIVES) == (
        "how much power does the diesel engine make?"
    )
    assert (
        standalone_query(
            "and at the rear?", ["What front tyre pressure for my diesel?"], ALTERNATIVES
        )
        == "What rear tyre pressure for my diesel?"
    )


@pytest.mark.parametrize(
    "follow_up",
    ["same for the diesel", "same question for the diesel", "ditto for the diesel please"],
)
def test_the_same_question_for_a_sibling_is_asked_again_in_its_place(follow_up: str) -> None:
    asked = "How often should the coolant be changed on a petrol engine?"
    assert standalone_query(follow_up, [asked], ALTERNATIVES) == (
        "How often should the coolant be changed on a diesel engine?"
    )
    assert continues_previous(follow_up, ALTERNATIVES)


def test_a_chain_of_follow_ups_goes_back_to_the_last_whole_question() -> None:
    history = ["how much power does the petrol engine make?", "and the diesel one?"]
    assert standalone_query("and the petrol?", history, ALTERNATIVES) == history[0]


def test_a_follow_up_whose_sibling_the_question_did_not_name_adds_it() -> None:
    assert standalone_query("and the rear?", ["tyre pressure for the diesel?"], ALTERNATIVES) == (
        "tyre pressure for the diesel? (rear)"
    )


def test_a_follow_up_asking_something_new_is_left_alone() -> None:
    assert standalone_query("and its towing capacity?", ["what power?"], ALTERNATIVES) == (
        "and its towing capacity?"
    )


def test_a_follow_up_naming_a_new_attribute_beside_a_table_word_is_left_alone() -> None:
    catalogue = Catalogue(alternatives=[["capacity", "specification"]])
    assert standalone_query("and its towing capacity?", ["power?"], catalogue) == (
        "and its towing capacity?"
    )


def test_how_long_is_the_vehicle_asks_for_its_length(sample_catalogue: Catalogue) -> None:
    assert size_asked("How long is the Ridge?", sample_catalogue) == "length"
    assert size_asked("how wide is a Kestrel Aster", sample_catalogue) == "width"
    assert size_asked("How heavy is my Sable 2.0T GT?", sample_catalogue) == "weight"
    assert retrieval_query("How long is the Ridge?", "Ridge", sample_catalogue) == (
        "How long is the Ridge? (length)"
    )


def test_how_long_is_anything_else_is_not_a_dimension(sample_catalogue: Catalogue) -> None:
    for question in (
        "How long is the warranty?",
        "how long is the Ridge's warranty",
        "How long is the wait for a Ridge service?",
        "How long does the Ridge take to charge?",
        "how wide is the Ridge incl. mirrors?",
    ):
        assert size_asked(question, sample_catalogue) is None, question


NOTHING_KNOWN = Catalogue()


@pytest.mark.parametrize(
    ("asked", "follow_up", "standalone"),
    [
        (
            "Cooling system capacity on the 2.4 litre engine?",
            "what about the 1.8",
            "Cooling system capacity on the 1.8 litre engine?",
        ),
        (
            "at what speed should i shift from 1st to 2nd?",
            "ok and 3rd to 4th?",
            "at what speed should i shift from 3rd to 4th?",
        ),
        (
            "oil pressure of the D7F engine at 3000 rpm?",
            "and the F8Q?",
            "oil pressure of the F8Q engine at 3000 rpm?",
        ),
        (  # a number and a sibling: each takes the place of its like
            "how much engine oil does the 3.8 petrol take with a filter change?",
            "and the 3.2 diesel?",
            "how much engine oil does the 3.2 diesel take with a filter change?",
        ),
        (  # what the question says between the two goes with them, the follow-up's comes in
            "how much engine oil does the 3.8 V6 petrol take with a filter change?",
            "and the 3.2 DI-D diesel?",
            "how much engine oil does the 3.2 DI-D diesel take with a filter change?",
        ),
        (  # words far apart are not one phrase: each is replaced alone
            "Front tyre pressure when cold on the 2.0 petrol?",
            "and the rear on the 1.6?",
            "Rear tyre pressure when cold on the 1.6 petrol?",
        ),
    ],
)
def test_a_word_told_apart_by_its_number_takes_the_place_of_its_like(
    asked: str, follow_up: str, standalone: str
) -> None:
    assert standalone_query(follow_up, [asked], NOTHING_KNOWN) == standalone


@pytest.mark.parametrize(
    ("asked", "follow_up", "standalone"),
    [
        (
            "what bulb number are the low beam headlights",
            "and the high beams?",
            "what bulb number are the high beam headlights",
        ),
        (
            "How much ATF does the AWD one take?",
            "And a 2WD one?",
            "How much ATF does the 2wd one take?",
        ),
        (
            "Front tyre pressure when loaded?",
            "right, and the rear?",
            "Rear tyre pressure when loaded?",
        ),
        (  # the petrol's own "V6" goes with it; a sibling before it ("2wd") stays
            "What should the V6 petrol idle speed be?",
            "and the diesel?",
            "What should the diesel idle speed be?",
        ),
        (
            "How much ATF does the 2wd automatic take?",
            "and the manual?",
            "How much ATF does the 2wd manual take?",
        ),
        (  # a year is the vehicle's, not the petrol's
            "oil capacity of the 2013 petrol?",
            "and the diesel?",
            "oil capacity of the 2013 diesel?",
        ),
    ],
)
def test_the_trades_pairs_are_siblings_whatever_the_tables_say(
    asked: str, follow_up: str, standalone: str
) -> None:
    assert standalone_query(follow_up, [asked], NOTHING_KNOWN) == standalone


def test_a_follow_up_naming_another_part_asks_the_question_of_it() -> None:
    assert standalone_query(
        "what about the transfer case?", ["oil in the rear diff?"], NOTHING_KNOWN
    ) == ("oil in the transfer case?")


@pytest.mark.parametrize(
    ("asked", "follow_up", "standalone"),
    [
        (
            "How much gear oil does the front differential hold?",
            "what about the rear diff?",
            "How much gear oil does the rear differential hold?",
        ),
        (
            "What cold tire pressure should the front tires be at?",
            "and the rears?",
            "What cold tire pressure should the rear tires be at?",
        ),
        (
            "bulb number for the front turn signals?",
            "and for the parking lights?",
            "bulb number for the parking lights?",
        ),
        (
            "Torque for the tail cap cover bolts on the muffler?",
            "and the spark arrester mounting bolts?",
            "Torque for the spark arrester mounting bolts on the muffler?",
        ),
        (
            "the check engine light is blinking code 21 - what part is faulty?",
            "what about code 42?",
            "the check engine light is blinking code 42 - what part is faulty?",
        ),
        (
            "How much oil does the engine take with a new filter?",
            "and if I don't change the filter?",
            "How much oil does the engine take if I don't change the filter?",
        ),
        (
            "How much oil does it take for an oil change?",
            "what about after an engine rebuild?",
            "How much oil does it take for an oil change after an engine rebuild?",
        ),
    ],
)
def test_a_short_follow_up_fills_the_slot_of_the_question_before(
    asked: str, follow_up: str, standalone: str
) -> None:
    assert standalone_query(follow_up, [asked], NOTHING_KNOWN) == standalone


@pytest.mark.parametrize(
    ("asked", "follow_up"),
    [
        ("What does the battery warning light mean?", "ok and what does the ABS light mean?"),
        ("How much power does it make?", "and its towing capacity?"),
        ("How much oil does it take?", "and where is the dipstick?"),
    ],
)
def test_a_follow_up_asking_its_own_question_fills_no_slot(asked: str, follow_up: str) -> None:
    assert standalone_query(follow_up, [asked], NOTHING_KNOWN) == follow_up
