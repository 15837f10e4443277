"""Token coalescing: bursts become one frame, spaced tokens go out at once, order is kept."""

from __future__ import annotations

import asyncio

from hypothesis import given
from hypothesis import strategies as st

from api.protocol import ServerEventBase, TokenEvent
from api.session.coalesce import (
    MAX_WINDOW_S,
    FrameBudget,
    TokenCoalescer,
    TokenMerger,
    merge,
    window_s,
)

WINDOW = 0.005


def token(text: str, so_far: str) -> TokenEvent:
    return TokenEvent(token=text, partial_response=so_far, session_id="s", turn_id="t")


def test_merging_concatenates_tokens_and_keeps_the_latest_answer_so_far() -> None:
    merged = merge(token("Hel", "Hel"), token("lo", "Hello"))
    assert (merged.token, merged.partial_response, merged.turn_id) == ("Hello", "Hello", "t")


def test_the_first_token_goes_out_at_once() -> None:
    merger = TokenMerger(WINDOW)
    first = token("a ", "a ")
    assert merger.offer(first, now=10.0) is first


def test_tokens_spaced_wider_than_the_window_are_never_held() -> None:
    merger = TokenMerger(WINDOW)
    for i in range(5):
        assert merger.offer(token(f"w{i} ", ""), now=10.0 + i * 0.033) is not None


def test_a_burst_is_held_and_taken_as_one_frame_when_due() -> None:
    merger = TokenMerger(WINDOW)
    assert merger.offer(token("a ", "a "), now=10.0) is not None
    assert merger.offer(token("b ", "a b "), now=10.001) is None
    assert merger.offer(token("c ", "a b c "), now=10.002) is None
    assert merger.due_at == 10.0 + WINDOW
    taken = merger.take(now=10.005)
    assert taken is not None and (taken.token, taken.partial_response) == ("b c ", "a b c ")
    assert merger.take(now=10.006) is None


def test_a_token_after_held_ones_joins_them_even_past_the_window() -> None:
    merger = TokenMerger(WINDOW)
    merger.offer(token("a ", ""), now=1.0)
    merger.offer(token("b ", ""), now=1.001)
    # The timer is late (a busy loop): the next token must not overtake the held one.
    assert merger.offer(token("c ", ""), now=1.02) is None
    taken = merger.take(now=1.02)
    assert taken is not None and taken.token == "b c "


async def test_the_timer_sends_held_tokens_at_the_end_of_the_window() -> None:
    sent: list[ServerEventBase] = []
    coalescer = TokenCoalescer(WINDOW, sent.append)
    for text in ("one ", "two ", "three "):
        coalescer.add(token(text, ""))
    assert [e.token for e in sent if isinstance(e, TokenEvent)] == ["one "]
    await asyncio.sleep(WINDOW * 4)
    assert [e.token for e in sent if isinstance(e, TokenEvent)] == ["one ", "two three "]


async def test_flush_sends_held_tokens_before_anything_else_and_stops_the_timer() -> None:
    sent: list[str] = []
    coalescer = TokenCoalescer(WINDOW, lambda e: sent.append(e.token))
    coalescer.add(token("x ", ""))
    coalescer.add(token("y ", ""))
    coalescer.flush()
    sent.append("<complete>")
    await asyncio.sleep(WINDOW * 4)
    assert sent == ["x ", "y ", "<complete>"]


async def test_a_zero_window_sends_every_token_as_it_comes() -> None:
    sent: list[str] = []
    coalescer = TokenCoalescer(0, lambda e: sent.append(e.token))
    for text in ("a", "b", "c"):
        coalescer.add(token(text, ""))
    assert sent == ["a", "b", "c"]


def test_one_turn_under_way_keeps_the_configured_window() -> None:
    assert window_s(1, WINDOW, frames_per_s=500) == WINDOW


def test_many_turns_under_way_share_the_process_frame_budget() -> None:
    assert window_s(100, WINDOW, frames_per_s=500) == 0.2  # 5 frames a second each


def test_an_answer_still_moves_four_times_a_second_however_many_stream() -> None:
    assert window_s(10_000, WINDOW, frames_per_s=500) == MAX_WINDOW_S


def test_no_budget_keeps_the_configured_window() -> None:
    assert window_s(1_000, WINDOW, frames_per_s=0) == WINDOW


@given(
    st.integers(0, 5_000),
    st.integers(0, 5_000),
    st.floats(0, 0.1),
    st.floats(1, 10_000),
)
def test_the_window_widens_with_the_turns_and_stays_in_its_bounds(
    a: int, b: int, floor: float, frames: float
) -> None:
    fewer, more = sorted((a, b))
    assert window_s(fewer, floor, frames) <= window_s(more, floor, frames)
    assert floor <= window_s(more, floor, frames) <= max(floor, MAX_WINDOW_S)


async def test_a_coalescer_holds_tokens_longer_while_others_share_the_budget() -> None:
    budget = FrameBudget(floor_s=WINDOW, frames_per_s=20)
    others = [TokenCoalescer(WINDOW, lambda e: None, budget) for _ in range(3)]
    sent: list[str] = []
    mine = TokenCoalescer(WINDOW, lambda e: sent.append(e.token), budget)
    assert budget.streams == 4  # 0.2 s each
    mine.add(token("a ", ""))
    mine.add(token("b ", ""))
    await asyncio.sleep(WINDOW * 6)
    assert sent == ["a "]  # held well past the configured window
    for other in others:
        other.close()
    mine.close()
    mine.close()  # closing twice gives back one share
    assert budget.streams == 0
    mine.flush()
    assert sent == ["a ", "b "]
