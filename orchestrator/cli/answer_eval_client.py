"""`orchestrator eval answers`: labelled conversations asked over a running server's `/ws/chat`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from typing import Any

import websockets

from orchestrator.cli.answer_eval import AnswerReport, Conversation, Received, score_turn

TURN_TIMEOUT_S = 120.0


async def ask_turn(connection: Any, message: str, session_id: str | None) -> tuple[Received, str]:
    """Send one message and read its events to the turn's end; resend after a rate limit."""
    # Tokens are joined here: the answer so far in every token event would only cost.
    frame: dict[str, Any] = {"type": "message", "message": message, "partial_response": False}
    if session_id:
        frame["session_id"] = session_id
    while True:
        await connection.send(json.dumps(frame))
        routes: list[str] = []
        sources: list[dict[str, Any]] = []
        tokens: list[str] = []
        while True:
            event = json.loads(await asyncio.wait_for(connection.recv(), TURN_TIMEOUT_S))
            kind = event.get("type")
            if kind == "session":
                session_id = event["session_id"]
                frame["session_id"] = session_id
            elif kind == "sources":
                sources.extend(event.get("sources") or [])
            elif kind == "token":
                tokens.append(event["token"])
            elif kind == "complete":
                routes = list((event.get("metadata") or {}).get("agents") or [])
                answer = event.get("response", "".join(tokens))
                return Received(answer, routes, sources), str(session_id)
            elif kind == "cancelled":
                return Received("".join(tokens), routes, sources, "cancelled"), str(session_id)
            elif kind == "error":
                if event.get("code") == "RATE_LIMITED":
                    await asyncio.sleep(float(event.get("retry_after") or 1.0))
                    break
                if event.get("code") in {"BUSY"}:
                    await asyncio.sleep(0.5)
                    break
                return (
                    Received("".join(tokens), routes, sources, str(event.get("code"))),
                    str(session_id),
                )


async def _conversation(
    url: str, origin: str, token: str, conversation: Conversation
) -> list[Received]:
    async with websockets.connect(url, origin=origin, max_size=2**22) as connection:  # type: ignore[arg-type]
        await connection.send(json.dumps({"type": "auth", "token": token}))
        reply = json.loads(await connection.recv())
        if reply.get("type") != "auth_success":
            raise RuntimeError(f"authentication failed: {reply}")
        received: list[Received] = []
        session_id: str | None = None
        for turn in conversation.turns:
            got, session_id = await ask_turn(connection, turn.message, session_id)
            received.append(got)
        return received


async def evaluate(
    url: str,
    origin: str,
    token_for: Callable[[str], str],
    conversations: Sequence[Conversation],
    *,
    concurrency: int = 2,
) -> AnswerReport:
    """Ask every conversation (each as a user of its own) and score every turn."""
    gate = asyncio.Semaphore(concurrency)

    async def one(conversation: Conversation) -> list[Received]:
        async with gate:
            return await _conversation(url, origin, token_for(conversation.id), conversation)

    results = await asyncio.gather(*(one(c) for c in conversations))
    report = AnswerReport()
    for conversation, received in zip(conversations, results, strict=True):
        for index, (expected, got) in enumerate(zip(conversation.turns, received, strict=True)):
            report.turns.append(score_turn(conversation, index, expected, got))
    return report
