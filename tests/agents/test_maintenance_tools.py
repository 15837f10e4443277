"""The LangChain appointment tools, invoked as the LLM path would: `await tool.ainvoke(args)`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from agents.maintenance.desk import AppointmentDesk
from agents.maintenance.tools import make_tools, openai_tools
from orchestrator.models import Appointment, User
from orchestrator.persistence.db_engine import session_factory
from orchestrator.settings import Settings

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # a Wednesday
SETTINGS = Settings(_env_file=None, service_bays=2)


@pytest.fixture
def tools(engine: AsyncEngine) -> dict[str, BaseTool]:
    desk = AppointmentDesk(session_factory(engine), SETTINGS, "ada", lambda: NOW, "Ada")
    made = make_tools(desk)
    return {tool.name: tool for tool in made}


def test_specs_are_what_langchain_converts_each_desks_tools_to(engine: AsyncEngine) -> None:
    def desk(settings: Settings, customer: str) -> AppointmentDesk:
        return AppointmentDesk(session_factory(engine), settings, customer, lambda: NOW, customer)

    for settings in (SETTINGS, Settings(_env_file=None, free_cancellation_hours=48)):
        for customer in ("ada", "bo"):
            made = make_tools(desk(settings, customer))
            assert openai_tools(made) == [convert_to_openai_tool(t) for t in made]
    other = openai_tools(
        make_tools(desk(Settings(_env_file=None, free_cancellation_hours=48), "x"))
    )
    assert "48 hours" in other[3]["function"]["description"]


def test_tool_names_and_arguments(tools: dict[str, BaseTool]) -> None:
    assert set(tools) == {
        "available_slots",
        "book_appointment",
        "list_my_appointments",
        "cancel_appointment",
        "move_appointment",
    }
    assert set(tools["available_slots"].args) == {"date_text", "service_type"}
    assert set(tools["book_appointment"].args) == {"start_text", "service_type", "notes"}
    assert set(tools["list_my_appointments"].args) == set()
    assert set(tools["cancel_appointment"].args) == {"reference"}


async def test_find_book_list_and_cancel(tools: dict[str, BaseTool], engine: AsyncEngine) -> None:
    free = await tools["available_slots"].ainvoke(
        {"date_text": "next Monday morning", "service_type": "oil change"}
    )
    assert free == (
        "Free start times for Oil change (1 h): "
        "Monday 23 November: 08:00, 08:30, 09:00, 09:30, 10:00."
    )

    booked = await tools["book_appointment"].ainvoke(
        {
            "start_text": "next Monday at 9am",
            "service_type": "oil_change",
            "notes": "oil warning light",
        }
    )
    assert booked.startswith("Booked: Oil change on Monday 23 November at 09:00–10:00. Reference ")
    async with session_factory(engine)() as session:
        appointment = await session.scalar(select(Appointment))
        assert await session.get(User, "ada") is not None
    assert appointment is not None
    reference = appointment.id[:6].upper()
    assert f"Reference {reference}." in booked
    assert appointment.notes == "oil warning light"

    listed = await tools["list_my_appointments"].ainvoke({})
    assert listed == (
        "Your upcoming appointments:\n"
        f"- {reference}: Oil change on Monday 23 November at 09:00–10:00"
    )

    cancelled = await tools["cancel_appointment"].ainvoke({"reference": reference})
    assert cancelled.startswith("Cancelled: Oil change on Monday 23 November at 09:00–10:00 (ref")
    assert await tools["list_my_appointments"].ainvoke({}) == "You have no upcoming appointments."
    again = await tools["cancel_appointment"].ainvoke({"reference": appointment.id})
    assert again == "That appointment is already cancelled."


async def test_booking_needs_an_exact_time(tools: dict[str, BaseTool]) -> None:
    answer = await tools["book_appointment"].ainvoke(
        {"start_text": "Saturday", "service_type": "tyres"}
    )
    assert answer == (
        "Please choose an exact start time. Free start times for Tyre change (1 h): "
        "Saturday 21 November: 09:00, 09:30, 10:00, 10:30, 11:00."
    )


async def test_refusals_come_with_alternatives(tools: dict[str, BaseTool]) -> None:
    answer = await tools["book_appointment"].ainvoke(
        {"start_text": "Friday at 17:30", "service_type": "annual service"}
    )
    assert answer.startswith("Annual service takes 2 h. The service centre is closed then")
    assert answer.endswith(
        "Free start times nearby for Annual service (2 h): "
        "Friday 20 November: 14:00, 14:30, 15:00, 15:30, 16:00."
    )


async def test_unclear_requests_get_guidance(tools: dict[str, BaseTool]) -> None:
    no_date = await tools["available_slots"].ainvoke(
        {"date_text": "whenever suits", "service_type": "oil change"}
    )
    assert no_date.startswith("I couldn't tell which day or time 'whenever suits' means.")
    unknown = await tools["book_appointment"].ainvoke(
        {"start_text": "Monday at 9", "service_type": "paint job"}
    )
    assert unknown.startswith("I don't know that type of service. We offer: Annual service,")
    missing = await tools["cancel_appointment"].ainvoke({"reference": "ZZZZZZ"})
    assert missing == "I can't find an appointment with that reference on your account."
