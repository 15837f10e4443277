"""The LLM answer mode against a real OpenAI-compatible server on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import URL

from agents.model_reply import MAX_ATTEMPTS
from orchestrator.events import Token, ToolCall, ToolResult
from orchestrator.models import Appointment, Message
from orchestrator.settings import Settings
from orchestrator.turns import Completed, Failed, Orchestrator
from tests.orchestrator.test_turns import running
from tests.utils.fake_openai import (
    CutOff,
    Fail,
    FakeOpenAI,
    MalformedToolCall,
    Raw,
    Reply,
    Stall,
)
from tests.utils.turns import asked


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def llm_settings(
    kb_settings: Settings, db_url: URL, llm: FakeOpenAI, *, timeout_s: float = 2.0
) -> Settings:
    """The sample knowledge base on `db_url`, answering through `llm` (its script reset).
    `timeout_s`: under a stalled reply (`Stall(3.0)`), with room for a loaded machine."""
    llm.reset()
    return kb_settings.model_copy(
        update={
            "database_url": db_url.render_as_string(False),
            "openai_api_key": "sk-test",
            "openai_base_url": llm.base_url,
            "llm_model": "test-model",
            "llm_timeout_s": timeout_s,
            "llm_max_retries": 0,
            "router_llm_threshold": 0.0,
        }
    )


@pytest.fixture
def settings(kb_settings: Settings, db_url: URL, llm: FakeOpenAI) -> Settings:
    return llm_settings(kb_settings, db_url, llm)


async def run_turn(orchestrator: Orchestrator, session_id: str, text: str) -> list[Any]:
    return await asked(orchestrator, session_id, text, "cust-llm")


async def stored(orchestrator: Orchestrator, session_id: str) -> list[Message]:
    async with orchestrator.services.sessions() as session:
        rows = await session.scalars(select(Message).where(Message.conversation_id == session_id))
        return sorted(rows, key=lambda m: (m.created_at, m.role != "user"))


async def test_the_answer_streams_from_the_model_grounded_in_context(
    settings: Settings, db_url: URL, embedder: Any, llm: FakeOpenAI
) -> None:
    llm.script(Reply("The Ridge Hybrid tows 2,500 kg braked [1]."))
    async with running(settings, db_url, embedder) as orchestrator:
        events = await run_turn(orchestrator, "llm-1", "How much can the Ridge tow?")
    done = events[-1]
    assert isinstance(done, Completed)
    assert done.response == "The Ridge Hybrid tows 2,500 kg braked [1]."
    assert len([e for e in events if isinstance(e, Token)]) > 3
    assert done.metadata.mode == "llm"
    request = llm.requests[-1]
    assert request["stream"] is True and request["model"] == "test-model"
    assert "Answer only from the numbered context" in request["messages"][0]["content"]
    prompt = request["messages"][-1]["content"]
    assert "### Context" in prompt and "[1] Kestrel Ridge Specifications" in prompt


async def test_a_local_server_configured_by_its_address_alone_answers(
    settings: Settings, db_url: URL, embedder: Any, llm: FakeOpenAI
) -> None:
    keyless = settings.model_copy(update={"openai_api_key": None})
    llm.script(Reply("The Ridge Hybrid tows 2,500 kg braked [1]."))
    async with running(keyless, db_url, embedder) as orchestrator:
        events = await run_turn(orchestrator, "llm-keyless", "How much can the Ridge tow?")
    done = events[-1]
    assert isinstance(done, Completed) and done.metadata.mode == "llm"
    assert done.response == "The Ridge Hybrid tows 2,500 kg braked [1]."


async def test_the_model_books_through_the_appointment_tools(
    settings: Settings, db_url: URL, embedder: Any, llm: FakeOpenAI
) -> None:
    llm.script(
        Reply(
            tool_calls=[
                {
                    "name": "book_appointment",
                    "arguments": {"start_text": "next Monday at 9am", "service_type": "oil change"},
                }
            ]
        ),
        Reply("Done: your oil change is booked for Monday at 09:00."),
    )
    async with running(settings, db_url, embedder) as orchestrator:
        events = await run_turn(
            orchestrator, "llm-2", "Please book an oil change next Monday at 9am"
        )
        async with orchestrator.services.sessions() as session:
            appointments = list(await session.scalars(select(Appointment)))
    done = events[-1]
    assert isinstance(done, Completed), done
    assert done.response == "Done: your oil change is booked for Monday at 09:00."
    assert [(a.service_type, a.customer_id) for a in appointments] == [("oil_change", "cust-llm")]
    assert [t["function"]["name"] for t in llm.requests[0]["tools"]] == [
        "available_slots",
        "book_appointment",
        "list_my_appointments",
        "cancel_appointment",
        "move_appointment",
    ]
    tool_message = llm.requests[1]["messages"][-1]
    assert tool_message["role"] == "tool" and tool_message["content"].startswith("Booked")
    # The turn's stream tells of the call and its result, in order, before the answer.
    [call] = [e for e in events if isinstance(e, ToolCall)]
    [result] = [e for e in events if isinstance(e, ToolResult)]
    assert (call.name, call.agent) == ("book_appointment", "maintenance")
    assert call.arguments == {"start_text": "next Monday at 9am", "service_type": "oil change"}
    assert (result.call_id, result.ok) == (call.call_id, True)
    assert result.summary.startswith("Booked") and "\n" not in result.summary
    assert events.index(call) < events.index(result) < len(events) - 1


async def test_a_booking_made_before_the_turn_failed_stays_on_record(
    settings: Settings, db_url: URL, embedder: Any, llm: FakeOpenAI
) -> None:
    """The model books, then fails to write its answer: the failed answer that is stored still
    says what was booked."""
    llm.script(
        Reply(
            tool_calls=[
                {
                    "name": "book_appointment",
                    "arguments": {"start_text": "next Monday at 9am", "service_type": "oil change"},
                }
            ]
        ),
        Fail(500),
    )
    async with running(settings, db_url, embedder) as orchestrator:
        events = await run_turn(orchestrator, "llm-book-fail", "Book an oil change next Monday")
        async with orchestrator.services.sessions() as session:
            [answer] = await session.scalars(
                select(Message).where(
                    Message.conversation_id == "llm-book-fail", Message.role == "assistant"
                )
            )
    assert isinstance(events[-1], Failed) and events[-1].code == "LLM_UNAVAILABLE"
    assert (answer.status, answer.error_code) == ("failed", "LLM_UNAVAILABLE")
    [used] = answer.tools or []
    assert (used["name"], used["ok"], used["agent"]) == ("book_appointment", True, "maintenance")
    assert used["summary"].startswith("Booked")


async def test_a_call_to_a_tool_that_does_not_exist_is_reported_not_ok(
    settings: Settings, db_url: URL, embedder: Any, llm: FakeOpenAI
) -> None:
    llm.script(
        Reply(tool_calls=[{"name": "order_pizza", "arguments": {"size": "large"}}]),
        Reply("I can only help with workshop appointments."),
    )
    async with running(settings, db_url, embedder) as orchestrator:
        events = await run_turn(orchestrator, "llm-nope", "Book me a service and a pizza")
    [result] = [e for e in events if isinstance(e, ToolResult)]
    assert (result.name, result.ok) == ("order_pizza", False)
    assert result.summary == "Unknown tool order_pizza"
    assert isinstance(events[-1], Completed)


@pytest.mark.parametrize(
    ("scripted", "code"),
    [
        (Fail(500), "LLM_UNAVAILABLE"),
        (Fail(429, retry_after=0.01), "LLM_UNAVAILABLE"),
        (Stall(3.0), "TIMEOUT"),
        (CutOff("The Aster goes a long way on one charge", after_tokens=4), "LLM_UNAVAILABLE"),
        (
            CutOff("The Aster goes a long way on one charge", after_tokens=4, clean=True),
            "LLM_UNAVAILABLE",
        ),
        (Raw(b"<html><body>502 Bad Gateway</body></html>"), "LLM_UNAVAILABLE"),
        (Raw(b'data: {"choices": [{"delta": \n\n', "text/event-stream"), "LLM_UNAVAILABLE"),
        ((Raw(b"", "text/event-stream"),) * MAX_ATTEMPTS, "LLM_EMPTY_REPLY"),
    ],
    ids=[
        "http-500",
        "http-429",
        "timeout",
        "cut-off",
        "no-finish-reason",
        "not-sse",
        "malformed-sse",
        "empty-stream",
    ],
)
async def test_model_failures_are_typed_and_leave_a_consistent_conversation(
    settings: Settings, db_url: URL, embedder: Any, llm: FakeOpenAI, scripted: Any, code: str
) -> None:
    llm.script(*(scripted if isinstance(scripted, tuple) else (scripted,)))
    async with running(settings, db_url, embedder) as orchestrator:
        events = await run_turn(orchestrator, "llm-fail", "What is the range of the Aster?")
        history = await orchestrator.history("llm-fail")
        rows = await stored(orchestrator, "llm-fail")
    failed = events[-1]
    assert isinstance(failed, Failed) and failed.code == code
    assert [m.type for m in history] == ["human", "ai"]
    assert [(m.role, m.status, m.error_code) for m in rows] == [
        ("user", "complete", None),
        ("assistant", "failed", code),
    ]
    assert (
        rows[1].content == failed.partial == "".join(e.text for e in events if isinstance(e, Token))
    )


async def test_a_rate_limited_model_passes_on_its_retry_after(
    settings: Settings, db_url: URL, embedder: Any, llm: FakeOpenAI
) -> None:
    llm.script(Fail(429, retry_after=7))
    async with running(settings, db_url, embedder) as orchestrator:
        events = await run_turn(orchestrator, "llm-429", "What is the range of the Aster?")
    failed = events[-1]
    assert isinstance(failed, Failed) and failed.code == "LLM_UNAVAILABLE"
    assert failed.retry_after == 7


async def test_a_tool_call_without_the_arguments_its_tool_needs_is_a_processing_error(
    settings: Settings, db_url: URL, embedder: Any, llm: FakeOpenAI
) -> None:
    llm.script(MalformedToolCall("book_appointment", '{"start_text": "Monday'))
    async with running(settings, db_url, embedder) as orchestrator:
        events = await run_turn(
            orchestrator, "llm-bad-tool", "Book an oil change next Monday at 9am"
        )
    assert isinstance(events[-1], Failed) and events[-1].code == "PROCESSING_ERROR"


async def test_the_model_routes_when_the_router_is_unsure(
    settings: Settings, db_url: URL, embedder: Any, llm: FakeOpenAI
) -> None:
    unsure = settings.model_copy(update={"router_llm_threshold": 1.01})
    llm.script(
        Reply(tool_calls=[{"name": "LLMRoute", "arguments": {"routes": ["troubleshooting"]}}]),
        Reply("Check the 12 V battery first [1]."),
    )
    async with running(unsure, db_url, embedder) as orchestrator:
        events = await run_turn(orchestrator, "llm-route", "Ridge")
    done = events[-1]
    assert isinstance(done, Completed), done
    assert done.metadata.agents == ["troubleshooting"]
    assert llm.requests[0]["tools"][0]["function"]["name"] == "LLMRoute"


async def test_a_greeting_goes_to_no_specialist_whatever_routes_the_model_names(
    settings: Settings, db_url: URL, embedder: Any, llm: FakeOpenAI
) -> None:
    """The model's routes count only where the semantic router's scores bear them out."""
    forced = settings.model_copy(update={"router_llm_threshold": 1.01})
    every = ["specs", "maintenance", "troubleshooting", "general"]
    llm.script(Reply(tool_calls=[{"name": "LLMRoute", "arguments": {"routes": every}}]))
    async with running(forced, db_url, embedder) as orchestrator:
        events = await run_turn(orchestrator, "llm-route-hello", "Hello!")
    done = events[-1]
    assert isinstance(done, Completed), done
    assert done.metadata.agents == ["general"]
    assert len(llm.requests) == 1  # the router's; the greeting is ours
