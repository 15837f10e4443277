"""Offered times read back from an answer, the one a reply picks, and whether a model's wording
of a tool's result keeps what the tool said. Pure."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from agents.maintenance.offers import (
    Offer,
    Pick,
    moving_in,
    moving_text,
    offer_in,
    offer_text,
    picked,
)
from agents.maintenance.wording import LONG_RUN, WordingScreen, keeps

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # a Wednesday
TZ = ZoneInfo("UTC")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ)


MONDAY = [at(23, 8), at(23, 8, 30), at(23, 9), at(23, 9, 30), at(23, 10)]
OFFER = Offer("general_service", tuple(MONDAY))


def test_an_offer_is_read_back_from_the_answer_that_carried_it_in_any_words() -> None:
    text = offer_text("general_service", MONDAY, TZ)
    assert text == "General service (2 h): Monday 23 November: 08:00, 08:30, 09:00, 09:30, 10:00"
    answer = f"Good news! Free start times for {text}. Which one suits you?"
    assert offer_in(answer, NOW, TZ) == OFFER
    two_days = offer_text("oil_change", [at(20, 14), at(23, 8)], TZ)
    assert two_days == "Oil change (1 h): Friday 20 November: 14:00; Monday 23 November: 08:00"
    assert offer_in(f"Nearby: {two_days}.", NOW, TZ) == Offer("oil_change", (at(20, 14), at(23, 8)))
    assert offer_in("Monday 23 November: 08:00 is free.", NOW, TZ) is None  # no service: none


@pytest.mark.parametrize(
    ("message", "start"),
    [
        ("09:00 please", at(23, 9)),
        ("I'll take the 10:30 one", None),  # not offered, same day: booking decides
        ("the 9:30 one", at(23, 9, 30)),
        ("Monday at 9 works for me", at(23, 9)),
        ("ok, 08:30 then", at(23, 8, 30)),
        ("9am", at(23, 9)),
        ("The first one, please", at(23, 8)),
        ("the last one", at(23, 10)),
        ("Book Monday 23 November at 09:00", at(23, 9)),
    ],
)
def test_a_reply_picks_an_offered_time(message: str, start: datetime | None) -> None:
    pick = picked(message, OFFER, NOW, TZ)
    assert pick is not None and pick.service == "general_service"
    assert pick.start == (start or at(23, 10, 30))


@pytest.mark.parametrize(
    "message",
    [
        "Is the workshop open at 08:00 on Saturday?",
        "How long does a general service take?",
        "Can I cancel without paying if I book 09:00?",
        "Book an oil change on Monday at 9",  # another service: not this offer
        "Thanks!",
        "What does the annual service include and can you tell me about the brake checks on it?",
    ],
)
def test_other_messages_pick_nothing(message: str) -> None:
    assert picked(message, OFFER, NOW, TZ) is None


@pytest.mark.parametrize("message", ["yes", "Yes please", "ok, book it", "sounds good!", "sure"])
def test_yes_to_the_one_time_offered_books_it(message: str) -> None:
    one = Offer("oil_change", (at(23, 9),))
    assert picked(message, one, NOW, TZ) == Pick("oil_change", at(23, 9))
    assert picked(message, OFFER, NOW, TZ) is None  # five offered: which one?
    assert picked(f"{message}, but is it open on Sunday?", one, NOW, TZ) is None


def test_times_offered_for_a_move_name_the_appointment_they_move() -> None:
    answer = f"Free start times for {offer_text('oil_change', [at(24, 9)], TZ)}.\n"
    assert moving_in(answer + moving_text("3C1376")) == "3C1376"
    assert moving_in("Happy to move booking 3C1376 to one of these.") == "3C1376"
    assert moving_in(answer + "Tell me which one you'd like and I'll book it.") is None


def test_a_time_offered_on_two_days_asks_which_day() -> None:
    offer = Offer("oil_change", (at(20, 9), at(23, 9)))
    assert picked("09:00 please", offer, NOW, TZ) == Pick(
        "oil_change",
        which_day="Which day would you like 09:00: Friday 20 November or Monday 23 November?",
    )
    assert picked("Friday at 09:00", offer, NOW, TZ) == Pick("oil_change", at(20, 9))


SLOTS = (
    "Free start times for General service (2 h): Monday 23 November: 08:00, 09:00.\n"
    "Tell me which one you'd like and I'll book it."
)
BOOKED = (
    "Booked: General service on Monday 23 November at 09:00–11:00. Reference 3C1376. "
    "Free cancellation up to 24 hours before."
)


@pytest.mark.parametrize(
    ("wording", "result", "kept"),
    [
        ("On Monday 23 November you can come at 08:00 or 09:00. Which suits you?", SLOTS, True),
        ("You can come on Monday 23 November at 8:00 or 09:00.", SLOTS, False),  # 8:00
        ("Monday 23 November: 08:00, 09:00 or 10:00.", SLOTS, False),  # 10:00 added
        ("You're booked for Monday 23 November at 08:00 or 09:00!", SLOTS, False),  # no booking
        ("Done: Monday 23 November at 09:00–11:00, reference 3C1376.", BOOKED, True),
        ("Your general service is booked for Monday 23 November at 09:00–11:00.", BOOKED, False),
        ("Booked for Monday 23 November at 09:00–11:00, reference 3C1377.", BOOKED, False),
        ("That appointment is cancelled.", "That appointment is already cancelled.", True),
        ("I've cancelled it.", "You have no upcoming appointments to cancel.", False),
    ],
)
def test_a_wording_is_said_only_if_it_keeps_what_the_tool_said(
    wording: str, result: str, kept: bool
) -> None:
    assert keeps(wording, result) is kept


def screened(pieces: list[str], result: str) -> tuple[list[str], str, bool]:
    """What a `WordingScreen` lets through after each piece, its flush, and whether it stopped."""
    screen = WordingScreen(result)
    out = [screen.feed(piece) for piece in pieces]
    return out, screen.flush(), screen.changed


def test_a_wording_goes_out_a_sentence_at_a_time_as_it_streams() -> None:
    pieces = ["You can", " come on Monday", " 23 November.", " Pick 08:00", " or 09:00", "."]
    out, rest, changed = screened(pieces, SLOTS)
    assert out == ["", "", "", "You can come on Monday 23 November. ", "", ""]
    assert (rest, changed) == ("Pick 08:00 or 09:00.", False)


def test_a_wording_stops_at_the_sentence_that_strays_from_the_tool() -> None:
    pieces = ["Monday 23 November works.\n", "You're booked at 08:00.", " Thanks!"]
    out, rest, changed = screened(pieces, SLOTS)
    assert out == ["Monday 23 November works.\n", "", ""]  # "booked": no booking was made
    assert (rest, changed) == ("", True)


def test_the_end_of_a_wording_is_held_until_it_is_known_to_keep_to_the_tool() -> None:
    out, rest, changed = screened(["Monday 23 November at 10:00"], SLOTS)
    assert (out, rest, changed) == ([""], "", True)  # 10:00 was never offered


def test_a_sentence_that_runs_on_goes_out_word_by_word_behind_what_was_checked() -> None:
    words = [f"word{i} " for i in range(LONG_RUN)]
    out, _, _ = screened([*words, "on ", "Monday ", "23 ", "November "], SLOTS)
    said = "".join(out)
    last = f"word{LONG_RUN - 1} "
    assert said.startswith("word0 word1 ") and said.endswith(f"{last}on ")
    assert "Monday" not in said  # held: it could begin a day not offered
    out, _, changed = screened([*words, "on ", "Monday ", "30 ", "November "], SLOTS)
    assert "".join(out).endswith(f"{last}on ") and changed  # stopped before the wrong day
