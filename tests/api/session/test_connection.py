"""The connection core: authentication first, expiry, the endpoint's frames, never I/O."""

from __future__ import annotations

import json
import time

import pytest
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
    TokenEvent,
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


def test_the_auth_frame_chooses_token_events_without_the_answer_so_far() -> None:
    (_, default) = core().receive(auth(token()), NOW)
    assert isinstance(default, Authenticated) and default.partial_response is True
    frame = json.dumps({"type": "auth", "token": token(), "partial_response": False})
    (_, authenticated) = core().receive(frame, NOW)
    assert isinstance(authenticated, Authenticated) and authenticated.partial_response is False


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


def test_a_malformed_or_binary_frame_before_auth_closes_too() -> None:
    for frame in ("{not json", None, json.dumps({"type": "nonsense"})):
        connection = core()
        actions = connection.receive(frame, NOW)
        assert codes(actions) == ["AUTH_REQUIRED"], frame
        assert actions[-1] == Close(CLOSE_AUTH, "authentication required")


def test_a_socket_that_does_not_authenticate_in_time_is_closed() -> None:
    connection = core()
    assert connection.wait_s(NOW) == 10
    actions = connection.timed_out(NOW + 10, busy=False)
    assert codes(actions) == ["AUTH_REQUIRED"]
    assert actions[-1] == Close(CLOSE_AUTH, "authentication timeout")
    assert connection.timed_out(NOW + 20, busy=False) == []


def test_the_wait_for_a_frame_ends_when_the_token_expires() -> None:
    connection = core()
    connection.receive(auth(token(ttl_s=60)), NOW)
    assert connection.user is not None
    expires_at = connection.user.expires_at
    connection.receive(json.dumps({"type": "ping"}), expires_at - 5)
    assert connection.wait_s(expires_at - 5) == pytest.approx(5, abs=0.02)
    connection.receive(json.dumps({"type": "ping"}), expires_at - 500)
    assert connection.wait_s(expires_at - 400) == pytest.approx(200, abs=0.02)
    assert connection.timed_out(expires_at - 1, busy=True) == []  # a turn runs: not idle
    actions = connection.timed_out(expires_at + 0.1, busy=True)  # expired: busy or not
    assert codes(actions) == ["AUTH_FAILED"]
    assert actions[-1] == Close(CLOSE_AUTH, "token expired")


def test_an_expired_token_is_pushed_nothing() -> None:
    """Events pushed to the connection (a turn's tokens, the staff list) stop at expiry."""
    connection = core()
    connection.receive(auth(token(ttl_s=60)), NOW)
    assert connection.user is not None
    expires_at = connection.user.expires_at
    pushed = PongEvent(timestamp=1)
    assert connection.outgoing(pushed, expires_at - 1) == [Send(pushed)]
    actions = connection.outgoing(pushed, expires_at + 1)
    assert codes(actions) == ["AUTH_FAILED"]
    assert actions[-1] == Close(CLOSE_AUTH, "token expired")
    assert connection.outgoing(pushed, expires_at + 2) == []
    # The farewell the core queued when it closed for the expiry still goes out.
    farewell = ErrorEvent(error="expired", code=ErrorCode.AUTH_FAILED)
    assert connection.outgoing(farewell, expires_at + 2) == [Send(farewell)]


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


def test_a_frame_over_the_limit_is_refused_unread_and_the_connection_stays() -> None:
    connection = ConnectionCore(CHAT, lambda token: verify(SECRET, token), max_frame_bytes=400)
    connection.receive(auth(token()), NOW)
    at_limit = json.dumps({"type": "message", "message": "x" * 366})
    assert len(at_limit) == 400
    assert connection.receive(at_limit, NOW) == [Dispatch(ChatFrame(message="x" * 366))]
    # Counted in UTF-8 bytes, as the frame came: 130 characters of 3 bytes each are too many.
    over = json.dumps({"type": "message", "message": "€" * 130}, ensure_ascii=False)
    [refused] = connection.receive(over, NOW)
    assert codes([refused]) == ["MESSAGE_TOO_LARGE"]
    assert isinstance(refused, Send) and "the limit is 400" in refused.event.error  # type: ignore[attr-defined]
    assert codes(connection.receive("x" * 401, NOW)) == ["MESSAGE_TOO_LARGE"]  # not parsed
    assert connection.phase is Phase.AUTHENTICATED


def test_a_frame_over_the_limit_before_auth_closes_as_any_other_frame_would() -> None:
    connection = ConnectionCore(CHAT, lambda token: verify(SECRET, token), max_frame_bytes=400)
    actions = connection.receive("x" * 401, NOW)
    assert codes(actions) == ["AUTH_REQUIRED"]
    assert actions[-1] == Close(CLOSE_AUTH, "authentication required")


def test_idle_closes_unless_a_turn_is_running() -> None:
    connection = core()
    connection.receive(auth(token()), NOW)
    assert connection.timed_out(NOW + 299, busy=False) == []  # woken early: not idle yet
    assert connection.timed_out(NOW + 300, busy=True) == []  # a turn runs: the clock restarts
    assert connection.wait_s(NOW + 300) == pytest.approx(300, abs=0.02)
    assert connection.timed_out(NOW + 600, busy=False) == [Close(1000, "idle timeout")]
    assert connection.timed_out(NOW + 900, busy=False) == []


def test_an_answer_streaming_from_elsewhere_keeps_the_connection_from_idling() -> None:
    connection = core()
    connection.receive(auth(token()), NOW)
    # A message waited in line and its turn runs on another instance: nothing runs here.
    connection.outgoing(TokenEvent(token="Hi", session_id="s", turn_id="t"), NOW + 250)
    assert connection.timed_out(NOW + 400, busy=False) == []
    assert connection.timed_out(NOW + 550, busy=False) == [Close(1000, "idle timeout")]


FRAMES = [
    json.dumps({"type": "ping", "timestamp": 1}),
    json.dumps({"type": "message", "message": "hello"}),
    json.dumps({"type": "message", "message": ""}),
    json.dumps({"type": "message", "message": "x", "session_id": "bad id!"}),
    json.dumps({"type": "cancel"}),
    json.dumps({"type": "resume", "session_id": "s", "after_seq": 0}),
    json.dumps({"type": "resume", "session_id": "s", "after_seq": -1}),
    json.dumps({"type": "watch", "session_id": "s"}),
    json.dumps({"type": "unwatch"}),
    json.dumps({"type": "nonsense"}),
    '{"type": "ping", "timestamp": NaN}',
    '{"type": "message", "message": "a\\ud800"}',
    "[]",
    "null",
    "",
]
frames = st.one_of(
    st.text(max_size=40),
    st.binary(max_size=60).map(lambda raw: raw.decode("utf-8", "replace")),
    st.sampled_from(FRAMES),
    st.builds(
        lambda base, key, value: json.dumps({**json.loads(base), key: value}),
        st.sampled_from(FRAMES[:10]),
        st.sampled_from(["type", "message", "session_id", "timestamp", "after_seq", "token"]),
        st.one_of(st.none(), st.integers(), st.floats(), st.text(max_size=10), st.booleans()),
    ),
    st.just(None),
    st.builds(auth, st.sampled_from([token(), token("staff"), token(ttl_s=5), "bad", ""])),
)
steps = st.one_of(
    st.tuples(st.just("receive"), frames, st.floats(0, 1200)),
    st.tuples(st.just("push"), st.just(None), st.floats(0, 1200)),
    st.tuples(st.just("timeout"), st.booleans(), st.floats(0, 1200)),
)
PUSHED = PongEvent(timestamp="pushed")


@settings(max_examples=3000, deadline=None)
@given(st.lists(steps, max_size=12), st.booleans())
def test_any_sequence_keeps_the_protocol_rules(
    inputs: list[tuple[str, object, float]], staff: bool
) -> None:
    """Whatever arrives, whenever: nothing is dispatched before a valid auth or after expiry
    or close, an expired token is pushed nothing, a Close is always last and nothing follows
    it, and a refused frame leaves the connection usable (a ping is still answered)."""
    endpoint = STAFF if staff else CHAT
    connection = core(endpoint)
    closed = False
    now = NOW
    for kind, payload, elapsed in inputs:
        now += elapsed  # time only goes forward
        authenticated = connection.user is not None
        if kind == "receive":
            actions = connection.receive(payload, now)  # type: ignore[arg-type]
        elif kind == "push":
            actions = connection.outgoing(PUSHED, now)
        else:
            actions = connection.timed_out(now, busy=bool(payload))
        if closed and kind != "push":  # (the adapter sends nothing queued after a Close)
            assert actions == []
            continue
        for i, action in enumerate(actions):
            if isinstance(action, Close):
                assert i == len(actions) - 1 and not closed
                closed = True
            if isinstance(action, Dispatch):
                assert connection.user is not None and connection.user.expires_at >= now
                assert isinstance(action.frame, endpoint.frames)
            if isinstance(action, Send) and isinstance(action.event, ErrorEvent):
                # An error that closes is about auth: none yet, or the token expired. One that
                # keeps the connection refuses a frame.
                closing = any(isinstance(a, Close) for a in actions)
                expected = (
                    (ErrorCode.AUTH_FAILED if authenticated else ErrorCode.AUTH_REQUIRED)
                    if closing
                    else ErrorCode.INVALID_MESSAGE
                )
                assert action.event.code is expected
            if isinstance(action, Send) and action.event is PUSHED:
                assert connection.user is None or connection.user.expires_at >= now
        refused = any(isinstance(a, Send) and isinstance(a.event, ErrorEvent) for a in actions)
        if refused and not closed:
            assert connection.phase is Phase.AUTHENTICATED
            ping = json.dumps({"type": "ping", "timestamp": 2})
            assert connection.receive(ping, now) == [Send(PongEvent(timestamp=2))]
    assert closed == (connection.phase is Phase.CLOSED)
