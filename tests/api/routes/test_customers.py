"""`/api/v1/staff/customers/{id}`: one customer's data exported by staff and erased by an admin,
through the app with its live state on Redis, on each database. After the erasure no table of
the live database, no Redis key and no channel of the process holds anything of theirs, and
another customer's are as they were."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from redis import Redis
from sqlalchemy.engine import URL

from api.app import create_app
from api.auth import issue
from api.deps import AppState
from orchestrator.models import Appointment, Vehicle, utcnow
from orchestrator.settings import Settings
from tests.utils.live import REDIS_URL
from tests.utils.row_scan import rows_holding

pytestmark = pytest.mark.slow

CUSTOMERS = "/api/v1/staff/customers"


@dataclass(frozen=True)
class App:
    client: TestClient
    state: AppState
    redis: Redis
    prefix: str

    def bearer(self, user: str, role: str = "customer") -> dict[str, str]:
        token = issue(self.state.secret, user, role, 600, name=user.title())  # type: ignore[arg-type]
        return {"Authorization": f"Bearer {token}"}

    def keys(self) -> list[str]:
        return [str(k) for k in self.redis.scan_iter(match=f"{self.prefix}*")]


@pytest.fixture
def app(kb_settings: Settings, db_url: URL) -> Iterator[App]:
    prefix = f"test-{uuid.uuid4().hex[:12]}:"
    settings = kb_settings.model_copy(
        update={
            "database_url": db_url.render_as_string(hide_password=False),
            "redis_url": REDIS_URL,
            "redis_prefix": prefix,
        }
    )
    redis = Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        with TestClient(create_app(settings)) as client:
            yield App(client, client.app.state.app, redis, prefix)  # type: ignore[attr-defined]
    finally:
        keys = list(redis.scan_iter(match=f"{prefix}*"))
        if keys:
            redis.delete(*keys)
        redis.close()


@dataclass(frozen=True)
class Customer:
    id: str
    sessions: tuple[str, str]
    marker: str  # in everything they and staff wrote about them

    @property
    def needles(self) -> list[str]:
        return [self.id, *self.sessions, self.marker]


def customer(name: str) -> Customer:
    tag = uuid.uuid4().hex[:10]
    return Customer(f"{name}-{tag}", (f"{name}-chat-{tag}", f"{name}-ask-{tag}"), f"zq{tag}")


def seed(app: App, who: Customer) -> None:
    """What a customer leaves through the API in two conversations: questions answered, an
    answer rated down, a staff member's takeover, message and note, a rating; and a vehicle and
    an appointment, stored as the booking rules store them."""
    client, me, staff = app.client, app.bearer(who.id), app.bearer("agent-7", "staff")
    chat, ask = who.sessions
    answers = []
    for session_id, question in ((chat, "How much can the Ridge tow?"), (ask, "What is P0A80?")):
        body = {"message": f"{question} ({who.marker})", "session_id": session_id}
        answered = client.post("/api/v1/chat", json=body, headers=me)
        assert answered.status_code == 200, answered.text
        answers.append(answered.json()["metadata"]["message_id"])
    down = {"rating": "down", "comment": f"Wrong car ({who.marker})"}
    assert client.post(f"/api/v1/messages/{answers[0]}/feedback", json=down, headers=me).is_success
    staffed = f"/api/v1/staff/conversations/{chat}"
    assert client.post(f"{staffed}/takeover", headers=staff).is_success
    said = {"message": f"Let me check ({who.marker})"}
    assert client.post(f"{staffed}/messages", json=said, headers=staff).is_success
    note = {"note": f"Asked twice ({who.marker})"}
    assert client.post(f"{staffed}/notes", json=note, headers=staff).is_success
    assert client.post(f"{staffed}/close", headers=staff).is_success
    rating = {"score": 2, "comment": f"Slow ({who.marker})"}
    assert client.post(f"/api/v1/sessions/{chat}/rating", json=rating, headers=me).is_success

    async def book() -> None:
        async with app.state.runtime.sessions() as session:
            vehicle = Vehicle(owner_id=who.id, model="Ridge", year=2024, vin=who.marker[:17])
            session.add(vehicle)
            await session.flush()
            starts = utcnow() + timedelta(days=2)
            session.add(
                Appointment(
                    customer_id=who.id,
                    vehicle_id=vehicle.id,
                    service_type="oil_change",
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=1),
                )
            )
            await session.commit()

    assert app.client.portal is not None
    app.client.portal.call(book)


def holding(keys: list[str], needles: list[str]) -> list[str]:
    return sorted(k for k in keys if any(n in k for n in needles))


def test_staff_export_an_admin_erases_and_nothing_of_the_customer_is_left(
    app: App, db_url: URL
) -> None:
    ada, bob = customer("ada"), customer("bob")
    seed(app, ada)
    seed(app, bob)
    client, staff, admin = app.client, app.bearer("agent-7", "staff"), app.bearer("root", "admin")
    for person in (app.bearer(ada.id), app.bearer(bob.id)):  # customers, their own data too
        assert client.get(f"{CUSTOMERS}/{ada.id}/export", headers=person).status_code == 403
        refused = client.delete(f"{CUSTOMERS}/{ada.id}", headers=person)
        assert refused.status_code == 403 and refused.json()["detail"]["code"] == "FORBIDDEN"

    exported = client.get(f"{CUSTOMERS}/{ada.id}/export", headers=staff)

    assert exported.status_code == 200, exported.text
    record: dict[str, Any] = exported.json()
    assert ada.marker in exported.text and bob.marker not in exported.text
    assert {c["id"] for c in record["conversations"]} == set(ada.sessions)
    assert record["vehicles"][0]["vin"] == ada.marker[:17] and record["appointments"]
    assert all(c["checkpoints"]["rows"] for c in record["conversations"])
    assert any("thumbs_down" in g["reasons"] for g in record["knowledge_gaps"])
    assert client.delete(f"{CUSTOMERS}/{ada.id}", headers=staff).status_code == 403  # admins'
    kept = app.keys()
    assert holding(kept, ada.needles) and holding(kept, bob.needles)
    bobs_rows, bobs_keys = rows_holding(db_url, bob.needles), holding(kept, bob.needles)

    erased = client.delete(f"{CUSTOMERS}/{ada.id}", headers=admin)

    assert erased.status_code == 200, erased.text
    counts = erased.json()["counts"]
    assert (counts["users"], counts["conversations"], counts["ratings"]) == (1, 2, 1)
    assert counts["messages"] == 8 and counts["checkpoints"] > 0
    assert set(erased.json()) == {"customer_id", "erased_at", "by", "counts"}
    assert rows_holding(db_url, ada.needles) == {"data_requests": {ada.id: 2}}
    assert holding(app.keys(), ada.needles) == []
    assert rows_holding(db_url, bob.needles) == bobs_rows
    assert holding(app.keys(), bob.needles) == bobs_keys
    assert not set(ada.sessions) & set(app.state.channels.channels)
    again = client.get(f"{CUSTOMERS}/{ada.id}/export", headers=staff)
    assert again.status_code == 404 and again.json()["detail"]["code"] == "NOT_FOUND"
    assert client.delete(f"{CUSTOMERS}/{ada.id}", headers=admin).status_code == 404
    staffer = client.delete(f"{CUSTOMERS}/agent-7", headers=admin)
    assert staffer.status_code == 409 and staffer.json()["detail"]["code"] == "CONFLICT"
