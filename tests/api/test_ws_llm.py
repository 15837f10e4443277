"""`/ws/chat` in LLM mode: cancel, and the errors a language model can cause."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from tests.utils.chat_client import ChatClient, tokens_of
from tests.utils.fake_openai import CutOff, Fail, FakeOpenAI, MalformedToolCall, Raw, Reply, Stall
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
        (MalformedToolCall("book_appointment", "{start_text: Monday, !!}"), "PROCESSING_ERROR"),
    ]
    async with await ChatClient.connect(llm_server.ws_url, token) as client:
        for scripted, code in cases:
            fake_llm.script(scripted)
            session = sid()
            question = (
                "Book an oil change next Monday at 9am"
                if code == "PROCESSING_ERROR"
                else "What is the Aster's range?"
            )
            events = await client.turn(question, session_id=session)
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


async def test_shutdown_saves_a_turn_in_flight_as_interrupted(
    llm_server: ServerProcess, fake_llm: FakeOpenAI
) -> None:
    session, token = sid(), llm_server.token("llm-e")
    fake_llm.tokens_per_s = 10
    try:
        fake_llm.script(Reply(" ".join(f"word{i}" for i in range(400))))
        client = await ChatClient.connect(llm_server.ws_url, token)
        await client.send(
            {"type": "message", "message": "Tell me about the Sable", "session_id": session}
        )
        await client.until("token")
        await asyncio.to_thread(llm_server.stop)
        await client.close()
    finally:
        fake_llm.tokens_per_s = None
    await asyncio.to_thread(llm_server.start)
    stored = await messages_of(llm_server, token, session)
    assert [(m["role"], m["status"], m["error_code"]) for m in stored] == [
        ("user", "complete", None),
        ("assistant", "cancelled", "INTERRUPTED"),
    ]
    assert str(stored[1]["content"]).startswith("word0 word1")
