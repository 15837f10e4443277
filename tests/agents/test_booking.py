"""Booking, listing and cancelling workshop appointments on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from agents.maintenance.booking import (
    Booked,
    Cancelled,
    Refused,
    available_slots,
    book,
    cancel,
    ensure_customer,
    find_slots,
    list_appointments,
)
from agents.maintenance.schedule import BookingRefusal
from agents.maintenance.when import When
from orchestrator.models import Appointment, AppointmentStatus, User, Vehicle
from orchestrator.persistence.db_engine import session_factory
from orchestrator.settings import Settings

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # a Wednesday
MONDAY = date(2026, 11, 23)
SETTINGS = Settings(_env_file=None, service_bays=2)
CUSTOMERS = ("ada", "bob", "cy", "dee", "eve")


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


@pytest.fixture
async def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    sessions = session_factory(engine)
    async with sessions() as session:
        for customer in CUSTOMERS:
            await ensure_customer(session, customer, customer.title())
        await session.commit()
    return sessions


async def book_as(
    sessions: async_sessionmaker[AsyncSession],
    customer: str,
    start: datetime,
    service_type: str = "oil_change",
    **kwargs: object,
) -> Booked | Refused:
    async with sessions() as session:
        return await book(
            session,
            SETTINGS,
            customer_id=customer,
            service_type=service_type,
            start=start,
            now=NOW,
            **kwargs,  # type: ignore[arg-type]
        )


async def booked(sessions: async_sessionmaker[AsyncSession], customer: str, start: datetime) -> str:
    result = await book_as(sessions, customer, start)
    assert isinstance(result, Booked), result
    return result.appointment_id


async def test_ensure_customer_is_idempotent(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        await ensure_customer(session, "ada", "Someone Else")
        await ensure_customer(session, "new", "Newcomer")
        await session.commit()
        names = {row.id: row.name for row in await session.execute(select(User.id, User.name))}
    assert names["ada"] == "Ada"
    assert names["new"] == "Newcomer"


async def test_book_a_free_slot(sessions: async_sessionmaker[AsyncSession]) -> None:
    result = await book_as(sessions, "ada", at(MONDAY, 9), notes="rattle from the front left")
    assert isinstance(result, Booked)
    assert result.reference == result.appointment_id[:6].upper()
    assert result.message == (
        f"Booked: Oil change on Monday 23 November at 09:00–10:00. Reference {result.reference}. "
        "Free cancellation up to 24 hours before."
    )
    async with sessions() as session:
        row = await session.get(Appointment, result.appointment_id)
    assert row is not None
    assert (row.customer_id, row.service_type, row.status) == ("ada", "oil_change", "booked")
    assert (row.starts_at, row.ends_at) == (at(MONDAY, 9), at(MONDAY, 10))
    assert row.notes == "rattle from the front left"


async def test_book_accepts_the_customers_words_for_the_service(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    result = await book_as(sessions, "ada", at(MONDAY, 9), service_type="new tyres please")
    assert isinstance(result, Booked)
    assert result.service_type == "tyre_change"
    assert result.ends_at == at(MONDAY, 10)


async def test_messages_use_the_service_timezone(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    berlin = Settings(_env_file=None, service_timezone="Europe/Berlin")
    async with sessions() as session:
        result = await book(
            session,
            berlin,
            customer_id="ada",
            service_type="oil_change",
            start=at(MONDAY, 7),  # 08:00 in Berlin, when it opens
            now=NOW,
        )
    assert isinstance(result, Booked)
    assert "Monday 23 November at 08:00–09:00" in result.message


@pytest.mark.parametrize(
    ("start", "service_type", "code"),
    [
        (NOW - timedelta(hours=1), "oil_change", BookingRefusal.in_the_past),
        (at(date(2026, 11, 22), 10), "oil_change", BookingRefusal.closed),  # Sunday
        (at(MONDAY, 17, 30), "annual_service", BookingRefusal.closed),  # ends 19:30
        (at(MONDAY, 7), "oil_change", BookingRefusal.closed),
        (NOW + timedelta(weeks=13), "oil_change", BookingRefusal.too_far_ahead),
        (at(MONDAY, 9), "hover conversion", BookingRefusal.unknown_service),
    ],
)
async def test_refusals(
    sessions: async_sessionmaker[AsyncSession],
    start: datetime,
    service_type: str,
    code: BookingRefusal,
) -> None:
    result = await book_as(sessions, "ada", start, service_type=service_type)
    assert isinstance(result, Refused)
    assert result.code is code
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Appointment)) == 0


async def test_closed_refusal_explains_duration_and_opening_hours(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    result = await book_as(sessions, "ada", at(MONDAY, 17, 30), service_type="annual_service")
    assert isinstance(result, Refused)
    assert result.message.startswith("Annual service takes 2 h.")
    assert "Monday to Friday 08:00–18:00, Saturday 09:00–13:00; closed on Sunday" in result.message


async def test_fully_booked_when_every_bay_is_taken(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await booked(sessions, "ada", at(MONDAY, 9))
    await booked(sessions, "bob", at(MONDAY, 9))
    result = await book_as(sessions, "cy", at(MONDAY, 9, 30))
    assert isinstance(result, Refused)
    assert result.code is BookingRefusal.fully_booked
    assert result.message == "All service bays are booked at that time."
    assert isinstance(await book_as(sessions, "cy", at(MONDAY, 10)), Booked)


async def test_capacity_counts_bays_in_use_at_once_not_overlapping_bookings(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await booked(sessions, "ada", at(MONDAY, 8))  # 08:00–09:00
    await booked(sessions, "bob", at(MONDAY, 9))  # 09:00–10:00
    # 08:30–10:30 overlaps both, but only one of them is in a bay at any moment
    third = await book_as(sessions, "cy", at(MONDAY, 8, 30), service_type="annual_service")
    assert isinstance(third, Booked)
    fourth = await book_as(sessions, "dee", at(MONDAY, 9, 30))
    assert isinstance(fourth, Refused)
    assert fourth.code is BookingRefusal.fully_booked


async def test_customer_cannot_overlap_their_own_appointment(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await booked(sessions, "ada", at(MONDAY, 9))
    result = await book_as(sessions, "ada", at(MONDAY, 9, 30))
    assert isinstance(result, Refused)
    assert result.code is BookingRefusal.customer_overlap
    assert isinstance(await book_as(sessions, "ada", at(MONDAY, 10)), Booked)


async def test_cancelled_appointments_free_their_bay(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    first = await booked(sessions, "ada", at(MONDAY, 9))
    await booked(sessions, "bob", at(MONDAY, 9))
    async with sessions() as session:
        await cancel(session, SETTINGS, customer_id="ada", appointment_id=first, now=NOW)
    assert isinstance(await book_as(sessions, "cy", at(MONDAY, 9)), Booked)


async def test_vehicle_must_belong_to_the_customer(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        session.add(Vehicle(id="v-bob", owner_id="bob", model="Ridge", year=2024, vin="K" * 17))
        await session.commit()
    refused = await book_as(sessions, "ada", at(MONDAY, 9), vehicle_id="v-bob")
    assert isinstance(refused, Refused)
    assert refused.code is BookingRefusal.not_found
    accepted = await book_as(sessions, "bob", at(MONDAY, 9), vehicle_id="v-bob")
    assert isinstance(accepted, Booked)


async def test_concurrent_bookings_never_exceed_the_bays(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    results = await asyncio.gather(
        *(book_as(sessions, customer, at(MONDAY, 9)) for customer in CUSTOMERS)
    )
    assert sum(isinstance(r, Booked) for r in results) == 2
    assert all(r.code is BookingRefusal.fully_booked for r in results if isinstance(r, Refused))
    async with sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(Appointment)
            .where(Appointment.status == AppointmentStatus.booked)
        )
    assert count == 2


async def test_list_shows_only_the_customers_own_upcoming_appointments(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    later = await booked(sessions, "ada", at(MONDAY, 14))
    earlier = await booked(sessions, "ada", at(MONDAY, 9))
    dropped = await booked(sessions, "ada", at(MONDAY, 16))
    await booked(sessions, "bob", at(MONDAY, 10))
    async with sessions() as session:
        await cancel(session, SETTINGS, customer_id="ada", appointment_id=dropped, now=NOW)
        upcoming = await list_appointments(session, "ada", NOW)
        everything = await list_appointments(session, "ada", NOW, include_past=True)
        after_monday = await list_appointments(session, "ada", at(MONDAY, 20))
    assert [a.id for a in upcoming] == [earlier, later]
    assert upcoming[0].describe(UTC) == (
        f"{earlier[:6].upper()}: Oil change on Monday 23 November at 09:00–10:00"
    )
    assert [(a.id, a.status) for a in everything] == [
        (earlier, "booked"),
        (later, "booked"),
        (dropped, "cancelled"),
    ]
    assert everything[2].describe(UTC).endswith("(cancelled)")
    assert after_monday == []


async def test_cancel_own_appointment_by_reference(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    appointment_id = await booked(sessions, "ada", at(MONDAY, 9))
    async with sessions() as session:
        result = await cancel(
            session,
            SETTINGS,
            customer_id="ada",
            appointment_id=appointment_id[:6].lower(),
            now=NOW,
        )
    assert isinstance(result, Cancelled)
    assert result.appointment_id == appointment_id
    assert not result.late
    assert result.message == (
        f"Cancelled: Oil change on Monday 23 November at 09:00–10:00 "
        f"(reference {appointment_id[:6].upper()}). No cancellation fee applies."
    )
    async with sessions() as session:
        row = await session.get(Appointment, appointment_id)
    assert row is not None
    assert row.status == AppointmentStatus.cancelled
    assert row.cancelled_at == NOW


async def test_cannot_cancel_someone_elses_appointment(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    appointment_id = await booked(sessions, "bob", at(MONDAY, 9))
    for guess in (appointment_id, appointment_id[:6].upper(), "nonexistent", "AB"):
        async with sessions() as session:
            result = await cancel(
                session, SETTINGS, customer_id="ada", appointment_id=guess, now=NOW
            )
        assert isinstance(result, Refused)
        assert result.code is BookingRefusal.not_found
    async with sessions() as session:
        row = await session.get(Appointment, appointment_id)
    assert row is not None
    assert row.status == AppointmentStatus.booked


async def test_cancelling_twice(sessions: async_sessionmaker[AsyncSession]) -> None:
    appointment_id = await booked(sessions, "ada", at(MONDAY, 9))
    results = []
    for _ in range(2):
        async with sessions() as session:
            results.append(
                await cancel(
                    session, SETTINGS, customer_id="ada", appointment_id=appointment_id, now=NOW
                )
            )
    assert isinstance(results[0], Cancelled)
    assert isinstance(results[1], Refused)
    assert results[1].code is BookingRefusal.already_cancelled


async def test_late_cancellation_is_allowed_with_a_fee_warning(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    tomorrow_morning = at(date(2026, 11, 19), 9)  # 23 hours ahead
    appointment_id = await booked(sessions, "ada", tomorrow_morning)
    async with sessions() as session:
        result = await cancel(
            session, SETTINGS, customer_id="ada", appointment_id=appointment_id, now=NOW
        )
    assert isinstance(result, Cancelled)
    assert result.late
    assert "less than 24 hours" in result.message
    assert "€35" in result.message


async def test_cannot_cancel_an_appointment_that_has_started(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    appointment_id = await booked(sessions, "ada", at(MONDAY, 9))
    async with sessions() as session:
        result = await cancel(
            session,
            SETTINGS,
            customer_id="ada",
            appointment_id=appointment_id,
            now=at(MONDAY, 9, 15),
        )
    assert isinstance(result, Refused)
    assert result.code is BookingRefusal.in_the_past


async def test_available_slots_skip_full_and_past_times(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        for customer in ("ada", "bob"):
            result = await book(
                session,
                SETTINGS,
                customer_id=customer,
                service_type="annual_service",
                start=at(MONDAY, 9),
                now=NOW,
            )
            assert isinstance(result, Booked)
        monday = await available_slots(
            session, SETTINGS, day=MONDAY, service_type="annual_service", now=NOW
        )
        today = await available_slots(
            session, SETTINGS, day=NOW.date(), service_type="oil_change", now=NOW
        )
        sunday = await available_slots(
            session, SETTINGS, day=date(2026, 11, 22), service_type="oil_change", now=NOW
        )
        with pytest.raises(ValueError, match="unknown service"):
            await available_slots(session, SETTINGS, day=MONDAY, service_type="???", now=NOW)
    assert monday == [at(MONDAY, 11) + timedelta(minutes=30 * i) for i in range(11)]
    assert today[0] == at(NOW.date(), 10, 30)
    assert today[-1] == at(NOW.date(), 17)
    assert sunday == []


async def test_available_slots_can_exclude_the_customers_own_clashes(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await booked(sessions, "ada", at(MONDAY, 9))
    async with sessions() as session:
        for_ada = await available_slots(
            session, SETTINGS, day=MONDAY, service_type="oil_change", now=NOW, customer_id="ada"
        )
        for_anyone = await available_slots(
            session, SETTINGS, day=MONDAY, service_type="oil_change", now=NOW
        )
    assert at(MONDAY, 9) in for_anyone
    assert at(MONDAY, 8, 30) not in for_ada
    assert at(MONDAY, 9) not in for_ada
    assert at(MONDAY, 10) in for_ada


async def test_find_slots_within_a_window(sessions: async_sessionmaker[AsyncSession]) -> None:
    friday_afternoon = When(at(date(2026, 11, 20), 12), at(date(2026, 11, 20), 18), exact=False)
    async with sessions() as session:
        found = await find_slots(session, SETTINGS, friday_afternoon, "oil_change", NOW, limit=3)
    assert found.in_window
    friday = date(2026, 11, 20)
    assert found.slots == [at(friday, 12), at(friday, 12, 30), at(friday, 13)]


async def test_find_slots_falls_back_to_the_next_days(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    sunday = When(at(date(2026, 11, 22), 0), at(date(2026, 11, 23), 0), exact=False)
    async with sessions() as session:
        found = await find_slots(session, SETTINGS, sunday, "annual_service", NOW, limit=2)
    assert not found.in_window
    assert found.slots == [at(MONDAY, 8), at(MONDAY, 8, 30)]


async def test_find_slots_for_an_exact_time(sessions: async_sessionmaker[AsyncSession]) -> None:
    nine = When(at(MONDAY, 9), at(MONDAY, 9), exact=True)
    async with sessions() as session:
        free = await find_slots(session, SETTINGS, nine, "oil_change", NOW)
    assert free.in_window
    assert free.slots == [at(MONDAY, 9)]

    await booked(sessions, "ada", at(MONDAY, 9))
    await booked(sessions, "bob", at(MONDAY, 9))
    async with sessions() as session:
        taken = await find_slots(session, SETTINGS, nine, "oil_change", NOW, limit=4)
    assert not taken.in_window
    assert taken.slots == [at(MONDAY, 8), at(MONDAY, 10), at(MONDAY, 10, 30), at(MONDAY, 11)]
