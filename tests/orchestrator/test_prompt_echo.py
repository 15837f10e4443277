"""An answer that repeats its prompt is recognised, as a whole and as it streams."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from agents.model_message import DATA_RULES, echo_of
from agents.specs.prompts import SYSTEM
from orchestrator.prompt_echo import EchoScreen, PromptEcho

ECHO = echo_of(SYSTEM)
ANSWERS = (
    "The Aster's WLTP range is 430 km for the Standard Range RWD [1].",
    "You are welcome to book a service: the Aster needs one every 20,000 km [2].",
    "The context does not contain the answer; please ask the service centre.",
    "### Steps\n1. Stop safely.\n2. Call roadside assistance [1].",
    "Tyre pressure: 2.5 bar front, 2.7 bar rear <see the door sticker> [1].",
)
ECHOES = (
    "You are a vehicle maker's specifications specialist. The company and its models are named.",
    "Sure! The request comes in sections headed like ### Question. Between the tags",
    "### Question\n<customer_message>\nWhat is the range?\n</customer_message>",
    "Here is the context:\n### Context\n[1] Aster Specifications",
    "ECHO:\n[system] You are a vehicle maker's specifications specialist.\nThe company",
    "As the passages say: <passages>\n[1] Aster",
)


def streamed(answer: str, cuts: list[int], echo: PromptEcho = ECHO) -> tuple[str, EchoScreen]:
    """What a screen lets out of `answer` fed in pieces cut at `cuts`, flushed at the end."""
    screen = EchoScreen(echo)
    bounds = [0, *sorted(set(cuts)), len(answer)]
    out = "".join(screen.feed(answer[a:b]) for a, b in pairwise(bounds))
    return out + screen.flush(), screen


def test_an_answer_of_its_own_is_no_echo() -> None:
    for answer in ANSWERS:
        assert not ECHO.found_in(answer), answer


def test_the_instructions_or_the_requests_structure_repeated_are_an_echo() -> None:
    for answer in ECHOES:
        assert ECHO.found_in(answer), answer


def test_every_specialists_instructions_and_the_data_rules_are_watched() -> None:
    assert ECHO.found_in(DATA_RULES.split(".")[1])  # a sentence of the data rules
    other = echo_of("Answer only about safety recalls, from the recall notices given to you.")
    assert other.found_in("answer only about safety recalls, from the recall notices given")
    assert not other.found_in("You are a vehicle maker's specifications specialist.")


def test_seven_words_of_the_instructions_are_not_yet_an_echo() -> None:
    assert not ECHO.found_in("Answer only from the numbered context. Cite the manual.")
    assert ECHO.found_in("Answer only from the numbered context. Cite each fact.")


def test_a_heading_of_the_request_counts_only_as_a_whole_line() -> None:
    assert not ECHO.found_in("### Models covered\nThe Aster and the Ridge.")
    assert ECHO.found_in("### Models\nKestrel: Aster, Ridge")


def test_a_screen_lets_an_answer_out_whole_and_in_order() -> None:
    for answer in ANSWERS:
        out, screen = streamed(answer, list(range(0, len(answer), 3)))
        assert out == answer and not screen.echoed


def test_a_screen_holds_what_could_begin_an_echo_until_it_is_clear() -> None:
    screen = EchoScreen(ECHO)
    assert screen.feed("The range is 430 km.\n") == "The range is 430 km.\n"
    assert screen.feed("##") == ""  # a heading of the request, perhaps
    assert screen.feed("# Range") == "### Range"
    assert screen.feed(" You are") == " "  # the instructions' first words, perhaps
    assert screen.feed(" right,") == "You are right,"
    assert screen.feed(" the") == " "  # a common word of the instructions: held one word
    assert screen.feed(" Aster.") == "the Aster."


def test_a_screen_lets_nothing_out_from_an_echo_on() -> None:
    screen = EchoScreen(ECHO)
    assert screen.feed("Well.\n") == "Well.\n"
    assert screen.feed("### Cont") == ""
    assert screen.feed("ext\n[1] Aster") == ""
    assert screen.echoed
    assert screen.feed(" more") == "" and screen.flush() == ""


def test_an_answer_that_ends_inside_what_was_held_gets_it_at_the_end() -> None:
    screen = EchoScreen(ECHO)
    assert screen.feed("See ###") == "See "
    assert screen.flush() == "###"


PIECES = st.sampled_from([*ANSWERS, *ECHOES, " ", "\n", "You are", "###", "<", "[1]", "the"])


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, min_size=1, max_size=6), st.lists(st.integers(0, 400), max_size=12))
def test_however_it_is_cut_the_stream_reads_as_the_whole_answer(
    parts: list[str], cuts: list[int]
) -> None:
    """The verdict is the whole answer's, whatever pieces it streams in; what goes out is the
    answer itself when it is no echo, and a part of it before the echo when it is one."""
    answer = "".join(parts)
    out, screen = streamed(answer, [c for c in cuts if c < len(answer)])
    assert screen.echoed == ECHO.found_in(answer)
    assert answer.startswith(out)
    if not screen.echoed:
        assert out == answer
    else:
        assert not ECHO.found_in(out)
