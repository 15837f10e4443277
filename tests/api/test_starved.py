"""A starved server refuses honestly: a message the process could not take in time (stopped by
SIGSTOP while taking it, as a profiler or an overcommitted host stops it) is refused with
OVERLOADED and a retry_after, never a generic error; the same frame sent again is answered."""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from orchestrator.settings import Settings
from tests.utils.chat_client import ChatClient
from tests.utils.server import ServerProcess, sqlite_server

ADMISSION_TIMEOUT_S = 1.0  # the product's default is 15 s; the stall below outlasts this one
STALL_S = 2.0
SOCKETS = 24
# How long after the messages are sent the process is stopped, one value per round: taking
# 24 messages lasts a few tens of ms, so each round aims at another moment of it.
STALL_AFTER_S = (0.01, 0.005, 0.02, 0.002, 0.04, 0.0)
QUESTIONS = [
    "How often should the oil be changed?",
    "What tyre pressure does the Sable need?",
    "My Aster shows code P0AA6",
    "How fast does the Aster charge on DC?",
    "When is the first service due on the Sable 1.5T?",
    "What is the towing capacity of the Ridge?",
]


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, kb_settings: Settings
) -> Iterator[ServerProcess]:
    with sqlite_server(
        tmp_path_factory.mktemp("starved"),
        kb_settings.chroma_path,
        ADMISSION_TIMEOUT_S=str(ADMISSION_TIMEOUT_S),
    ) as process:
        yield process


async def _end(client: ChatClient) -> dict[str, Any]:
    return (await client.until("complete", "cancelled", "error", within=60))[-1]


def _stall(server: ServerProcess) -> None:
    assert server.process is not None
    os.kill(server.process.pid, signal.SIGSTOP)
    try:
        time.sleep(STALL_S)
    finally:
        os.kill(server.process.pid, signal.SIGCONT)


@pytest.mark.slow
async def test_a_message_the_stalled_process_could_not_take_in_time_is_overloaded(
    server: ServerProcess,
) -> None:
    run = uuid.uuid4().hex[:6]
    clients = [
        await ChatClient.connect(server.ws_url, server.token(f"starved-{run}-{n}"))
        for n in range(SOCKETS)
    ]
    ends: Counter[str] = Counter()
    refused: list[tuple[ChatClient, dict[str, Any]]] = []
    try:
        # Each round sends a message on every socket and stops the process while it is taking
        # them; a round in which no message was half-taken is tried again.
        for round_, stall_after_s in enumerate(STALL_AFTER_S):
            frames = [
                {
                    "type": "message",
                    "message": QUESTIONS[(n + round_) % len(QUESTIONS)],
                    "message_id": uuid.uuid4().hex,
                }
                for n in range(SOCKETS)
            ]
            await asyncio.gather(*(c.send(f) for c, f in zip(clients, frames, strict=True)))
            await asyncio.sleep(stall_after_s)  # the server is reading and taking them
            _stall(server)
            for client, frame, end in zip(
                clients, frames, await asyncio.gather(*map(_end, clients)), strict=True
            ):
                ends[end.get("code") or end["type"]] += 1
                if end.get("code") == "OVERLOADED":
                    assert end["retry_after"] >= 1 and "seq" not in end, end
                    refused.append((client, frame))
            if refused:
                break
        # Only answers and honest refusals: no PROCESSING_ERROR, no UNAVAILABLE (the
        # database answered all along).
        assert set(ends) <= {"complete", "OVERLOADED"}, ends
        assert refused, f"no message was being taken when the process stopped: {ends}"
        for client, frame in refused:  # the same frame again, as the client is told
            await client.send(frame)
            assert (await _end(client))["type"] == "complete"
    finally:
        for client in clients:
            await client.close()
