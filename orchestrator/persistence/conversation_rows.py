"""What the modules that write a conversation's rows share: its turn under way, its one-UPDATE
touch, and the record of a turn started from stored messages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, update
from sqlalchemy.ext.asyncio import AsyncSession

from orchestrator.models import TITLE_LENGTH, Conversation, Message, MessageRole, utcnow

__all__ = ["Waiting", "fence_of", "rowcount", "touch", "under_way"]


@dataclass(frozen=True)
class Waiting:
    """A turn started from messages already stored: the customer's messages nobody answered
    (written while a person had the conversation; the last one's turn holds the question of
    them all), or one message that waited in line."""

    owner_id: str
    author_id: str
    text: str  # the messages, oldest first, one a line
    turn_id: str
    client_message_id: str | None
    profile: dict[str, Any] | None


def fence_of(turn_id: str, attempt: int) -> str:
    """The fencing token of one run of a turn."""
    return f"{turn_id}:{attempt}"


def under_way(turn_id: str) -> dict[str, Any]:
    """The conversation's columns that record turn `turn_id` as under way, in its first run
    (see `unfinished_turns`)."""
    return {"running_turn_id": turn_id, "partial_answer": None, "turn_fence": fence_of(turn_id, 1)}


async def touch(
    session: AsyncSession, session_id: str, *where: ColumnElement[bool], **values: Any
) -> bool:
    """Mark the conversation updated now (with `values`, if `where` holds): one UPDATE, no
    read of the row first; whether a row was updated. The objects of this session are left as
    they are: none is read after it by its callers."""
    result = await session.execute(
        update(Conversation)
        .where(Conversation.id == session_id, *where)
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    return bool(rowcount(result))


def customer_message(
    session_id: str,
    author_id: str,
    text: str,
    turn_id: str,
    client_message_id: str | None,
    *,
    queued: bool = False,
) -> Message:
    """A message written in the conversation by its customer (or staff writing as one), to
    be answered by `turn_id`; `queued` while it waits in the line."""
    return Message(
        conversation_id=session_id,
        turn_id=turn_id,
        role=MessageRole.user,
        content=text,
        client_message_id=client_message_id,
        author_id=author_id,
        queued=queued,
    )


def titled(text: str) -> ColumnElement[Any]:
    """The conversation's title once `text` is written in it: its own, or the text's start."""
    return func.coalesce(Conversation.title, text[:TITLE_LENGTH])


def rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
