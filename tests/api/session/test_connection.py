"""The connection core: authentication first, expiry, the endpoint's frames, never I/O."""

from __future__ import annotations

import json
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from api.auth import issue, verify
from api.protocol import (
    CLOSE_AUTH,
    CLOSE_FORBIDDEN,
    AuthError,
    AuthSuccess,
    CancelFrame,
    ChatFrame,
    ErrorCode,
    ErrorEvent,
    PongEvent,
    ResumeFrame,
    UnwatchFrame,
    WatchFrame,
)
from api.session import (
    Authenticated,
    Close,
    ConnectionCore,
    Dispatch,
    Endpoint,
    Phase,
    Send,
)

SECRET = "x" * 32
NOW = time.time()
CHAT = Endpoint(frames=(ChatFrame, CancelFrame, ResumeFrame), wrong_frame="staff frame")
STAFF = Endpoint(frames=(WatchFrame, UnwatchFrame), wrong_frame="chat frame", staff_only=True)


def core(endpoint: Endpoint = CHAT) -> ConnectionCore:
    return ConnectionCore(endpoint, lambda token: verify(SECRET, token))


def token(role: str = "customer", ttl_s: int = 3600) -> str:
    return issue(SECRET, "someone", role, ttl_s)  # type: ignore[arg-type]


def auth(token: str) -> str:
    return json.dumps({"type": "auth", "token": token})


def codes(actions: list) -> list[str]:  # type: ignore[type-arg]
    return [
        a.event.code.value
        for a in actions
        if isinstance(a, Send) and isinstance(a.event, ErrorEvent)
    ]


def test_a_good_token_authenticates_and_is_announced() -> None:
    connection = core()
    actions = connection.receive(auth(token()), NOW)
    assert isinstance(actions[0], Send) and isinstance(actions[0].event, AuthSuccess)
    assert isinstance(actions[1], Authenticated) and actions[1].user.id == "someone"
    assert connection.phase is Phase.AUTHENTICATED


def test_a_token_in_the_address_authenticates_on_open() -> None:
    connection = core()
    assert isinstance(connection.open(token())[-1], Authenticated)
    without = core()
    assert without.open(None) == []
    assert without.phase is Phase.UNAUTHENTICATED


def test_any_frame_before_auth_is_refused_and_closes() -> None:
    connection = core()
    actions = connection.receive(json.dumps({"type": "ping", "timestamp": 1}), NOW)
    assert codes(actions) == ["AUTH_REQUIRED"]
    assert actions[-1] == Close(CLOSE_AUTH, "authentication required")
    assert connection.phase is Phase.CLOSED
    assert connection.receive(auth(token()), NOW) == []  # closed stays closed


def test_a_bad_token_closes_with_4001() -> None:
    connection = core()
    actions = connection.receive(auth("not-a-token"), NOW)
    assert isinstance(actions[0], Send) and isinstance(actions[0].event, AuthError)
    assert actions[1] == Close(CLOSE_AUTH, "authentication failed")


def test_an_expired_token_receives_nothing_more() -> None:
    connection = core()
    connection.receive(auth(token(ttl_s=60)), time.time())
    assert connection.user is not None
    message = json.dumps({"type": "message", "message": "hello"})
    actions = connection.receive(message, connection.user.expires_at + 1)
    assert codes(actions) == ["AUTH_FAILED"]
    assert actions[-1] == Close(CLOSE_AUTH, "token expired")
    assert not any(isinstance(a, Dispatch) for a in actions)


def test_the_staff_endpoint_takes_staff_only() -> None:
    refused = core(STAFF).receive(auth(token("customer")), NOW)
    assert refused[-1] == Close(CLOSE_FORBIDDEN, "staff only")
    accepted = core(STAFF).receive(auth(token("staff")), NOW)
    assert isinstance(accepted[-1], Authenticated)


def test_frames_go_to_the_endpoint_that_takes_them() -> None:
    chat, staff = core(), core(STAFF)
    chat.receive(auth(token()), NOW)
    staff.receive(auth(token("staff")), NOW)
    watch = json.dumps({"type": "watch", "session_id": "s1"})
    message = json.dumps({"type": "message", "message": "hi"})
    assert codes(chat.receive(watch, NOW)) == ["INVALID_MESSAGE"]
    assert isinstance(chat.receive(message, NOW)[0], Dispatch)
    assert isinstance(staff.receive(watch, NOW)[0], Dispatch)
    assert codes(staff.receive(message, NOW)) == ["INVALID_MESSAGE"]


def test_ping_is_answered_by_the_core_and_a_second_auth_is_refused() -> None:
    connection = core()
    connection.receive(auth(token()), NOW)
    pong = connection.receive(json.dumps({"type": "ping", "timestamp": 7}), NOW)
    assert pong == [Send(PongEvent(timestamp=7))]
    assert codes(connection.receive(auth(token()), NOW)) == ["INVALID_MESSAGE"]


def test_binary_and_malformed_frames_are_refused_and_the_connection_stays() -> None:
    connection = core()
    connection.receive(auth(token()), NOW)
    assert codes(connection.receive(None, NOW)) == ["INVALID_MESSAGE"]
    assert codes(connection.receive("{not json", NOW)) == ["INVALID_MESSAGE"]
    assert connection.phase is Phase.AUTHENTICATED


def test_idle_closes_unless_a_turn_is_running() -> None:
    connection = core()
    assert connection.idle(busy=True) == []
    assert connection.idle(busy=False) == [Close(1000, "idle timeout")]
    assert connection.idle(busy=False) == []


frames = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            json.dumps({"type": "ping", "timestamp": 1}),
            json.dumps({"type": "message", "message": "hello"}),
            json.dumps({"type": "message", "message": ""}),
            json.dumps({"type": "cancel"}),
            json.dumps({"type": "resume", "session_id": "s", "after_seq": 0}),
            json.dumps({"type": "watch", "session_id": "s"}),
            json.dumps({"type": "nonsense"}),
            "[]",
            "null",
        ]
    ),
    st.just(None),
    st.builds(auth, st.sampled_from([token(), token("staff"), "bad", ""])),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(frames, st.floats(0, 7200)), max_size=12), st.booleans())
def test_any_sequence_keeps_the_protocol_rules(
    inputs: list[tuple[str | None, float]], staff: bool
) -> None:
    """Whatever arrives: nothing is dispatched before a valid auth or after expiry or close,
    a Close is always last, and nothing follows it."""
    endpoint = STAFF if staff else CHAT
    connection = core(endpoint)
    authenticated_at: float | None = None
    closed = False
    for text, offset in inputs:
        actions = connection.receive(text, NOW + offset)
        if closed:
            assert actions == []
            continue
        for i, action in enumerate(actions):
            if isinstance(action, Close):
                assert i == len(actions) - 1
                closed = True
            if isinstance(action, Authenticated):
                authenticated_at = NOW + offset
            if isinstance(action, Dispatch):
                assert authenticated_at is not None and connection.user is not None
                assert connection.user.expires_at >= NOW + offset
                assert isinstance(action.frame, endpoint.frames)
        for action in actions:
            if isinstance(action, Send) and isinstance(action.event, ErrorEvent):
                assert action.event.code in ErrorCode
    assert closed == (connection.phase is Phase.CLOSED)
