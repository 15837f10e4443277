"""A booking with the real model: asked for, a time chosen from the ones offered, made, and then
listed when the customer asks what appointments they have."""

from __future__ import annotations

import re
import uuid

from tests.llm_real.conversation import Turn, TurnLog
from tests.utils.chat_client import ChatClient
from tests.utils.server import ServerProcess

# "Tuesday 1 December: 08:00, 08:30; …", as the appointment desk writes free times.
OFFERED = re.compile(r"\b([A-Z][a-z]+day \d{1,2} [A-Z][a-z]+): (\d{2}:\d{2})")
REFERENCE = re.compile(r"\bReference ([A-F0-9]{6})\b")


def completed(turn: Turn) -> None:
    assert turn.outcome == "complete", turn.describe()


def tool(turn: Turn, name: str) -> dict[str, object]:
    used = [t for t in turn.tools() if t["name"] == name]
    assert used, f"no {name} among the tools used: {turn.describe()}"
    return used[-1]


async def test_a_booking_made_from_an_offered_time_is_then_listed(
    product: ServerProcess, turn_log: TurnLog
) -> None:
    session = uuid.uuid4().hex
    async with await ChatClient.connect(product.ws_url, product.token("booker")) as client:
        asked = await turn_log.ask(
            client, "booking", "Book a service for my Aster next Tuesday morning", session
        )
        completed(asked)
        offered = OFFERED.search(asked.end["response"])
        assert offered, f"no free time offered: {asked.describe()}"
        day, time = offered.groups()

        chosen = await turn_log.ask(
            client, "booking", f"Please book it for {day} at {time}.", session
        )
        completed(chosen)
        booked = tool(chosen, "book_appointment")
        assert booked["ok"], chosen.describe()
        reference = REFERENCE.search(str(booked["summary"]))
        assert reference, f"nothing booked: {booked['summary']!r}"

        listed = await turn_log.ask(client, "booking", "What appointments do I have?", session)
        completed(listed)
        tool(listed, "list_my_appointments")
        assert reference.group(1) in listed.end["response"], listed.describe()
