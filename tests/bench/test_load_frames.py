"""The open-loop generator's frame skim: token frames are told apart without parsing them."""

from __future__ import annotations

import json

from bench.load import Session, _read_frame, is_token_frame


def test_a_token_frame_is_recognised_in_ours_and_the_relays_spelling() -> None:
    assert is_token_frame('{"type":"token","token":"Hello","seq":3}')
    assert is_token_frame(json.dumps({"type": "token", "token": "Hello", "seq": 3}))
    assert is_token_frame(b'{"seq":3,"type":"token","token":"x"}')


def test_a_token_whose_text_quotes_a_type_is_not_taken_for_another_event() -> None:
    text = json.dumps({"type": "complete", "answer": 'say "type":"token" twice'})
    assert not is_token_frame(text)


def test_other_events_are_not_token_frames() -> None:
    assert not is_token_frame('{"type":"complete","message_id":"m"}')
    assert not is_token_frame('{"type":"progress","step":"queued","position":2}')


def test_the_first_token_is_parsed_and_timed_later_ones_only_counted() -> None:
    session = Session(0)
    assert not _read_frame(session, '{"type":"token","token":"one two"}', skim=True)
    assert session.first_token is not None
    assert session.tokens == 2
    assert not _read_frame(session, '{"type":"token","token":"three four"}', skim=True)
    assert (session.frames, session.tokens) == (2, 2)
    assert _read_frame(session, '{"type":"complete"}', skim=True)
    assert session.ok


def test_without_skim_every_token_is_counted() -> None:
    session = Session(0)
    for _ in range(3):
        _read_frame(session, '{"type":"token","token":"a b"}', skim=False)
    assert (session.frames, session.tokens) == (3, 6)
