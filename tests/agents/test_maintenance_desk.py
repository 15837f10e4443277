"""One set of appointment actions: the offline rules and the model's tools answer alike."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from agents.maintenance.desk import AppointmentDesk
from agents.maintenance.tools import make_tools
from agents.maintenance.when import parse_when
from orchestrator.persistence.db_engine import session_factory
from orchestrator.settings import Settings

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # a Wednesday
SETTINGS = Settings(_env_file=None, service_bays=2)


def desk(engine: AsyncEngine) -> AppointmentDesk:
    return AppointmentDesk(session_factory(engine), SETTINGS, "ada", lambda: NOW, "Ada")


async def test_the_tools_are_the_desk_under_another_name(engine: AsyncEngine) -> None:
    counter = desk(engine)
    tools = {t.name: t for t in make_tools(counter)}
    friday = parse_when("Friday afternoon", NOW, counter.tz)
    assert friday is not None
    assert await counter.free_times(friday, "oil_change") == await tools["available_slots"].ainvoke(
        {"date_text": "Friday afternoon", "service_type": "oil change"}
    )
    sunday = parse_when("Sunday at 10am", NOW, counter.tz)
    assert sunday is not None
    assert await counter.book(sunday, "oil_change") == await tools["book_appointment"].ainvoke(
        {"start_text": "Sunday at 10am", "service_type": "oil change"}
    )


async def test_cancel_without_a_reference_takes_the_only_appointment_or_asks(
    engine: AsyncEngine,
) -> None:
    counter = desk(engine)
    assert await counter.cancel(None) == "You have no upcoming appointments to cancel."
    for text in ("next Monday at 9am", "next Tuesday at 9am"):
        when = parse_when(text, NOW, counter.tz)
        assert when is not None
        assert (await counter.book(when, "oil_change")).startswith("Booked:")
    asked = await counter.cancel(None)
    assert asked.startswith("Which appointment should I cancel?")
    assert asked.count("\n- ") == 2
    reference = asked.split("\n- ")[1].split(":")[0]
    assert (await counter.cancel(reference)).startswith("Cancelled:")
    assert (await counter.cancel(None)).startswith("Cancelled:")
    assert await counter.upcoming() == "You have no upcoming appointments."


async def test_a_move_books_the_new_time_before_it_cancels_the_old(engine: AsyncEngine) -> None:
    counter = desk(engine)
    monday = parse_when("next Monday at 9am", NOW, counter.tz)
    assert monday is not None and (await counter.book(monday, "oil_change")).startswith("Booked:")
    [old] = (await counter.upcoming()).split("\n- ")[1:]
    reference = old.split(":")[0]

    tuesday = parse_when("next Tuesday", NOW, counter.tz)
    offered = await counter.move(None, tuesday)
    assert "Oil change (1 h): Tuesday 24 November: 08:00" in offered
    assert f"I'll move your appointment {reference} to it" in offered
    assert await counter.upcoming() == f"Your upcoming appointments:\n- {old}"  # not yet

    sunday = parse_when("Sunday at 10am", NOW, counter.tz)  # closed: nothing changes
    refused = await counter.move(reference, sunday)
    assert refused.endswith(f"Your appointment {reference} is unchanged.")
    at_ten = parse_when("next Tuesday at 10am", NOW, counter.tz)
    moved = await counter.move(reference, at_ten)
    assert moved.startswith("Moved. Booked: Oil change on Tuesday 24 November at 10:00")
    assert (
        f"Cancelled: Oil change on Monday 23 November at 09:00–10:00 (reference {reference})"
        in moved
    )
    listed = await counter.upcoming()
    assert "Tuesday 24 November at 10:00" in listed and reference not in listed
    assert await counter.move("ZZZ999", at_ten) == (
        "I can't find an upcoming appointment with reference ZZZ999."
    )
