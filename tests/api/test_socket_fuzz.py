"""Generated frames over a real socket to a running server (SQLite, then PostgreSQL): every
reply is a valid server event, after every frame the connection still answers a ping, and
every turn a frame started ends with exactly one terminal event.

The protocol core is fuzzed in-process for thousands of cases
(`tests/api/session/test_connection.py`); this bounded run checks the same rules through
uvicorn, the transport and the whole application, turns and the database included.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from websockets.sync.client import ClientConnection, connect

from api.protocol import SERVER_EVENT, TURN_ENDING_ERRORS
from tests.utils.server import ORIGIN, ServerProcess

EXAMPLES = 250  # sequences per backend (each up to 4 frames, each followed by a ping)
READ_S = 20.0

SESSION = f"fuzz-{uuid.uuid4().hex[:8]}"
FRAMES = [
    {"type": "ping", "timestamp": 1},
    {"type": "message", "message": "How often should the Aster have its oil changed?"},
    {"type": "message", "message": "Tyre pressure?", "session_id": SESSION},
    {"type": "message", "message": "", "session_id": SESSION},
    {"type": "message", "message": "x", "session_id": "bad id!"},
    {"type": "message", "message": "x" * 4001},
    {"type": "message", "message": "hi", "message_id": "m-1", "session_id": SESSION},
    {"type": "cancel", "session_id": SESSION},
    {"type": "cancel"},
    {"type": "resume", "session_id": SESSION, "after_seq": 0},
    {"type": "resume", "session_id": "someone-elses", "after_seq": 3},
    {"type": "resume", "session_id": SESSION, "after_seq": -1},
    {"type": "auth", "token": "again"},
    {"type": "watch", "session_id": SESSION},
    {"type": "nonsense"},
]
RAW = [
    '{"type": "ping", "timestamp": NaN}',
    '{"type": "message", "message": "a\\ud800"}',
    '{"type": "message", "message": "a\\u0000b"}',
    '{"type": "message", "message": "\\u200b\\u200b"}',
    "[]",
    "null",
    "",
    "{",
    '{"type": "message", "message": "x"' + " " * 3000 + "}",
]
VALUES = st.one_of(
    st.none(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.booleans(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)
frames = st.one_of(
    st.sampled_from([json.dumps(f) for f in FRAMES] + RAW),
    st.builds(
        lambda base, key, value: json.dumps({**base, key: value}),
        st.sampled_from(FRAMES),
        st.sampled_from(["type", "message", "session_id", "message_id", "after_seq", "timestamp"]),
        VALUES,
    ),
    st.text(max_size=60),
    st.binary(max_size=60),
)


class Probe:
    """One authenticated connection, used for the whole run: no frame may close it."""

    def __init__(self, connection: ClientConnection, user: str) -> None:
        self.connection = connection
        self.user = user
        self.pings = itertools.count(1_000_000)
        self.seen: dict[str, int] = {}  # event type -> count
        self.codes: dict[str, int] = {}  # error code -> count
        self.sent = 0
        self.started: dict[str, str] = {}  # turn announced by `session` -> its session
        self.ends: dict[str, set[tuple[str, int]]] = {}  # turn -> its numbered terminal events

    def send(self, frame: str | bytes) -> None:
        self.connection.send(frame)
        self.sent += 1
        self.still_answers()

    def still_answers(self) -> None:
        """A ping gets its pong; every event before it is a valid server event."""
        stamp = next(self.pings)
        self.connection.send(json.dumps({"type": "ping", "timestamp": stamp}))
        while True:
            raw = self.connection.recv(READ_S)
            event = SERVER_EVENT.validate_json(raw)  # raises if the server broke its schema
            self.seen[event.type] = self.seen.get(event.type, 0) + 1
            code = getattr(event, "code", None)  # an ErrorCode: the schema checked it
            if code is not None:
                self.codes[str(code)] = self.codes.get(str(code), 0) + 1
            if event.type == "session" and event.turn_id:
                self.started[event.turn_id] = event.session_id
            ending = event.type in ("complete", "cancelled") or code in TURN_ENDING_ERRORS
            if ending and event.seq is not None and event.turn_id and event.session_id:
                # A replay repeats an event with its seq: counted once.
                self.ends.setdefault(event.turn_id, set()).add((event.session_id, event.seq))
            if event.type == "pong" and getattr(event, "timestamp", None) == stamp:
                return


def _messages(server: ServerProcess, user: str, session: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{server.base_url}/api/v1/sessions/{session}/messages",
        headers={"Authorization": f"Bearer {server.token(user)}"},
        timeout=READ_S,
    )
    response.raise_for_status()
    return list(response.json())


@pytest.fixture(scope="module")
def probe(server: ServerProcess) -> Iterator[Probe]:
    with connect(server.ws_url, origin=ORIGIN, max_size=2**22) as connection:  # type: ignore[arg-type]
        user = f"fuzz-{uuid.uuid4().hex[:8]}"
        connection.send(json.dumps({"type": "auth", "token": server.token(user)}))
        assert json.loads(connection.recv(READ_S))["type"] == "auth_success"
        yield Probe(connection, user)


def test_generated_frames_over_a_socket_keep_the_connection_usable(
    server: ServerProcess, probe: Probe
) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(st.lists(frames, min_size=1, max_size=4))
    # Each refusal asserted below once for sure, before the generated frames have spent the
    # connection's message allowance (a rate-limited frame is refused before it is read).
    @example([json.dumps({"type": "message", "message": "x" * 4001})])
    @example([json.dumps({"type": "message", "message": "", "session_id": SESSION})])
    @example(["{"])
    def run(sequence: list[str | bytes]) -> None:
        for frame in sequence:
            probe.send(frame)

    run()
    # No turn ended twice in the streams this connection followed (it follows one session at a
    # time, so it does not see every end)...
    assert {turn: len(ends) for turn, ends in probe.ends.items() if len(ends) != 1} == {}
    # ...and every turn a frame started has ended, with its answer stored once.
    assert probe.started
    answers: dict[str, list[str]] = {}
    for _ in range(60):
        answers = {}
        for session in set(probe.started.values()):
            for message in _messages(server, probe.user, session):
                if message["role"] == "assistant":
                    answers.setdefault(message["turn_id"], []).append(message["status"])
        if set(probe.started) <= set(answers):
            break
        time.sleep(0.5)  # the last turns finish
    unended = {turn: answers.get(turn) for turn in probe.started if len(answers.get(turn, [])) != 1}
    assert unended == {}
    print(f"\nframes sent: {probe.sent}; events: {probe.seen}; error codes: {probe.codes}")
    assert probe.sent >= EXAMPLES
    # The run reached past the refusals: turns ran, and frames were refused for many reasons.
    assert probe.seen.get("complete", 0) + probe.seen.get("session", 0) > 0
    assert {"INVALID_MESSAGE", "EMPTY_MESSAGE", "MESSAGE_TOO_LARGE"} <= set(probe.codes)
