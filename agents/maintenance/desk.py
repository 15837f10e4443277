"""One customer's appointment actions: find free times, book, list, cancel, move.

The one place these are carried out, whoever asks: the offline rules (`node.run_action`, the
action read from the message) and the language model's tools (`tools.make_tools`) both call an
`AppointmentDesk`, so the two answer modes book and refuse alike. Every result is a message the
customer can read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agents.maintenance.booking import (
    SEARCH_DAYS,
    AppointmentView,
    Booked,
    Refused,
    SlotSearch,
    book,
    cancel,
    ensure_customer,
    find_slots,
    list_appointments,
    service_timezone,
)
from agents.maintenance.offers import moving_text, offer_text
from agents.maintenance.schedule import SERVICE_TYPES, BookingRefusal, format_duration
from agents.maintenance.when import When
from orchestrator.settings import Settings

__all__ = ["AppointmentDesk"]

# Refusals that come with free times nearby.
SUGGEST_ON = frozenset(
    {BookingRefusal.fully_booked, BookingRefusal.closed, BookingRefusal.customer_overlap}
)


@dataclass(frozen=True)
class AppointmentDesk:
    """The appointment actions for one customer. With `customer_name`, booking first adds the
    customer to `users` when missing. `drafting` (a reply drafted for staff): free times and
    bookings are read, and booking, cancelling and moving say what would be done, not do it."""

    sessions: async_sessionmaker[AsyncSession]
    settings: Settings
    customer_id: str
    now: Callable[[], datetime]
    customer_name: str | None = None
    drafting: bool = False

    @property
    def tz(self) -> ZoneInfo:
        return service_timezone(self.settings)

    async def free_times(self, when: When, service_key: str) -> str:
        async with self.sessions() as session:
            return await self._search(session, when, service_key, self.now())

    def _not_done(self, what: str) -> str:
        return f"(Draft: nothing was done. Take the conversation over to {what}.)"

    async def book(self, when: When, service_key: str, notes: str | None = None) -> str:
        if self.drafting and when.exact:
            start = when.start.isoformat(timespec="minutes")
            return self._not_done(f"book {service_key.replace('_', ' ')} at {start}")
        at = self.now()
        async with self.sessions() as session:
            if not when.exact:
                free = await self._search(session, when, service_key, at)
                return f"Please choose an exact start time. {free}"
            if self.customer_name is not None:
                await ensure_customer(session, self.customer_id, self.customer_name)
            result = await book(
                session,
                self.settings,
                customer_id=self.customer_id,
                service_type=service_key,
                start=when.start,
                now=at,
                notes=notes,
            )
            if isinstance(result, Refused) and result.code in SUGGEST_ON:
                found = await find_slots(
                    session, self.settings, when, service_key, at, customer_id=self.customer_id
                )
                if found.slots:
                    nearby = offer_text(service_key, found.slots, self.tz)
                    return f"{result.message} Free start times nearby for {nearby}."
            return result.message

    async def upcoming(self) -> str:
        async with self.sessions() as session:
            views = await list_appointments(session, self.customer_id, self.now())
        if not views:
            return "You have no upcoming appointments."
        return "Your upcoming appointments:\n" + "\n".join(
            f"- {v.describe(self.tz)}" for v in views
        )

    async def cancel(self, reference: str | None) -> str:
        """Cancel by reference; without one, the customer's only upcoming appointment."""
        if self.drafting:
            return self._not_done(f"cancel {reference or 'the appointment'}")
        async with self.sessions() as session:
            if reference is None:
                views = await list_appointments(session, self.customer_id, self.now())
                chosen = _one_of(views, None, self.tz, "cancel")
                if isinstance(chosen, str):
                    return chosen
                reference = chosen.id
            result = await cancel(
                session,
                self.settings,
                customer_id=self.customer_id,
                appointment_id=reference,
                now=self.now(),
            )
        return result.message

    async def move(self, reference: str | None, when: When | None) -> str:
        """Move an upcoming appointment (by reference; without one, the customer's only one)
        to an exact time: the new one booked first, then the old one cancelled, so a refused
        time leaves it as it was. A day without a time gets that day's free times, offered for
        the move (`offers.moving_in` reads it back from the answer)."""
        at = self.now()
        async with self.sessions() as session:
            views = await list_appointments(session, self.customer_id, at)
        chosen = _one_of(views, reference, self.tz, "move")
        if isinstance(chosen, str):
            return chosen
        if when is None:
            return (
                f"When would you like to move {chosen.describe(self.tz)}? Tell me a day, "
                "or a day and time."
            )
        if not when.exact:
            free = await self.free_times(when, chosen.service_type)
            return f"{free}\n{moving_text(chosen.reference)}"
        if self.drafting:
            start = when.start.isoformat(timespec="minutes")
            return self._not_done(f"move {chosen.reference} to {start}")
        async with self.sessions() as session:
            result = await book(
                session,
                self.settings,
                customer_id=self.customer_id,
                service_type=chosen.service_type,
                start=when.start,
                now=at,
                notes=chosen.notes,
            )
        if not isinstance(result, Booked):
            return f"{result.message} Your appointment {chosen.reference} is unchanged."
        cancelled = await self.cancel(chosen.id)
        return f"Moved. {result.message} {cancelled}"

    async def _search(
        self, session: AsyncSession, when: When, service_key: str, at: datetime
    ) -> str:
        found = await find_slots(
            session, self.settings, when, service_key, at, customer_id=self.customer_id
        )
        return _describe(found, service_key, self.tz)


def _describe(found: SlotSearch, service_key: str, tz: tzinfo) -> str:
    if not found.slots:
        service = SERVICE_TYPES[service_key]
        label = f"{service.name} ({format_duration(service.duration)})"
        return f"There are no free times for {label} in the next {SEARCH_DAYS} days."
    offer = offer_text(service_key, found.slots, tz)
    if found.in_window:
        return f"Free start times for {offer}."
    return f"There are no free times then. The nearest free start times for {offer}."


def _one_of(
    views: list[AppointmentView], reference: str | None, tz: tzinfo, verb: str
) -> AppointmentView | str:
    """The appointment a reference names (or the only one), else what to ask the customer
    before they can `verb` one."""
    if reference is not None:
        named = [v for v in views if reference.upper() in (v.reference.upper(), v.id.upper())]
        if named:
            return named[0]
        return f"I can't find an upcoming appointment with reference {reference.upper()}."
    if not views:
        return f"You have no upcoming appointments to {verb}."
    if len(views) > 1:
        listing = "\n".join(f"- {v.describe(tz)}" for v in views)
        return f"Which appointment should I {verb}? Please give its reference.\n{listing}"
    return views[0]
