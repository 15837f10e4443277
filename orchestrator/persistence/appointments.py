"""Workshop appointments: overlap reads, the booking lock, inserts, lookups and cancelling.

The rules (opening hours, bays, late cancellation) live in `agents.maintenance.booking`, which
calls these in its own transaction. Concurrency: every check-then-insert of a booking runs
behind `lock_bookings`, taken at the start of the transaction. On PostgreSQL that is
`pg_advisory_xact_lock(APPOINTMENT_LOCK_KEY)` (row locks cannot guard rows that do not exist
yet); on SQLite it is the database write lock, taken up front by a no-op UPDATE (the effect of
BEGIN IMMEDIATE), so the overlap count is read under the lock rather than from a snapshot
another writer may already have outdated. Both locks are released at commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from orchestrator.models import Appointment, AppointmentStatus

APPOINTMENT_LOCK_KEY = 0x4B4D_4150_4F49_4E54  # any constant int64 unique to bookings


async def booked_between(
    session: AsyncSession, start: datetime, end: datetime
) -> list[Appointment]:
    """Booked appointments sharing time with [start, end)."""
    rows = await session.scalars(
        select(Appointment).where(
            Appointment.status == AppointmentStatus.booked,
            Appointment.starts_at < end,
            Appointment.ends_at > start,
        )
    )
    return list(rows)


async def lock_bookings(session: AsyncSession) -> None:
    """Take the booking lock for the rest of the session's transaction (see the module doc)."""
    dialect = (await session.connection()).dialect.name
    if dialect == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(APPOINTMENT_LOCK_KEY)))
    elif dialect == "sqlite":
        await session.execute(text("UPDATE appointments SET id = id WHERE 1 = 0"))
    else:
        raise NotImplementedError(f"no booking lock for {dialect}")


async def add(session: AsyncSession, appointment: Appointment) -> Appointment:
    """Save a new appointment and commit (under the lock `lock_bookings` took)."""
    session.add(appointment)
    await session.commit()
    return appointment


async def of_customer(
    session: AsyncSession, customer_id: str, now: datetime, include_past: bool
) -> list[Appointment]:
    """The customer's appointments by start time: booked and not yet over, or all of them."""
    query = select(Appointment).where(Appointment.customer_id == customer_id)
    if not include_past:
        query = query.where(
            Appointment.status == AppointmentStatus.booked, Appointment.ends_at > now
        )
    return list(await session.scalars(query.order_by(Appointment.starts_at, Appointment.id)))


async def by_reference(session: AsyncSession, customer_id: str, wanted: str) -> list[Appointment]:
    """The customer's appointments whose id starts with `wanted` (a reference or a full id)."""
    rows = await session.scalars(
        select(Appointment).where(
            Appointment.customer_id == customer_id,
            Appointment.id.startswith(wanted, autoescape=True),
        )
    )
    return list(rows)


async def mark_cancelled(session: AsyncSession, appointment_id: str, now: datetime) -> bool:
    """Cancel the appointment if it is still booked, and commit; False if it no longer was."""
    cancelled = await session.scalar(
        update(Appointment)
        .where(Appointment.id == appointment_id, Appointment.status == AppointmentStatus.booked)
        .values(status=AppointmentStatus.cancelled, cancelled_at=now)
        .returning(Appointment.id)
    )
    await session.commit()
    return cancelled is not None
