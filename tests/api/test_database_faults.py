"""The database failing under a running server: every turn still ends with one terminal event
in time, a message is refused with a code on a connection that stays usable, REST answers
JSON, and the first turn after the outage works.

PostgreSQL sits behind the test's own TCP proxy, which cuts (resets every connection, refuses
new ones) or blackholes (everything vanishes, nothing is refused) on cue."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from orchestrator.settings import Settings
from tests.utils.chat_client import TURN_ENDING, ChatClient
from tests.utils.databases import fresh_database
from tests.utils.fake_openai import FakeOpenAI
from tests.utils.server import ServerProcess, llm_env
from tests.utils.tcp_proxy import TcpProxy

pytestmark = pytest.mark.slow

TURN_TIMEOUT_S = 6.0
TURN_END_GRACE_S = 3.0
DEADLINE_S = TURN_TIMEOUT_S + TURN_END_GRACE_S + 3  # the terminal event comes before this


@pytest.fixture(scope="module")
def slow_llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(tokens_per_s=15, answer_tokens=45) as llm:  # 3 s of tokens per answer
        yield llm


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with fresh_database("postgresql", tmp_path_factory.mktemp("db-faults")) as url:
        yield url


@pytest.fixture(scope="module")
def proxy(database: Any) -> Iterator[TcpProxy]:
    with TcpProxy(database.host or "127.0.0.1", database.port or 5432) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    kb_settings: Settings,
    slow_llm: FakeOpenAI,
    database: Any,
    proxy: TcpProxy,
) -> Iterator[ServerProcess]:
    through_proxy = database.set(host="127.0.0.1", port=proxy.port)
    process = ServerProcess(
        tmp_path_factory.mktemp("db-faults-server") / "data",
        kb_settings.chroma_path,
        through_proxy.render_as_string(False),
        **llm_env(slow_llm.base_url),
        TURN_TIMEOUT_S=str(TURN_TIMEOUT_S),
        TURN_END_GRACE_S=str(TURN_END_GRACE_S),
    )
    process.start()
    try:
        yield process
    finally:
        proxy.restore()
        process.stop()


@pytest.fixture(autouse=True)
def healthy(proxy: TcpProxy) -> Iterator[None]:
    proxy.restore()
    yield
    proxy.restore()


def rows(database: Any, session_id: str) -> list[tuple[str, str, str | None]]:
    """(role, status, content) of the session's messages, read directly (not through the
    proxy)."""
    dsn = make_url(database).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(dsn) as connection:
        return connection.execute(
            "SELECT role, status, content FROM messages WHERE conversation_id = %s "
            "ORDER BY created_at, role DESC",
            (session_id,),
        ).fetchall()


async def ask_and_fail(
    server: ServerProcess, fail: Any, customer: str, session_id: str
) -> list[dict[str, Any]]:
    """Send a question, call `fail` after its third token, and read to the terminal event."""
    async with await ChatClient.connect(server.ws_url, server.token(customer)) as client:
        await client.send(
            {
                "type": "message",
                "message": "How do I check the tyre pressure?",
                "session_id": session_id,
            }
        )
        events: list[dict[str, Any]] = []
        sent = time.monotonic()
        while True:
            event = await client.recv(within=DEADLINE_S)
            event["_after_s"] = time.monotonic() - sent
            events.append(event)
            if sum(e["type"] == "token" for e in events) == 3 and event["type"] == "token":
                fail()
            if event["type"] in ("complete", "cancelled") or (
                event["type"] == "error" and event["code"] in TURN_ENDING
            ):
                break
        # Exactly one terminal event: nothing more of this turn arrives.
        await client.send({"type": "ping", "timestamp": 1})
        after = await client.recv(within=DEADLINE_S)
        assert after["type"] == "pong", after
        return events


async def ready_again(server: ServerProcess) -> None:
    """Wait for /ready to say 200: the database and the checkpointer's pool are back."""
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        deadline = time.monotonic() + 30
        while (await http.get("/ready")).status_code != 200:
            assert time.monotonic() < deadline, "not ready 30 s after the database came back"
            await asyncio.sleep(0.5)


async def answered(server: ServerProcess, customer: str, session_id: str) -> dict[str, Any]:
    async with await ChatClient.connect(server.ws_url, server.token(customer)) as client:
        events = await client.turn("What does the Ridge tow?", session_id=session_id)
    return events[-1]


async def test_the_database_cut_mid_turn_still_ends_the_turn_and_the_next_one_works(
    server: ServerProcess, proxy: TcpProxy, database: Any
) -> None:
    customer, session = f"cut-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex
    events = await ask_and_fail(server, proxy.cut, customer, session)
    ended = events[-1]
    assert ended["type"] == "error" and ended["code"] in TURN_ENDING, events
    assert ended["_after_s"] < DEADLINE_S
    assert rows(database, session)[0][:2] == ("user", "complete")  # stored when it was taken

    proxy.restore()
    # Ready again, the first turn works: the pools hand out no dead connection.
    await ready_again(server)
    assert (await answered(server, customer, session))["type"] == "complete"


async def test_the_database_blackholed_mid_turn_ends_the_turn_by_its_deadline(
    server: ServerProcess, proxy: TcpProxy
) -> None:
    customer, session = f"hole-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex
    events = await ask_and_fail(server, proxy.blackhole, customer, session)
    ended = events[-1]
    assert ended["type"] == "error" and ended["code"] in TURN_ENDING, events
    assert ended["_after_s"] < DEADLINE_S
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        assert (await http.get("/ready")).status_code == 503  # hangs are not ready

    proxy.restore()
    await ready_again(server)
    assert (await answered(server, customer, uuid.uuid4().hex))["type"] == "complete"


async def test_while_the_database_is_down_messages_and_rest_get_codes(
    server: ServerProcess, proxy: TcpProxy
) -> None:
    customer = f"down-{uuid.uuid4().hex[:6]}"
    token = server.token(customer)
    async with await ChatClient.connect(server.ws_url, token) as client:
        proxy.cut()
        await client.send({"type": "message", "message": "When is my next service due?"})
        refused = await client.recv(within=DEADLINE_S)
        assert refused["type"] == "error" and refused["code"] == "UNAVAILABLE", refused
        assert refused["retry_after"] >= 1  # when to send the same frame again
        assert "seq" not in refused  # refused, not a turn: nothing was stored
        await client.send({"type": "ping", "timestamp": 2})
        assert (await client.recv())["type"] == "pong"  # the connection stays usable

        async with httpx.AsyncClient(
            base_url=f"{server.base_url}/api/v1",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        ) as http:
            listed = await http.get("/sessions")
            assert listed.status_code == 503, listed.text
            assert listed.json()["detail"]["code"] == "UNAVAILABLE"
            assert int(listed.headers["Retry-After"]) >= 1

        proxy.restore()
        await ready_again(server)
        session = uuid.uuid4().hex
        events = await client.turn("When is my next service due?", session_id=session)
        assert events[-1]["type"] == "complete", events
    await asyncio.sleep(0)
