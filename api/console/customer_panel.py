"""The console's panel of one customer, made from what the database holds. Pure: no I/O.

The vehicles a customer named are read from what they wrote with the knowledge base's
catalogue (a model or a variant, by name), most named first; bookings carry the reference
customers see.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel

from rag.catalogue import Catalogue


class Customer(BaseModel):
    id: str
    name: str


class NamedVehicle(BaseModel):
    vehicle: str
    mentions: int


class PanelAppointment(BaseModel):
    reference: str
    service_type: str
    starts_at: str
    status: str


class PanelConversation(BaseModel):
    session_id: str
    title: str | None
    status: str
    updated_at: str


class CustomerPanel(BaseModel):
    """Who the customer is, the vehicles they named and registered, their bookings and their
    conversations, newest first."""

    customer: Customer
    named_vehicles: list[NamedVehicle]
    registered_vehicles: list[dict[str, Any]]
    appointments: list[PanelAppointment]
    conversations: list[PanelConversation]


def named_vehicles(said: Sequence[str], catalogue: Catalogue) -> list[NamedVehicle]:
    """The vehicles named in `said`, each counted once a message, most named first."""
    counts: Counter[str] = Counter()
    for text in said:
        counts.update({variant or model for model, variant in catalogue.vehicles_in(text)})
    return [NamedVehicle(vehicle=name, mentions=n) for name, n in counts.most_common()]


def panel_of(
    found: dict[str, Any], catalogue: Catalogue, reference: Callable[[str], str]
) -> CustomerPanel:
    """The panel from `Database.customer_panel`'s rows; `reference` gives a booking's."""
    return CustomerPanel(
        customer=found["customer"],
        named_vehicles=named_vehicles(found["said"], catalogue),
        registered_vehicles=found["registered"],
        appointments=[
            PanelAppointment(
                reference=reference(a["id"]),
                service_type=a["service_type"],
                starts_at=a["starts_at"],
                status=a["status"],
            )
            for a in found["appointments"]
        ],
        conversations=[PanelConversation(**c) for c in found["conversations"]],
    )
