"""Runs of text deltas in a model's event stream become one event; nothing else changes."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from orchestrator.sse_merge import DeltaMerger, text_delta


def chunk(delta: dict[str, Any], finish: str | None = None, id: str = "c1") -> dict[str, Any]:
    return {
        "id": id,
        "object": "chat.completion.chunk",
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }


def sse(payload: dict[str, Any] | str) -> bytes:
    data = payload if isinstance(payload, str) else json.dumps(payload)
    return f"data: {data}\n\n".encode()


def text(piece: str, id: str = "c1") -> bytes:
    return sse(chunk({"content": piece}, id=id))


ROLE = sse(chunk({"role": "assistant", "content": "", "refusal": None}))
FINISH = sse(chunk({}, "stop"))
USAGE = sse({"id": "c1", "choices": [], "usage": {"total_tokens": 3}})
DONE = b"data: [DONE]\n\n"


def tool_call(fragment: str) -> bytes:
    return sse(chunk({"tool_calls": [{"index": 0, "function": {"arguments": fragment}}]}))


def events(stream: bytes) -> list[Any]:
    """What a client reads: each event's data, parsed when it is one line of JSON data."""
    out: list[Any] = []
    for event in stream.split(b"\n\n")[:-1]:
        data = event.removeprefix(b"data: ")
        out.append(json.loads(data) if data.startswith(b"{") else data.decode())
    return out


def answer_text(stream: bytes) -> str:
    return "".join(
        e["choices"][0]["delta"].get("content") or ""
        for e in events(stream)
        if isinstance(e, dict) and e.get("choices")
    )


def merged(*reads: bytes) -> bytes:
    merger = DeltaMerger()
    return b"".join(merger.feed(read) for read in reads) + merger.flush()


def test_a_run_of_text_deltas_read_at_once_becomes_one_event_with_the_runs_text() -> None:
    out = merged(text("The ") + text("Ridge ") + text("tows"))
    assert events(out) == [chunk({"content": "The Ridge tows"})]


def test_the_role_opens_the_run_it_is_merged_with() -> None:
    out = merged(ROLE + text("Hi") + text(" there"))
    assert events(out) == [chunk({"role": "assistant", "content": "Hi there", "refusal": None})]


def test_the_finish_usage_and_done_pass_unchanged_and_in_order() -> None:
    stream = text("a") + text("b") + FINISH + USAGE + DONE
    out = merged(stream)
    assert events(out) == [chunk({"content": "ab"}), *events(FINISH + USAGE + DONE)]
    assert out.endswith(FINISH + USAGE + DONE)


def test_tool_call_deltas_are_never_merged() -> None:
    stream = text("Booking.") + tool_call('{"da') + tool_call('te": 1}') + FINISH
    assert merged(stream) == stream


def test_deltas_of_two_completions_are_not_merged() -> None:
    stream = text("a", id="c1") + text("b", id="c2")
    assert merged(stream) == stream


def test_an_event_split_between_reads_goes_on_with_the_read_that_completes_it() -> None:
    merger = DeltaMerger()
    whole = text("one") + text("two")
    assert merger.feed(whole[:10]) == b""
    assert events(merger.feed(whole[10:])) == [chunk({"content": "onetwo"})]
    assert merger.spoke


def test_a_run_never_waits_for_a_later_read() -> None:
    merger = DeltaMerger()
    assert events(merger.feed(text("a") + text("b"))) == [chunk({"content": "ab"})]
    assert events(merger.feed(text("c"))) == [chunk({"content": "c"})]
    assert merger.merged == 1


def test_a_single_delta_goes_on_byte_for_byte() -> None:
    assert merged(text("only")) == text("only")


def test_it_has_not_spoken_before_some_text_went_through() -> None:
    merger = DeltaMerger()
    merger.feed(ROLE + tool_call("{}"))
    assert not merger.spoke


def test_a_stream_with_carriage_returns_is_passed_on_untouched() -> None:
    stream = (text("a") + text("b")).replace(b"\n", b"\r\n")
    assert merged(stream[:7], stream[7:]) == stream


def test_comments_and_events_of_several_lines_pass_unchanged() -> None:
    stream = b": keep-alive\n\n" + b"event: x\ndata: {}\n\n" + text("a")
    assert merged(stream) == stream


def test_an_unfinished_last_event_is_passed_on_as_it_came() -> None:
    assert merged(text("a") + b'data: {"id') == text("a") + b'data: {"id'


pieces = st.text(st.characters(codec="utf-8", exclude_characters="\r"), max_size=6)
stream_events = st.lists(
    st.one_of(
        pieces.map(text),
        pieces.map(lambda p: text(p, id="c2")),
        pieces.map(tool_call),
        st.just(ROLE),
        st.just(FINISH),
        st.just(USAGE),
        st.just(b": ping\n\n"),
    ),
    max_size=30,
)


@given(stream_events, st.lists(st.integers(0, 10_000), max_size=8), st.lists(st.booleans()))
def test_however_it_is_read_a_client_reads_the_same_stream_in_fewer_events(
    parts: list[bytes], cuts: list[int], merging: list[bool]
) -> None:
    """Whatever the reads, and whether each merges or not (the pace changes mid-answer)."""
    stream = b"".join(parts) + DONE
    points = sorted({c % (len(stream) + 1) for c in cuts})
    reads = [stream[a:b] for a, b in zip([0, *points], [*points, len(stream)], strict=True)]
    merger = DeltaMerger()
    out = b"".join(
        merger.feed(read, merge=merging[i] if i < len(merging) else True)
        for i, read in enumerate(reads)
    )
    out += merger.flush()
    assert answer_text(out) == answer_text(stream)
    assert collapsed(events(out)) == collapsed(events(stream))
    assert len(events(out)) <= len(events(stream))


def collapsed(stream: list[Any]) -> list[Any]:
    """The events with each run of text deltas of one completion as one (text, id, role)."""
    out: list[Any] = []
    for event in stream:
        if not (isinstance(event, dict) and text_delta(sse(event)[:-2]) is not None):
            out.append(event)
            continue
        delta = event["choices"][0]["delta"]
        if out and isinstance(out[-1], list) and out[-1][1] == event["id"]:
            out[-1][0] += delta["content"]
        else:
            out.append([delta["content"], event["id"], delta.get("role")])
    return out


def test_unless_asked_to_merge_every_delta_goes_on_as_it_came() -> None:
    merger = DeltaMerger()
    stream = ROLE + text("a") + text("b") + FINISH
    assert merger.feed(stream[:30], merge=False) + merger.feed(stream[30:], merge=False) == stream
    assert merger.merged == 0
