"""Messages sent while an answer streams (double-texting), against a real server in LLM mode:
`enqueue` (the default) answers each in its own turn, in order; `interrupt` stops the answer
under way and keeps what it streamed; `reject` refuses BUSY, as does a full line.

The model on loopback streams slowly, so that the first answer is still under way when the
next messages arrive."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from tests.utils.chat_client import ChatClient
from tests.utils.fake_openai import FakeOpenAI, Reply, slow_answers
from tests.utils.server import ServerProcess

LONG = " ".join(f"first{i}" for i in range(60))  # two seconds at 30 tokens a second


def sid() -> str:
    return f"dt-{uuid.uuid4().hex[:10]}"


async def messages_of(server: ServerProcess, token: str, session: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        response = await http.get(
            f"/api/v1/sessions/{session}/messages", headers={"Authorization": f"Bearer {token}"}
        )
    return list(response.json())


async def answer_streams(client: ChatClient, session: str) -> list[dict[str, Any]]:
    """Ask the first question, and return once its answer streams (its events so far)."""
    await client.send(
        {"type": "message", "message": "Tell me about the Ridge", "session_id": session}
    )
    return await client.until("token")


async def until_ended(client: ChatClient, turns: int) -> list[dict[str, Any]]:
    """Every event until `turns` turns have ended."""
    events: list[dict[str, Any]] = []
    while sum(e["type"] in ("complete", "cancelled") for e in events) < turns:
        events.append(await client.recv(within=30))
        assert events[-1]["type"] != "error" or events[-1]["code"] == "BUSY", events[-1]
    return events


def hidden_by_session(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Numbered events a client would drop: at or below the `last_seq` of a `session` event
    that came before them (a client takes that as "seen up to here")."""
    seen, hidden = 0, []
    for event in events:
        if event["type"] == "session" and event.get("last_seq") is not None:
            seen = max(seen, event["last_seq"])
        elif event.get("seq") is not None:
            if event["seq"] <= seen:
                hidden.append(event)
            seen = max(seen, event["seq"])
    return hidden


async def test_three_messages_sent_while_an_answer_streams_are_answered_after_it_in_order(
    llm_server: ServerProcess, fake_llm: FakeOpenAI
) -> None:
    session, token = sid(), llm_server.token(f"dt-{uuid.uuid4().hex[:6]}")
    later = ["What about the Aster?", "And the Sable?", "Which one tows more?"]
    with slow_answers(fake_llm, tokens_per_s=30):
        fake_llm.script(Reply(LONG), *(Reply(f"Answer {n}.") for n in (2, 3, 4)))
        async with await ChatClient.connect(llm_server.ws_url, token) as client:
            first = await answer_streams(client, session)
            for n, text in enumerate(later, start=2):
                await client.send(
                    {
                        "type": "message",
                        "message": text,
                        "session_id": session,
                        "message_id": f"m{n}",
                    }
                )
            events = await until_ended(client, 4)
        requests = fake_llm.requests

    assert not [e for e in events if e["type"] == "error"]  # none BUSY
    # Each message's `session` event tells the seq seen so far; the first answer's tokens held
    # back while it was taken come after it, numbered above it.
    assert not hidden_by_session(first + events)
    queued = [e for e in events if e["type"] == "queued"]
    assert [(e["position"], e["message_id"]) for e in queued] == [(1, "m2"), (2, "m3"), (3, "m4")]
    answers = [e for e in events if e["type"] == "complete"]
    assert [a["turn_id"] for a in answers] == [first[0]["turn_id"], *(q["turn_id"] for q in queued)]
    assert answers[0]["response"] == LONG
    assert [a["response"] for a in answers[1:]] == ["Answer 2.", "Answer 3.", "Answer 4."]
    # Each later turn starts once the one before has ended, with the earlier answers in its
    # history: the model was asked four times, each time after the answer before.
    assert len(requests) == 4
    history = [[m["content"] for m in r["messages"] if m["role"] == "assistant"] for r in requests]
    assert [h[-1] for h in history[1:]] == [LONG, "Answer 2.", "Answer 3."]
    stored = await messages_of(llm_server, token, session)
    assert [(m["role"], m["content"]) for m in stored] == [
        ("user", "Tell me about the Ridge"),
        ("assistant", LONG),
        *[
            pair
            for n, text in enumerate(later, start=2)
            for pair in (("user", text), ("assistant", f"Answer {n}."))
        ],
    ]


async def test_interrupt_ends_the_answer_under_way_cancelled_and_answers_the_new_message(
    llm_server: ServerProcess, fake_llm: FakeOpenAI
) -> None:
    session, token = sid(), llm_server.token(f"dt-{uuid.uuid4().hex[:6]}")
    with slow_answers(fake_llm, tokens_per_s=20):
        fake_llm.script(Reply(LONG), Reply("Just the Aster, then."))
        async with await ChatClient.connect(llm_server.ws_url, token) as client:
            await answer_streams(client, session)
            await client.send(
                {
                    "type": "message",
                    "message": "Actually, just the Aster",
                    "session_id": session,
                    "multitask_strategy": "interrupt",
                }
            )
            events = await until_ended(client, 2)

    queued = next(e for e in events if e["type"] == "queued")
    assert queued["position"] == 1 and queued["interrupting"] is True
    ended = [e for e in events if e["type"] in ("complete", "cancelled")]
    assert [e["type"] for e in ended] == ["cancelled", "complete"]
    partial = ended[0]["partial_response"]
    assert partial.startswith("first0") and len(partial.split()) < 60
    assert ended[1]["turn_id"] == queued["turn_id"]
    assert ended[1]["response"] == "Just the Aster, then."
    stored = await messages_of(llm_server, token, session)
    assert [(m["role"], m["status"]) for m in stored] == [
        ("user", "complete"),
        ("assistant", "cancelled"),
        ("user", "complete"),
        ("assistant", "complete"),
    ]
    assert stored[1]["content"] == partial


async def test_reject_and_a_full_line_are_refused_busy_and_nothing_is_stored(
    llm_server: ServerProcess, fake_llm: FakeOpenAI
) -> None:
    """The line holds five (`max_queued_messages`): a sixth is BUSY with a retry_after, as is
    a message that asks not to wait."""
    session, token = sid(), llm_server.token(f"dt-{uuid.uuid4().hex[:6]}")
    with slow_answers(fake_llm, tokens_per_s=20):
        fake_llm.script(Reply(LONG))
        async with await ChatClient.connect(llm_server.ws_url, token) as client:
            await answer_streams(client, session)
            frames: list[dict[str, Any]] = [
                {"message": "Not now", "multitask_strategy": "reject"},
                *({"message": f"Question {n}"} for n in range(1, 7)),
            ]
            for frame in frames:
                await client.send({"type": "message", "session_id": session, **frame})
            events = await until_ended(client, 6)

    refused = [e for e in events if e["type"] == "error"]
    assert [e["code"] for e in refused] == ["BUSY", "BUSY"], [
        (e["type"], e.get("position"))
        for e in events
        if e["type"] in ("queued", "error", "complete")
    ]
    assert all(e["retry_after"] for e in refused[1:])
    assert [e["position"] for e in events if e["type"] == "queued"] == [1, 2, 3, 4, 5]
    stored = await messages_of(llm_server, token, session)
    asked = [m["content"] for m in stored if m["role"] == "user"]
    assert asked == ["Tell me about the Ridge", *(f"Question {n}" for n in range(1, 6))]


async def test_a_rest_message_sent_while_an_answer_streams_gets_its_own_answer(
    llm_server: ServerProcess, fake_llm: FakeOpenAI
) -> None:
    session, token = sid(), llm_server.token(f"dt-{uuid.uuid4().hex[:6]}")
    with slow_answers(fake_llm, tokens_per_s=30):
        fake_llm.script(Reply(LONG), Reply("The Aster, yes."))
        async with await ChatClient.connect(llm_server.ws_url, token) as client:
            await answer_streams(client, session)
            async with httpx.AsyncClient(base_url=llm_server.base_url, timeout=60) as http:
                response = await http.post(
                    "/api/v1/chat",
                    json={"message": "And the Aster?", "session_id": session},
                    headers={"Authorization": f"Bearer {token}"},
                )
            first = await client.until("complete")
    assert first[-1]["response"] == LONG
    assert response.status_code == 200, response.text
    assert response.json()["response"] == "The Aster, yes."


async def test_a_message_in_line_is_still_answered_after_the_server_is_killed(
    llm_server: ServerProcess, fake_llm: FakeOpenAI
) -> None:
    session, token = sid(), llm_server.token(f"dt-{uuid.uuid4().hex[:6]}")
    with slow_answers(fake_llm, tokens_per_s=10):
        fake_llm.script(Reply(LONG))
        async with await ChatClient.connect(llm_server.ws_url, token) as client:
            await answer_streams(client, session)
            await client.send({"type": "message", "message": "Still there?", "session_id": session})
            queued = await client.until("queued")
            await asyncio.to_thread(llm_server.kill)
    fake_llm.script(Reply("Yes, still here."))
    await asyncio.to_thread(llm_server.start)
    deadline = asyncio.get_running_loop().time() + 30
    while True:  # the line is moved by the restarted server, with nobody connected
        stored = await messages_of(llm_server, token, session)
        if stored[-1]["role"] == "assistant" and stored[-1]["turn_id"] == queued[-1]["turn_id"]:
            break
        assert asyncio.get_running_loop().time() < deadline, stored
        await asyncio.sleep(0.5)
    assert [(m["role"], m["status"]) for m in stored] == [
        ("user", "complete"),
        ("assistant", "failed"),  # INTERRUPTED by the kill
        ("user", "complete"),
        ("assistant", "complete"),
    ]
    assert stored[-1]["content"] == "Yes, still here."
