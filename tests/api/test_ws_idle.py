"""`/ws/chat` idle timeout: a quiet socket is closed, a socket waiting for its answer is not."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from websockets.exceptions import ConnectionClosedOK

from orchestrator.settings import Settings
from tests.utils.chat_client import ChatClient, tokens_of
from tests.utils.fake_openai import FakeOpenAI, Reply
from tests.utils.server import ServerProcess, llm_mode_server

IDLE_TIMEOUT_S = 0.5


@pytest.fixture(scope="module")
def idle_server(
    tmp_path_factory: pytest.TempPathFactory, kb_settings: Settings, fake_llm: FakeOpenAI
) -> Iterator[ServerProcess]:
    """An LLM-mode server whose idle timeout is shorter than one paced answer."""
    process = llm_mode_server(
        tmp_path_factory.mktemp("idle-server"),
        kb_settings.chroma_path,
        fake_llm.base_url,
        WS_IDLE_TIMEOUT_S=str(IDLE_TIMEOUT_S),
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
