"""A conversation's line: messages sent while a turn was under way, each answered by a turn of
its own once the turns before it end, in the order they came.

A message in line is a user message with `queued` set and the id of the turn that will answer
it; its conversation counts the line (`Conversation.queued`), so that a message learns there is
one from the row it reads anyway, and the bound holds in one conditional UPDATE however many
instances store at once. The turn that answers one starts as any turn does (the session's lease
first, held by the caller); its message is then dated when it became the question, so the
transcript reads question, answer, question, answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Final

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from orchestrator.models import Conversation, Message, MessageRole, utcnow
from orchestrator.persistence.conversation_rows import (
    Waiting,
    customer_message,
    rowcount,
    titled,
    touch,
    under_way,
)
from orchestrator.persistence.users import customer_profile

__all__ = ["InLine", "NotStarted", "clear", "enqueue", "first", "lines", "place", "start"]

SWEEP_BATCH: Final = 200  # conversations a sweep for lines left behind looks at, at most


class NotStarted(Enum):
    """Why `start` started nothing: whether the turn is under way by another starter (who holds
    the session's lease for it) or not at all (the caller lets the lease go)."""

    ELSEWHERE = "elsewhere"
    NOTHING = "nothing"


@dataclass(frozen=True)
class InLine:
    """A message waiting in line: the turn that will answer it, and its place (1: next)."""

    turn_id: str
    position: int


async def place(session: AsyncSession, message: Message) -> int:
    """Where a message in line stands in its conversation's line (1: next)."""
    ahead = await session.scalar(
        select(func.count())
        .select_from(Message)
        .where(
            Message.conversation_id == message.conversation_id,
            Message.queued.is_(True),
            or_(
                Message.created_at < message.created_at,
                and_(Message.created_at == message.created_at, Message.id < message.id),
            ),
        )
    )
    return int(ahead or 0) + 1


async def enqueue(
    session: AsyncSession,
    session_id: str,
    *,
    author_id: str,
    text: str,
    turn_id: str,
    client_message_id: str | None,
    bound: int,
    retried: Message | None = None,
) -> InLine | None:
    """Store the message at the end of the conversation's line (committed by the caller); None,
    storing nothing, when `bound` messages wait already. `retried`: the message as stored by an
    earlier send of the same client message id that got no whole answer: it takes the place."""
    if not await touch(
        session,
        session_id,
        Conversation.queued < bound,
        queued=Conversation.queued + 1,
        title=titled(text),
    ):
        return None
    if retried is not None:
        retried.turn_id, retried.queued, retried.created_at = turn_id, True, utcnow()
        message = retried
    else:
        message = customer_message(
            session_id, author_id, text, turn_id, client_message_id, queued=True
        )
        session.add(message)
    await session.flush()
    return InLine(turn_id, await place(session, message))


async def first(session: AsyncSession, session_id: str) -> str | None:
    """The turn id of the message first in the conversation's line, if one waits."""
    return await session.scalar(
        select(Message.turn_id)
        .where(Message.conversation_id == session_id, Message.queued.is_(True))
        .order_by(Message.created_at, Message.id)
        .limit(1)
    )


async def start(session: AsyncSession, session_id: str, turn_id: str) -> Waiting | NotStarted:
    """Take the message of turn `turn_id` out of the line as the question of that turn, now
    under way (the caller holds the session's lease for it). Not when it is no longer in line:
    another starter took it (`ELSEWHERE` while that turn is under way: the lease is theirs too),
    or a person has the conversation, who answers the line themselves (it is let go, `clear`),
    or the turn before it is still under way in SQL."""
    conversation = await session.get(Conversation, session_id)
    if conversation is None:
        return NotStarted.NOTHING
    if conversation.assigned_staff_id is not None:
        await clear(session, session_id)
        await session.commit()
        return NotStarted.NOTHING
    if conversation.running_turn_id not in (None, turn_id):
        # The turn before has not ended in SQL (its end is being stored, or its instance died
        # and a survivor runs it again): its end moves the line.
        return NotStarted.NOTHING
    taken = await session.execute(
        update(Message)
        .where(
            Message.conversation_id == session_id,
            Message.turn_id == turn_id,
            Message.role == MessageRole.user,
            Message.queued.is_(True),
        )
        .values(queued=False, created_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if not rowcount(taken):
        await session.rollback()
        running = conversation.running_turn_id == turn_id
        return NotStarted.ELSEWHERE if running else NotStarted.NOTHING
    message = await session.scalar(
        select(Message).where(
            Message.conversation_id == session_id,
            Message.turn_id == turn_id,
            Message.role == MessageRole.user,
        )
    )
    assert message is not None
    started = Waiting(
        owner_id=conversation.owner_id,
        author_id=message.author_id or conversation.owner_id,
        text=message.content,
        turn_id=turn_id,
        client_message_id=message.client_message_id,
        profile=await customer_profile(session, conversation.owner_id),
    )
    shorter = case((Conversation.queued > 0, Conversation.queued - 1), else_=0)
    await touch(session, session_id, queued=shorter, **under_way(turn_id))
    await session.commit()
    return started


async def clear(session: AsyncSession, session_id: str) -> None:
    """Let the whole line go (committed by the caller): its messages stay as the customer's
    unanswered ones, which a hand-back answers together."""
    await session.execute(
        update(Message)
        .where(Message.conversation_id == session_id, Message.queued.is_(True))
        .values(queued=False)
        .execution_options(synchronize_session=False)
    )
    await touch(session, session_id, queued=0)


async def lines(session: AsyncSession, limit: int = SWEEP_BATCH) -> list[str]:
    """Conversations with a line, for the sweep that starts lines nobody is answering."""
    return list(
        await session.scalars(select(Conversation.id).where(Conversation.queued > 0).limit(limit))
    )
