"""`/ws/chat` in LLM mode: cancel, and the errors a language model can cause."""

from __future__ import annotations

import asyncio
import signal
import uuid
from typing import Any

import httpx
import pytest

from tests.api.conftest import PARTIAL_SAVE_S
from tests.utils.chat_client import ChatClient, tokens_of
from tests.utils.fake_openai import CutOff, Fail, FakeOpenAI, Raw, Reply, Stall
from tests.utils.server import ServerProcess


def sid() -> str:
    return f"llm-{uuid.uuid4().hex[:10]}"


async def messages_of(server: ServerProcess, token: str, session: str) -> list[dict[str, object]]:
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        response = await http.get(
            f"/api/v1/sessions/{session}/messages", headers={"Authorization": f"Bearer {token}"}
        )
    return list(response.json())


async def test_tokens_stream_from_the_model(
    llm_server: ServerProcess, fake_llm: FakeOpenAI
) -> None:
    fake_llm.script(Reply("The Ridge Hybrid tows 2,500 kg [1]."))
    async with await ChatClient.connect(llm_server.ws_url, llm_server.token("llm-a")) as client:
        events = await client.turn("How much can the Ridge tow?", session_id=sid())
    assert events[-1]["response"] == "The Ridge Hybrid tows 2,500 kg [1]."
    assert events[-1]["metadata"]["mode"] == "llm"
    assert tokens_of(events) == events[-1]["response"]


async def test_cancel_stops_the_turn_and_saves_the_partial_answer(
    llm_server: ServerProcess, fake_llm: FakeOpenAI
) -> None:
    session, token = sid(), llm_server.token("llm-b")
    fake_llm.tokens_per_s = 20
    try:
        fake_llm.script(Reply(" ".join(f"word{i}" for i in range(200))))
        async with await ChatClient.connect(llm_server.ws_url, token) as client:
            await client.send(
                {"type": "message", "message": "Tell me about the Aster", "session_id": session}
            )
            seen = await client.until("token")
            seen += [await client.recv() for _ in range(3)]
            await client.send({"type": "cancel"})
            rest = await client.until("cancelled")
            await client.send({"type": "ping", "timestamp": 1})
            after = await client.recv()
    finally:
        fake_llm.tokens_per_s = None
    cancelled = rest[-1]
    events = seen + rest
    assert cancelled["partial_response"] == tokens_of(events)
    assert 0 < len(cancelled["partial_response"].split()) < 200
    assert after["type"] == "pong"  # no tokens after the cancel
    stored = await messages_of(llm_server, token, session)
    assert [(m["role"], m["status"]) for m in stored] == [
        ("user", "complete"),
        ("assistant", "cancelled"),
    ]
    assert stored[1]["content"] == cancelled["partial_response"]


async def test_model_errors_end_the_turn_with_a_stable_code(
    llm_server: ServerProcess, fake_llm: FakeOpenAI
) -> None:
    token = llm_server.token("llm-c")
    cases = [
        (Fail(503), "LLM_UNAVAILABLE"),
        (Fail(429, retry_after=4), "LLM_UNAVAILABLE"),
        (
            CutOff("The Aster goes a long way on one charge", after_tokens=3, clean=True),
            "LLM_UNAVAILABLE",
        ),
        (Raw(b"<html>502 Bad Gateway</html>"), "LLM_UNAVAILABLE"),
        (Stall(5.0), "TIMEOUT"),
        (CutOff("The Aster goes a long way on one charge", after_tokens=3, hang_s=5), "TIMEOUT"),
    ]
    async with await ChatClient.connect(llm_server.ws_url, token) as client:
        for scripted, code in cases:
            fake_llm.script(scripted)
            session = sid()
            events = await client.turn("What is the Aster's range?", session_id=session)
            error = events[-1]
            assert error["type"] == "error" and error["code"] == code, events
            assert error["seq"] and error["turn_id"]
            if isinstance(scripted, Fail) and scripted.retry_after:  # the model's wait, passed on
                assert error["retry_after"] == scripted.retry_after
            stored = await messages_of(llm_server, token, session)
            assert [(m["role"], m["status"], m["error_code"]) for m in stored] == [
                ("user", "complete", None),
                ("assistant", "failed", code),
            ]
            assert stored[1]["content"] == tokens_of(events)  # what was delivered, as failed
    await asyncio.sleep(0)


async def test_a_retry_after_a_failure_runs_again(
    llm_server: ServerProcess, fake_llm: FakeOpenAI
) -> None:
    session, token = sid(), llm_server.token("llm-d")
    fake_llm.script(Fail(500), Reply("Now it works [1]."))
    async with await ChatClient.connect(llm_server.ws_url, token) as client:
        failed = await client.turn(
            "What is the Aster's range?", session_id=session, message_id="r-1"
        )
        retried = await client.turn(
            "What is the Aster's range?", session_id=session, message_id="r-1"
        )
    assert failed[-1]["code"] == "LLM_UNAVAILABLE"
    assert retried[-1]["response"] == "Now it works [1]."
    stored = await messages_of(llm_server, token, session)
    assert [m["role"] for m in stored].count("user") == 1


async def _stop_mid_answer(
    server: ServerProcess, fake_llm: FakeOpenAI, token: str, session: str, stop: str
) -> int:
    """Start a long answer (message id `m-1`), stop the server `stop` ("kill": SIGKILL;
    "stop": SIGTERM) once it has streamed for `PARTIAL_SAVE_S` and a bit, start it again; the
    highest seq the client saw."""
    fake_llm.tokens_per_s = 10
    try:
        fake_llm.script(Reply(" ".join(f"word{i}" for i in range(400))))
        client = await ChatClient.connect(server.ws_url, token)
        await client.send(
            {
                "type": "message",
                "message": "Tell me about the Sable",
                "session_id": session,
                "message_id": "m-1",
            }
        )
        events = await client.until("token")
        first = asyncio.get_running_loop().time()
        while asyncio.get_running_loop().time() - first < PARTIAL_SAVE_S + 1.5:
            events.append(await client.recv())
        if stop == "kill":
            await asyncio.to_thread(server.kill)
        else:
            events += await _stop_gracefully(server, fake_llm, token, client)
            await asyncio.to_thread(server.stop)
        await client.close()
    finally:
        fake_llm.tokens_per_s = None
    await asyncio.to_thread(server.start)
    return max(e["seq"] for e in events if "seq" in e)


async def _stop_gracefully(
    server: ServerProcess, fake_llm: FakeOpenAI, token: str, long: ChatClient
) -> list[dict[str, Any]]:
    """SIGTERM while a short answer runs beside the long one: the server says at once that it
    is not ready, and keeps its sockets while the turns run, so the short answer completes on
    its socket and the long one streams on; past the grace the server stops by itself. The
    events of the long answer seen meanwhile."""
    fake_llm.script(Reply(" ".join(f"short{i}" for i in range(8))))  # under the 2 s grace
    async with await ChatClient.connect(server.ws_url, token) as short:
        await short.send({"type": "message", "message": "Tell me about the Aster"})
        await short.until("token")
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            ready = await http.get("/ready", timeout=30)
        answered = await short.until("complete", within=30)
    streamed = [await long.recv(), await long.recv()]  # still open, after the short one ended
    await asyncio.to_thread(server.process.wait, 40)  # the grace passes: it stops by itself
    assert ready.status_code == 503 and ready.json()["checks"]["stopping"] == "draining"
    assert answered[-1]["type"] == "complete", answered[-1:]
    assert answered[-1]["response"].startswith("short0 short1")
    assert [e["type"] for e in streamed] == ["token", "token"], streamed
    return streamed


async def _resume(server: ServerProcess, token: str, session: str, after_seq: int) -> list[Any]:
    async with await ChatClient.connect(server.ws_url, token) as client:
        await client.send({"type": "resume", "session_id": session, "after_seq": after_seq})
        events = [await client.recv()]
        while events[-1]["type"] != "session":
            events.append(await client.recv())
        return events


@pytest.mark.parametrize("stop", ["kill", "stop"])
async def test_a_turn_its_server_stopped_ends_with_interrupted_after_the_restart(
    llm_server: ServerProcess, fake_llm: FakeOpenAI, stop: str
) -> None:
    session, token = sid(), llm_server.token(f"llm-{stop}")
    seen = await _stop_mid_answer(llm_server, fake_llm, token, session, stop)

    # The stream ends with one INTERRUPTED, numbered after everything the client saw.
    *replayed, marker = await _resume(llm_server, token, session, seen)
    assert [(e["type"], e.get("code"), e["turn_id"]) for e in replayed] == [
        ("error", "INTERRUPTED", replayed[0]["turn_id"])
    ]
    assert replayed[0]["seq"] > seen
    assert marker["last_seq"] == replayed[0]["seq"] and marker.get("turn_id") is None

    # The question and what was streamed (up to the last partial save at least) are in SQL.
    stored = await messages_of(llm_server, token, session)
    assert [(m["role"], m["status"], m["error_code"]) for m in stored] == [
        ("user", "complete", None),
        ("assistant", "failed", "INTERRUPTED"),
    ]
    assert str(stored[1]["content"]).startswith("word0 word1 word2")

    # Sent again, the message runs a new turn, numbered after the interrupted one.
    fake_llm.script(Reply("The Sable seats seven [1]."))
    async with await ChatClient.connect(llm_server.ws_url, token) as client:
        again = await client.turn("Tell me about the Sable", session_id=session, message_id="m-1")
    assert again[-1]["type"] == "complete"
    assert min(e["seq"] for e in again if "seq" in e) == replayed[0]["seq"] + 1
    stored = await messages_of(llm_server, token, session)
    assert [m["role"] for m in stored].count("user") == 1
    assert stored[-1]["content"] == "The Sable seats seven [1]."
    # (That a closed turn is not closed again: `test_database.py`, unfinished_turns after it.)
