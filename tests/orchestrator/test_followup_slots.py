"""A short follow-up fills the slot of the question before: one spec per rule, and what is no
slot at all."""

from __future__ import annotations

import pytest

from orchestrator.followup_slots import (
    condition,
    first_thing,
    same_lead,
    shared_words,
    slot_filled,
)


def test_same_lead_replaces_the_phrase_after_the_same_preposition() -> None:
    assert same_lead(["for", "the", "parking", "lights"], "bulb number for the front signals?") == (
        "bulb number for the parking lights?"
    )
    assert same_lead(["into", "L"], "max speed for shifting into 2 for engine braking?") == (
        "max speed for shifting into L for engine braking?"
    )


def test_same_lead_puts_a_condition_in_place_of_the_questions_condition() -> None:
    asked = "Which level should I check when Low Oil Pressure comes up?"
    assert same_lead(["when", "it's", "the", "Brake", "Fault", "message"], asked) == (
        "Which level should I check when it's the Brake Fault message?"
    )
    assert same_lead(["if", "I", "skip", "the", "filter"], "Oil with a new filter, how much?") == (
        "Oil if I skip the filter, how much?"
    )


def test_same_lead_needs_the_word_in_the_question() -> None:
    assert same_lead(["for", "the", "rear"], "What size is the tyre?") is None


def test_condition_is_added_to_a_question_without_one() -> None:
    assert condition(["after", "a", "rebuild"], "How much oil does it take?") == (
        "How much oil does it take after a rebuild?"
    )
    assert condition(["the", "rebuild"], "How much oil does it take?") is None


def test_shared_words_replace_as_many_words_around_the_shared_one() -> None:
    asked = "How urgent is a Stability Control Fault message?"
    assert shared_words(["Hill", "Descent", "Control", "Fault"], asked) == (
        "How urgent is a Hill Descent Control Fault message?"
    )
    assert shared_words(["EPS", "Assistance", "Failure"], "What does EPS Power Reduced mean?") == (
        "What does EPS Assistance Failure mean?"
    )
    assert shared_words(["code", "42"], "blinking code 21 - what is faulty?") == (
        "blinking code 42 - what is faulty?"
    )


def test_shared_words_need_a_word_in_common() -> None:
    assert shared_words(["the", "transfer", "case"], "oil in the rear diff?") is None


def test_first_thing_is_the_first_phrase_after_a_preposition() -> None:
    asked = "How much oil goes in the rear differential on the AWD?"
    assert first_thing(["the", "transfer", "case"], asked) == (
        "How much oil goes in the transfer case on the AWD?"
    )
    assert first_thing(["the", "battery"], "How long is the warranty on the paint?") == (
        "How long is the warranty on the battery?"
    )


@pytest.mark.parametrize(
    "follow_up",
    [
        "ok and what does TPMS Fault mean then?",
        "and its towing capacity?",
        "what about the tyre pressure?",
        "and where is the dipstick?",
        "and when should I change it?",
        "the rear one",  # no opener: not a follow-up of this kind
    ],
)
def test_a_follow_up_with_its_own_question_fills_no_slot(follow_up: str) -> None:
    assert slot_filled(follow_up, "How much oil goes in the rear differential?") is None


def test_the_slot_is_taken_in_the_sentence_that_asks() -> None:
    question = (
        "The oil pressure light flickers at idle when the engine is hot. "
        "What's the minimum oil pressure at idle?"
    )
    assert slot_filled("and at 2000 rpm?", question) == (
        "The oil pressure light flickers at idle when the engine is hot. "
        "What's the minimum oil pressure at 2000 rpm?"
    )
    # Nothing in the asking sentence stands for it: the whole question is read, as before.
    question = "Bulb number for the front turn signals. Which one is it?"
    assert slot_filled("and for the parking lights?", question) == (
        "Bulb number for the parking lights. Which one is it?"
    )
