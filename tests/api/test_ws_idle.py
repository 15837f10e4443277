"""Idle: a quiet socket is closed, a socket waiting for its answer is not, and a session nobody
uses is forgotten on a timer (`LIVE_SESSION_IDLE_S`) with nothing arriving."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest
from websockets.exceptions import ConnectionClosedOK

from orchestrator.settings import Settings
from tests.utils.chat_client import ChatClient, tokens_of
from tests.utils.fake_openai import FakeOpenAI, Reply
from tests.utils.server import ServerProcess, llm_mode_server

IDLE_TIMEOUT_S = 0.5
SESSION_IDLE_S = 1.0  # swept every quarter of it


@pytest.fixture(scope="module")
def idle_server(
    tmp_path_factory: pytest.TempPathFactory, kb_settings: Settings, fake_llm: FakeOpenAI
) -> Iterator[ServerProcess]:
    """An LLM-mode server whose idle timeout is shorter than one paced answer, and which keeps
    an ended session a second."""
    process = llm_mode_server(
        tmp_path_factory.mktemp("idle-server"),
        kb_settings.chroma_path,
        fake_llm.base_url,
        WS_IDLE_TIMEOUT_S=str(IDLE_TIMEOUT_S),
        LIVE_SESSION_IDLE_S=str(SESSION_IDLE_S),
    )
    process.start()
    try:
        yield process
    finally:
        process.stop()


async def test_a_socket_waiting_for_its_answer_is_not_idle(
    idle_server: ServerProcess, fake_llm: FakeOpenAI
) -> None:
    answer = " ".join(f"word{i}" for i in range(30))
    fake_llm.tokens_per_s = 15  # two seconds of answer: four idle timeouts
    try:
        fake_llm.script(Reply(answer))
        async with await ChatClient.connect(idle_server.ws_url, idle_server.token("idle-a")) as c:
            events = await c.turn("Tell me about the Aster", session_id="idle-a-1")
    finally:
        fake_llm.tokens_per_s = None
    assert events[-1]["type"] == "complete"
    assert events[-1]["response"] == answer
    assert tokens_of(events) == answer


async def test_a_quiet_socket_is_closed_as_idle(idle_server: ServerProcess) -> None:
    async with await ChatClient.connect(idle_server.ws_url, idle_server.token("idle-b")) as c:
        with pytest.raises(ConnectionClosedOK):
            await c.recv(within=IDLE_TIMEOUT_S * 20)
        assert c.connection.close_code == 1000
        assert c.connection.close_reason == "idle timeout"


def live_sessions(server: ServerProcess) -> float:
    metrics = httpx.get(f"{server.base_url}/metrics").text
    [line] = [line for line in metrics.splitlines() if line.startswith("orchestrator_live_sess")]
    return float(line.split()[-1])


async def test_a_session_nobody_uses_is_forgotten_on_a_timer_and_resumes_from_sql(
    idle_server: ServerProcess,
) -> None:
    """Memory follows the sessions in use: an ended session nobody follows goes once its
    window has passed, without a new session arriving to sweep it; a client back later gets
    the `session` marker, numbered on from SQL."""
    token = idle_server.token("idle-c")
    async with await ChatClient.connect(idle_server.ws_url, token) as c:
        events = await c.turn("Tell me about the Aster", session_id="idle-c-1")
        assert live_sessions(idle_server) >= 1  # followed by this socket: kept
    last_seq = max(e["seq"] for e in events if "seq" in e)
    deadline = time.monotonic() + 20 * SESSION_IDLE_S
    while live_sessions(idle_server) > 0:  # nothing arrives meanwhile
        assert time.monotonic() < deadline, "idle sessions were not swept"
        await asyncio.sleep(0.1)
    async with await ChatClient.connect(idle_server.ws_url, token) as c:
        await c.send({"type": "resume", "session_id": "idle-c-1", "after_seq": 0})
        [marker] = await c.until("session")
    assert marker["last_seq"] == last_seq and marker.get("turn_id") is None
