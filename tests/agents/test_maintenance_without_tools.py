"""The maintenance specialist in LLM mode with a model that cannot call tools: its rules do the
tool work, the model only words it, and the customer hears the tool's times and references
exactly, never a booking that was not made. Real OpenAI-compatible servers on loopback."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import URL

from agents.maintenance.prompts import SYSTEM_WITHOUT_TOOLS, WORDING
from agents.maintenance.wording import CHANGED, UNWORDED
from orchestrator.events import Token, ToolCall
from orchestrator.models import Appointment
from orchestrator.settings import Settings
from orchestrator.turns import Completed, Orchestrator
from tests.orchestrator.test_llm_path import llm_settings
from tests.orchestrator.test_turns import running
from tests.utils.fake_openai import (
    CutOff,
    FakeOpenAI,
    MalformedToolCall,
    Responder,
    Scripted,
    tokenize,
)
from tests.utils.tool_servers import (
    empty_when_streaming_tools,
    ignores_tools,
    refuses_tools,
    wording,
)
from tests.utils.turns import asked, opened

MONDAY_OFFER = "General service (2 h): Monday 23 November: 08:00, 08:30, 09:00, 09:30, 10:00"


@pytest.fixture
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def serving(llm: FakeOpenAI, responder: Responder) -> FakeOpenAI:
    llm.default = responder
    return llm


async def turn(orchestrator: Orchestrator, session: str, text: str) -> tuple[Completed, list[Any]]:
    events = await asked(orchestrator, session, text, "cust-tools")
    done = events[-1]
    assert isinstance(done, Completed), done
    return done, events


def calls(events: list[Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(e.name, e.arguments) for e in events if isinstance(e, ToolCall)]


async def booked(orchestrator: Orchestrator) -> list[Appointment]:
    async with orchestrator.services.sessions() as session:
        return list(await session.scalars(select(Appointment)))


async def test_a_server_that_answers_tools_with_nothing_still_books_the_time_picked(
    kb_settings: Settings, db_url: URL, embedder: Any, llm: FakeOpenAI
) -> None:
    settings = llm_settings(kb_settings, db_url, serving(llm, empty_when_streaming_tools()))
    async with running(settings, db_url, embedder) as orchestrator:
        offered, events = await turn(
            orchestrator, "t-1", "Which times are free for a general service on Monday?"
        )
        assert orchestrator.services.model_abilities.tools == "no"
        assert [name for name, _ in calls(events)] == ["available_slots"]
        assert MONDAY_OFFER in offered.response  # as the tool gave it, in the model's words
        assert offered.response.startswith("Here is what I found.")
        assert (offered.metadata.mode, offered.metadata.degraded) == ("llm", None)
        tried = len(llm.requests)
        picked, events = await turn(orchestrator, "t-1", "09:00 please")
        listed, _ = await turn(orchestrator, "t-1", "What appointments do I have?")
        [appointment] = await booked(orchestrator)
    first = llm.requests[0]
    assert first["stream"] and first["tool_choice"] == "auto" and first["tools"]
    assert not any("tools" in request for request in llm.requests[tried:])
    assert WORDING in llm.requests[-1]["messages"][0]["content"]
    assert calls(events) == [
        (
            "book_appointment",
            {"start_text": "2026-11-23T09:00+00:00", "service_type": "general_service"},
        )
    ]
    assert (appointment.service_type, appointment.starts_at) == (
        "general_service",
        datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
    )
    reference = appointment.id[:6].upper()
    assert (
        f"Booked: General service on Monday 23 November at 09:00–11:00. Reference {reference}."
        in (picked.response)
    )
    assert f"{reference}: General service on Monday 23 November at 09:00–11:00" in listed.response


async def test_a_wording_that_claims_a_booking_is_not_said(
    kb_settings: Settings, db_url: URL, embedder: Any, llm: FakeOpenAI
) -> None:
    boasting = ignores_tools("Great news, you're booked for Monday at 09:00!")
    settings = llm_settings(kb_settings, db_url, serving(llm, boasting))
    settings = settings.model_copy(update={"llm_tools": "off"})
    async with running(settings, db_url, embedder) as orchestrator:
        offered, _ = await turn(
            orchestrator, "t-2", "Which times are free for a general service on Monday?"
        )
        picked, _ = await turn(orchestrator, "t-2", "the first one")
        [appointment] = await booked(orchestrator)
    assert offered.response == (
        f"Free start times for {MONDAY_OFFER}.\nTell me which one you'd like and I'll book it."
    )
    assert offered.metadata.degraded == CHANGED
    assert appointment.starts_at == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    assert picked.response.startswith("Booked: General service on Monday 23 November at 08:00")
    assert not any("tools" in request for request in llm.requests)


async def test_the_wording_streams_a_sentence_at_a_time_and_the_result_follows_if_it_breaks_off(
    kb_settings: Settings, db_url: URL, embedder: Any, llm: FakeOpenAI
) -> None:
    def breaks_off(request: dict[str, Any]) -> Scripted:
        """Words the result, says its first sentence, then hangs and drops the connection."""
        if WORDING not in request["messages"][0]["content"]:
            return wording(request)
        text = f"Here is what I found. Free times on {MONDAY_OFFER}."
        return CutOff(text, after_tokens=len(tokenize("Here is what I found. Free")), hang_s=5)

    settings = llm_settings(kb_settings, db_url, serving(llm, breaks_off))
    settings = settings.model_copy(update={"llm_tools": "off"})
    async with running(settings, db_url, embedder) as orchestrator:
        events, at = [], []
        async for event in orchestrator.stream_turn(
            **await opened(
                orchestrator, "t-5", "Free times for a general service Monday?", "cust-tools"
            )
        ):
            events.append(event)
            at.append(time.monotonic())
    done, tokens = events[-1], [i for i, e in enumerate(events) if isinstance(e, Token)]
    assert isinstance(done, Completed)
    slots = f"Free start times for {MONDAY_OFFER}.\nTell me which one you'd like and I'll book it."
    assert done.response == f"Here is what I found. {slots}"
    assert done.metadata.degraded == UNWORDED
    # The first sentence went out as the model wrote it, before it hung (until the 1 s timeout).
    assert "".join(events[i].text for i in tokens).startswith("Here is what I found. ")
    assert at[-1] - at[tokens[0]] >= 0.8


async def test_a_malformed_tool_call_is_answered_by_the_rules(
    kb_settings: Settings, db_url: URL, embedder: Any, llm: FakeOpenAI
) -> None:
    settings = llm_settings(kb_settings, db_url, llm)
    llm.script(MalformedToolCall("book_appointment", "{start_text: Monday, !!}"))
    async with running(settings, db_url, embedder) as orchestrator:
        done, events = await turn(orchestrator, "t-3", "Book an oil change next Monday at 9am")
        [appointment] = await booked(orchestrator)
        assert orchestrator.services.model_abilities.tools == "no"
    assert [name for name, _ in calls(events)] == ["book_appointment"]
    assert (appointment.service_type, appointment.starts_at) == (
        "oil_change",
        datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
    )
    assert f"Reference {appointment.id[:6].upper()}" in done.response


async def test_a_server_that_refuses_tools_answers_questions_without_them(
    kb_settings: Settings, db_url: URL, embedder: Any, llm: FakeOpenAI
) -> None:
    settings = llm_settings(kb_settings, db_url, serving(llm, refuses_tools()))
    async with running(settings, db_url, embedder) as orchestrator:
        done, events = await turn(orchestrator, "t-4", "How often should I change the oil?")
        abilities = orchestrator.services.model_abilities
    assert done.response == "Servicing is covered in the owner's manual [1]."
    assert not calls(events)
    assert abilities.tools == "no" and "HTTP 400" in (abilities.reason or "")
    refused, answered = llm.requests
    assert refused["tools"] and "tools" not in answered
    assert SYSTEM_WITHOUT_TOOLS in answered["messages"][0]["content"]
