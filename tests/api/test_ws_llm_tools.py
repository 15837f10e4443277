"""A server in LLM mode whose model's server answers requests with tools with an empty 200
(llama-cpp-python's): start-up, `/ready` and `/metrics` say that it does not call tools, and a
customer still books the time they pick from the times offered."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from agents.maintenance.offers import offer_in
from orchestrator.settings import Settings
from tests.utils.chat_client import ChatClient, tokens_of
from tests.utils.fake_openai import FakeOpenAI, MalformedToolCall
from tests.utils.server import ServerProcess, llm_mode_server
from tests.utils.tool_servers import empty_when_streaming_tools

NO_TOOLS = "no (the server answered with nothing)"


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(default=empty_when_streaming_tools()) as server:
        yield server


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, kb_settings: Settings, llm: FakeOpenAI
) -> Iterator[ServerProcess]:
    """LLM mode with the product's own LLM_TOOLS (auto): it asks the model at start-up."""
    process = llm_mode_server(
        tmp_path_factory.mktemp("llm-tools"),
        kb_settings.chroma_path,
        llm.base_url,
        LLM_TOOLS="auto",
    )
    process.start()
    try:
        yield process
    finally:
        process.stop()


def test_start_up_ready_and_metrics_say_the_model_calls_no_tools(
    server: ServerProcess, llm: FakeOpenAI
) -> None:
    assert f"ready: llm answer mode; the model calls tools: {NO_TOOLS}" in server.log()
    [probe] = [r for r in llm.requests if r.get("tools")]
    assert probe["stream"] is True and probe["tool_choice"] == "auto"
    checks = httpx.get(f"{server.base_url}/ready", timeout=5).json()["checks"]
    assert checks["model_tools"] == "no"
    assert checks["model_tools_reason"] == "the server answered with nothing"
    scraped = httpx.get(f"{server.base_url}/metrics", timeout=5).text
    assert 'orchestrator_model_tools{state="no"} 1.0' in scraped
    assert 'orchestrator_model_tools{state="yes"} 0.0' in scraped


async def test_a_customer_books_the_time_they_pick_from_those_offered(
    server: ServerProcess, llm: FakeOpenAI
) -> None:
    session = f"tools-{uuid.uuid4().hex[:10]}"
    async with await ChatClient.connect(server.ws_url, server.token("tools-1")) as client:
        asked = "Which times are free for a general service on Monday?"
        offered = (await client.turn(asked, session_id=session))[-1]
        assert offered["type"] == "complete", offered
        offer = offer_in(offered["response"], datetime.now(UTC), UTC)
        assert offer is not None and offer.service == "general_service"
        events = await client.turn("the first one", session_id=session)
        booked = events[-1]
        assert booked["type"] == "complete", booked
        assert booked["response"] == tokens_of(events)
        [used] = booked["metadata"]["tools"]
        assert (used["name"], used["ok"]) == ("book_appointment", True)
        assert used["arguments"]["service_type"] == "general_service"
        assert used["summary"].startswith("Booked: General service on")
        reference = used["summary"].split("Reference ")[1][:6]
        assert f"Reference {reference}." in booked["response"]
        listed = (await client.turn("What appointments do I have?", session_id=session))[-1]
        assert f"{reference}: General service on" in listed["response"]

        # Moved as people say it: a day, then a time picked from those offered for the move.
        offered = (await client.turn("Can you move it to Tuesday?", session_id=session))[-1]
        assert offered["type"] == "complete", offered
        assert offered["metadata"]["tools"][0]["name"] == "move_appointment"
        assert f"appointment {reference}" in offered["response"]
        moved = (await client.turn("the last one", session_id=session))[-1]
        [used] = moved["metadata"]["tools"]
        assert (used["name"], used["ok"]) == ("move_appointment", True)
        assert used["summary"].startswith("Moved. Booked: General service on Tuesday")
        assert f"(reference {reference})" in moved["response"]  # the old one, cancelled
        new = used["summary"].split("Reference ")[1][:6]
        cancelled = (await client.turn("cancel it", session_id=session))[-1]
        assert (
            "Cancelled: General service on Tuesday" in cancelled["metadata"]["tools"][0]["summary"]
        )
        assert new in cancelled["response"]
        listed = (await client.turn("What appointments do I have?", session_id=session))[-1]
        assert "You have no upcoming appointments." in listed["response"]
    assert len([r for r in llm.requests if r.get("tools")]) == 1  # the probe's alone


async def test_a_malformed_tool_call_is_answered_by_the_rules(
    llm_server: ServerProcess, fake_llm: FakeOpenAI
) -> None:
    """LLM_TOOLS=on (the shared server's): tools stay offered, the turn is answered all the same."""
    fake_llm.script(MalformedToolCall("book_appointment", "{start_text: Monday, !!}"))
    token, session = llm_server.token("tools-2"), f"tools-{uuid.uuid4().hex[:10]}"
    async with await ChatClient.connect(llm_server.ws_url, token) as client:
        events = await client.turn("Book an oil change next Monday at 9am", session_id=session)
    done = events[-1]
    assert done["type"] == "complete", done
    [used] = done["metadata"]["tools"]
    assert used["summary"].startswith("Booked: Oil change on Monday")
    assert used["summary"] in done["response"]  # the loopback model's echo changed it: as is
    assert done["metadata"]["degraded"] == "answer changed the tool's result"
