"""Stored turns for tests: a customer's question and the answer it got, as a turn saves them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from orchestrator.models import MessageStatus
from orchestrator.persistence import Database
from orchestrator.persistence import conversations as repo
from orchestrator.turn_metadata import TurnMetadata
from orchestrator.turns import Orchestrator


def passage(title: str, score: float, heading: str = "", n: int = 1) -> dict[str, Any]:
    """One entry of an answer's `sources`, as a specialist reports it."""
    source = f"{title.lower().replace(' ', '-')}.md"
    return {"n": n, "source": source, "title": title, "heading": heading, "score": score}


async def stored_turn(
    db: Database,
    session_id: str,
    question: str,
    answer: str,
    *,
    owner: str = "ada",
    agents: Sequence[str] = ("specs",),
    sources: Sequence[dict[str, Any]] = (),
    tools: Sequence[dict[str, Any]] = (),
    status: MessageStatus = MessageStatus.complete,
) -> str:
    """Save a question and its answer in the conversation (opened for `owner` if new); the
    answer's id."""
    await db.open_for_message(
        session_id=session_id,
        owner_id=owner,
        author=(owner, owner.title(), "customer"),
        text=question,
        client_message_id=None,
        turn_id=uuid.uuid4().hex,
    )
    turn_id = uuid.uuid4().hex
    metadata = TurnMetadata(agents=list(agents), sources=list(sources), tools=list(tools))
    async with db.sessions() as session:
        await repo.save_user_message(session, session_id, owner, question, turn_id, None)
        saved = await repo.save_answer(
            session, session_id, turn_id, answer, status=status, metadata=metadata
        )
        await session.commit()
        return saved.id


async def opened(
    orchestrator: Orchestrator, session_id: str, text: str, customer: str
) -> dict[str, str]:
    """What a turn needs, as the API has it: the conversation opened, the question stored (as
    admission does); `stream_turn`'s arguments."""
    async with orchestrator.services.sessions() as session:
        await repo.ensure_user(session, customer, customer)
        await repo.open_conversation(session, session_id, customer)
        await session.commit()
    turn_id = uuid.uuid4().hex
    await orchestrator.services.db.save_user_message(session_id, customer, text, turn_id, None)
    return {"session_id": session_id, "customer_id": customer, "text": text, "turn_id": turn_id}


async def asked(orchestrator: Orchestrator, session_id: str, text: str, customer: str) -> list[Any]:
    """A turn as the API runs one (`opened`, then answered); the turn's events."""
    turn = await opened(orchestrator, session_id, text, customer)
    return [e async for e in orchestrator.stream_turn(**turn)]
