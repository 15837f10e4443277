"""A message that asks two things is read as its parts; one that asks one thing is not."""

from __future__ import annotations

import pytest

from agents.extraction import parts_asked


@pytest.mark.parametrize(
    ("message", "parts"),
    [
        (
            "How big is the fuel tank, and what's the minimum octane I can run?",
            ["How big is the fuel tank", "what's the minimum octane I can run?"],
        ),
        (
            "ABS light won't go off above 10 km/h - what should I do? Also what's the "
            "recommended brake fluid?",
            [
                "ABS light won't go off above 10 km/h - what should I do?",
                "what's the recommended brake fluid?",
            ],
        ),
        (
            "Which spark plugs does it use; how often are they replaced?",
            ["Which spark plugs does it use", "how often are they replaced? (spark plugs)"],
        ),
    ],
)
def test_each_question_word_opening_a_clause_opens_a_part(message: str, parts: list[str]) -> None:
    assert parts_asked(message) == parts


@pytest.mark.parametrize(
    "message",
    [
        "the coolant warning is flashing and beeping, what do I do?",
        "Can I reuse the cylinder head bolts? What's the max length before they're too long?",
        "Battery shows 11.9 volts - is it dead? and what's the max amps to charge it at?",
        "idle goes up when I switch the AC on, what range is normal for that?",
        "What's the tyre pressure, when the car is fully loaded?",
        "Why is the A.T. P warning light on?",
    ],
)
def test_context_a_yes_or_no_question_or_a_condition_opens_no_part(message: str) -> None:
    assert parts_asked(message) == [message]


def test_a_part_naming_nothing_of_its_own_carries_what_the_part_before_names() -> None:
    assert parts_asked("What gear oil goes in the transfer case and how many litres?") == [
        "What gear oil goes in the transfer case",
        "how many litres? (gear oil goes transfer case)",
    ]


def test_a_part_with_its_own_context_keeps_its_sentence_and_carries_nothing() -> None:
    assert parts_asked("How much can it tow? Also my amber light is on, what does it mean?") == [
        "How much can it tow?",
        "my amber light is on, what does it mean?",
    ]


def test_an_abbreviation_s_full_stop_ends_no_sentence() -> None:
    assert parts_asked("Why is the A.T. P light on and how do I get it to go out?") == [
        "Why is the A.T. P light on",
        "how do I get it to go out? (a.t light)",
    ]
