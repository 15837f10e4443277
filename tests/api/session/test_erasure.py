"""A customer erased from the running service: a turn running in one of their sessions is
cancelled and its end stored before their rows go; then what the live state keeps of their
sessions and their rate-limit count go too, and nobody else's."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

from api.live.pubsub import PubSub, session_topic
from api.live.ratelimit import SlidingWindow
from api.protocol import ProgressEvent
from api.session import erasure
from api.session.channels import ChannelRegistry
from orchestrator.events import Progress
from orchestrator.models import utcnow
from orchestrator.persistence.customer_record import Erasure, PersonRecord

ADMIN = ("root", "Root", "admin")


class _Rows:
    """The database as the registry and the erasure use it; it notes what was stored of each
    turn by the time the customer's rows went."""

    def __init__(self, sessions: dict[str, list[str]]) -> None:
        self.sessions = sessions
        self.ends: list[tuple[str, str]] = []  # stored: turn, status
        self.ends_at_erasure: list[tuple[str, str]] | None = None

    async def last_seq(self, session_id: str) -> int:
        return 0

    async def set_last_seq(self, session_id: str, value: int, ended_turn: Any = None) -> None:
        return None

    async def customer_sessions(self, customer_id: str) -> list[str]:
        return self.sessions[customer_id]

    async def erase_customer(self, customer_id: str, by: Any) -> Erasure:
        self.ends_at_erasure = list(self.ends)
        return Erasure(
            customer_id=customer_id,
            erased_at=utcnow(),
            by=PersonRecord(id=by[0], name=by[1], role=by[2]),
            counts={"users": 1},
            session_ids=self.sessions.pop(customer_id),
        )


class _Waiting:
    """A turn that waits for its answer until it is cancelled."""

    def __init__(self, rows: _Rows) -> None:
        settings = SimpleNamespace(turn_timeout_s=60, turn_end_grace_s=1)
        self.services = SimpleNamespace(settings=settings, db=rows)
        self.started = asyncio.Event()

    async def store_end(
        self, session_id: str, turn_id: str, delivered: str, status: str, *_: Any, **__: Any
    ) -> None:
        self.services.db.ends.append((turn_id, str(status)))

    async def stream_turn(self, **_: object) -> AsyncIterator[object]:
        yield Progress("starting", "Working on your question…")
        self.started.set()
        await asyncio.Event().wait()


async def test_a_running_turn_ends_before_the_rows_go_and_the_live_state_forgets_them() -> None:
    rows = _Rows({"ada": ["ada-1", "ada-2"], "bob": ["bob-1"]})
    orchestrator = _Waiting(rows)
    registry = ChannelRegistry(orchestrator=orchestrator, pubsub=PubSub())  # type: ignore[arg-type]
    limiter = SlidingWindow(limit=1, window_s=60)
    for user in ("ada", "bob"):
        assert await limiter.check(user, 0.0) is None
    for session_id in ("ada-2", "bob-1"):
        channel = await registry.channel(session_id)
        await channel.publish(ProgressEvent(step="starting", message="…", session_id=session_id))
    running = await registry.channel("ada-1")
    registry.start_turn(
        running, customer_id="ada", author_id="ada", text="hi", turn_id="t1",
        client_message_id=None, ticket=registry.queue.reserve(),  # type: ignore[arg-type]
    )  # fmt: skip
    await asyncio.wait_for(orchestrator.started.wait(), 5)
    state = SimpleNamespace(orchestrator=orchestrator, channels=registry, limiter=limiter)

    erased = await erasure.erase_customer(state, "ada", ADMIN)  # type: ignore[arg-type]

    assert rows.ends_at_erasure == [("t1", "cancelled")]  # stored, then erased with the rest
    assert erased.counts == {"users": 1}
    assert set(registry.channels) == {"bob-1"}
    assert await registry.pubsub.replay(session_topic("ada-2"), 0) == []
    assert len(await registry.pubsub.replay(session_topic("bob-1"), 0)) == 1
    assert await limiter.check("ada", 1.0) is None  # counts afresh
    assert await limiter.check("bob", 1.0) is not None
