"""Overload on a real server: turns wait in line and hear their place, the line's bound refuses
at once with OVERLOADED, and a turn's timeout starts when it leaves the line."""

from __future__ import annotations

import asyncio
import re
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, expect

from orchestrator.settings import Settings
from tests.utils.chat_client import ChatClient
from tests.utils.fake_openai import FakeOpenAI
from tests.utils.server import ServerProcess, llm_mode_server

# Each turn holds the one slot this long. The third in line waits for the first's slot and the
# second's whole hold, then runs its own: longer than 2 * FIRST_TOKEN_S from when it was sent,
# whatever the machine's speed. A turn alone must end within TURN_TIMEOUT_S on a loaded 2-core
# CI machine: it has TURN_TIMEOUT_S - FIRST_TOKEN_S for everything but the model's wait.
FIRST_TOKEN_S = 2.5
TURN_TIMEOUT_S = 4.8  # < 2 * FIRST_TOKEN_S: the third in line outlasts it only by waiting
# The line's bound: a place costs about FIRST_TOKEN_S once measured (0.5 s before), so one
# place is always allowed, four at most before any turn was measured, and three are too many.
MAX_WAIT_S = 4.2


@pytest.fixture(scope="module")
def overload_llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(first_token_delay_s=FIRST_TOKEN_S) as llm:
        yield llm


@contextmanager
def _one_slot(
    root: Path, chroma: Path, llm: FakeOpenAI, turn_timeout_s: float
) -> Iterator[ServerProcess]:
    """An LLM-mode server that lets one turn at a time before its first token, warmed up."""
    process = llm_mode_server(
        root,
        chroma,
        llm.base_url,
        ADMISSION_SLOTS="1",
        QUEUE_MAX_WAIT_S=str(MAX_WAIT_S),
        TURN_TIMEOUT_S=str(turn_timeout_s),
    )
    process.start()
    try:
        # The first turn of a fresh server loads what it lazily loads; done here, with no
        # model wait, it neither eats a measured turn's timeout nor lengthens the line's pace.
        delay, llm.first_token_delay_s = llm.first_token_delay_s, 0.0
        try:
            # In a thread of its own: a browser test's fixture runs inside Playwright's loop.
            with ThreadPoolExecutor(1) as pool:
                warm = pool.submit(asyncio.run, _ask(process, "warm-up", uuid.uuid4().hex)).result()
        finally:
            llm.first_token_delay_s = delay
        assert warm[-1]["type"] == "complete", warm
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def one_slot_server(
    tmp_path_factory: pytest.TempPathFactory, kb_settings: Settings, overload_llm: FakeOpenAI
) -> Iterator[ServerProcess]:
    """One turn at a time, and a turn timeout the line's tests measure against."""
    root = tmp_path_factory.mktemp("overload-server")
    with _one_slot(root, kb_settings.chroma_path, overload_llm, TURN_TIMEOUT_S) as process:
        yield process


@pytest.fixture
def roomy_one_slot_server(
    tmp_path_factory: pytest.TempPathFactory, kb_settings: Settings, overload_llm: FakeOpenAI
) -> Iterator[ServerProcess]:
    """One turn at a time, with the default turn timeout: for a test that reads only the line
    (a browser beside a short timeout on a loaded 2-core machine timed the turn out)."""
    root = tmp_path_factory.mktemp("roomy-overload-server")
    default = Settings.model_fields["turn_timeout_s"].default
    with _one_slot(root, kb_settings.chroma_path, overload_llm, default) as process:
        yield process


async def _ask(server: ServerProcess, customer: str, message_id: str) -> list[dict[str, Any]]:
    """One customer's message, every event up to its end or its refusal, timed."""
    async with await ChatClient.connect(server.ws_url, server.token(customer)) as client:
        sent = time.monotonic()
        await client.send(
            {
                "type": "message",
                "message": "When is the next service due?",
                "message_id": message_id,
            }
        )
        events = []
        while True:
            event = await client.recv(within=30)
            event["_after_s"] = time.monotonic() - sent
            events.append(event)
            if event["type"] in ("complete", "cancelled", "error"):
                return events


def _queued(events: list[dict[str, Any]]) -> list[int]:
    return [e["position"] for e in events if e["type"] == "progress" and e["step"] == "queued"]


async def test_turns_past_the_slots_wait_in_line_and_hear_their_place(
    one_slot_server: ServerProcess,
) -> None:
    tag = uuid.uuid4().hex[:6]
    first = asyncio.create_task(_ask(one_slot_server, f"q1-{tag}", f"m1-{tag}"))
    await asyncio.sleep(0.3)
    second = asyncio.create_task(_ask(one_slot_server, f"q2-{tag}", f"m2-{tag}"))
    await asyncio.sleep(0.3)
    third = asyncio.create_task(_ask(one_slot_server, f"q3-{tag}", f"m3-{tag}"))
    runs = await asyncio.gather(first, second, third)

    assert [run[-1]["type"] for run in runs] == ["complete"] * 3, runs
    assert [_queued(run) for run in runs] == [[], [1], [2, 1]]
    for run in runs[1:]:  # in line, then started: `queued` comes before `starting`
        steps = [e["step"] for e in run if e["type"] == "progress"]
        assert steps.index("queued") < steps.index("starting")
    # The third waited for two turns' first tokens, then ran its own: longer than the turn
    # timeout from when it was sent, and it still completed: the wait is not counted.
    assert runs[2][-1]["_after_s"] > TURN_TIMEOUT_S


async def test_past_the_bound_a_message_is_refused_at_once_and_can_be_sent_again(
    one_slot_server: ServerProcess,
) -> None:
    tag = uuid.uuid4().hex[:6]
    customers = [f"o{i}-{tag}" for i in range(8)]
    runs = await asyncio.gather(*(_ask(one_slot_server, c, c) for c in customers))
    refused = [i for i, run in enumerate(runs) if run[-1]["type"] == "error"]
    assert {runs[i][-1]["code"] for i in refused} == {"OVERLOADED"}, runs
    assert len(refused) >= 3  # one running, at most four in line
    assert sum(run[-1]["type"] == "complete" for run in runs) == 8 - len(refused)
    for i in refused:
        assert len(runs[i]) == 1  # no session, no progress: nothing was done
        assert runs[i][0]["_after_s"] < 1.0
        assert runs[i][0]["retry_after"] >= 1

    # The same frame (same customer, same message id) sent again later is answered.
    await asyncio.sleep(runs[refused[0]][0]["retry_after"])
    retried = await _ask(one_slot_server, customers[refused[0]], customers[refused[0]])
    assert retried[-1]["type"] == "complete", retried


async def test_rest_answers_503_with_retry_after_when_the_line_is_full(
    one_slot_server: ServerProcess,
) -> None:
    tag = uuid.uuid4().hex[:6]
    holders = [
        asyncio.create_task(_ask(one_slot_server, f"r{i}-{tag}", f"r{i}-{tag}")) for i in range(3)
    ]
    await asyncio.sleep(0.3)
    async with httpx.AsyncClient(base_url=one_slot_server.base_url, timeout=30) as http:
        reply = await http.post(
            "/api/v1/chat",
            json={"message": "How do I check tyre pressure?"},
            headers={"Authorization": f"Bearer {one_slot_server.token(f'rest-{tag}')}"},
        )
    await asyncio.gather(*holders)
    assert reply.status_code == 503, reply.text
    assert reply.json()["detail"]["code"] == "OVERLOADED"
    assert int(reply.headers["Retry-After"]) >= 1


async def test_a_turn_cancelled_in_line_ends_cancelled_and_the_line_moves(
    one_slot_server: ServerProcess,
) -> None:
    tag = uuid.uuid4().hex[:6]
    running = asyncio.create_task(_ask(one_slot_server, f"c1-{tag}", f"c1-{tag}"))
    await asyncio.sleep(0.3)
    async with await ChatClient.connect(
        one_slot_server.ws_url, one_slot_server.token(f"c2-{tag}")
    ) as client:
        await client.send({"type": "message", "message": "Brake noise when cold?"})
        events = await client.until("progress")
        assert events[-1]["step"] == "queued", events
        await client.send({"type": "cancel"})
        ended = await client.until("cancelled", "error")
    assert ended[-1]["type"] == "cancelled", ended
    assert ended[-1]["partial_response"] == ""
    assert (await running)[-1]["type"] == "complete"
    assert one_slot_server.process is not None  # still serving: the next one runs at once
    after = await _ask(one_slot_server, f"c3-{tag}", f"c3-{tag}")
    assert after[-1]["type"] == "complete" and _queued(after) == []


def test_the_test_page_shows_the_place_in_line(
    roomy_one_slot_server: ServerProcess, browser: Browser
) -> None:
    one_slot_server = roomy_one_slot_server
    tag = uuid.uuid4().hex[:6]
    page = browser.new_page()
    token = one_slot_server.token(f"b2-{tag}")
    page.goto(f"{one_slot_server.base_url}/ws/test?token={token}")  # connects by itself
    expect(page.locator("#status")).to_have_text("open", timeout=10_000)
    page.locator("#message-input").fill("How often should the brake fluid be changed?")
    # The page is ready before the one slot is taken, so a slow page load cannot outlast it.
    holder = threading.Thread(target=asyncio.run, args=(_ask(one_slot_server, f"b1-{tag}", tag),))
    holder.start()
    try:
        time.sleep(0.3)  # the one slot is taken
        page.locator("#send").click()
        expect(page.locator("#progress")).to_contain_text("number 1 in line", timeout=10_000)
        answer = page.locator(".message.assistant").last
        expect(answer).to_have_class(re.compile(r"\bcomplete\b"), timeout=20_000)
        page.close()
    finally:
        holder.join(30)
