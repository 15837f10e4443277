"""Messages that start turns, stored together: one short transaction for every message waiting.

Storing a message that starts a turn took one transaction of eight statements, each a round
trip through the event loop; under a crowd the loop is slow to come back, and SQLite holds its
one write lock for the whole transaction, so admissions went one at a time: a 500-message
burst on one process was admitted at about 45 messages a second, the last after 11 s.

Here each message reads what it needs on its own (its conversation, whether its client id was
sent before, its owner's profile: no write lock, many at once) and, in the common case (a new
or bot-handled conversation of its owner, an id not seen before), hands its rows to a writer
(`Admission`, made by `admission`, pure). The writer stores every admission waiting in one
transaction of four statements however many there are (`store`). Anything else, and a group a
concurrent write got in the way of (`GroupConflict`), takes the one-message path
(`conversations.open_for_message`), so what a message gets is what that path gives.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, cast

from sqlalchemy import Table, bindparam, case, func, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from orchestrator.models import (
    Conversation,
    ConversationStatus,
    Message,
    MessageRole,
    MessageStatus,
    Role,
    new_id,
)
from orchestrator.persistence.conversation_rows import under_way
from orchestrator.persistence.conversations import message_by_client_id
from orchestrator.persistence.refusals import Forbidden
from orchestrator.persistence.users import add_users, customer_profile

__all__ = ["Admission", "Found", "GroupConflict", "Writer", "admission", "read"]

# Admissions in one transaction at most: a group's transaction stays short, so the first
# messages of a large burst are not kept waiting for the last ones' rows.
MAX_GROUP: Final = 256
TITLE_CHARS: Final = 200


class GroupConflict(Exception):
    """A concurrent write got in the way of the group (a conversation created, a client id
    stored meanwhile): nothing of it was stored; each message takes the one-message path."""


@dataclass(frozen=True)
class Found:
    """What a message read before storing itself."""

    exists: bool  # its conversation
    common: bool  # nothing but the common case: the group path may store it
    last_seq: int = 0
    profile: dict[str, Any] | None = None


@dataclass(frozen=True)
class Admission:
    """One message's rows, stored by the writer with the others waiting."""

    users: tuple[dict[str, Any], ...]
    conversation: dict[str, Any]  # inserted when new, else the UPDATE's values
    new_conversation: bool
    message: dict[str, Any]

    def stored(self) -> Message:
        """The message as stored (not attached to any session)."""
        return Message(**self.message)


def admission(
    *,
    found: Found,
    session_id: str,
    owner_id: str,
    author: tuple[str, str, str],
    text: str,
    client_message_id: str | None,
    turn_id: str,
    now: datetime,
) -> Admission:
    """The rows that store `text` as the question of turn `turn_id`, as
    `conversations.open_for_message` would: its users if new, the conversation opened (or
    created) with the turn under way, the message."""
    author_id, author_name, author_role = author
    users = [{"id": author_id, "name": author_name, "role": author_role}]
    if owner_id != author_id:
        users.append({"id": owner_id, "name": owner_id, "role": Role.customer})
    running: dict[str, Any] = {**under_way(turn_id), "updated_at": now}
    if found.exists:
        conversation = {"b_id": session_id, "b_title": text[:TITLE_CHARS], **running}
    else:
        conversation = {
            "id": session_id,
            "owner_id": owner_id,
            "status": ConversationStatus.bot,
            "title": text[:TITLE_CHARS],
            "last_seq": 0,
            "created_at": now,
            **running,
        }
    message = {
        "id": new_id(),
        "conversation_id": session_id,
        "turn_id": turn_id,
        "role": MessageRole.user,
        "content": text,
        "status": MessageStatus.complete,
        "client_message_id": client_message_id,
        "author_id": author_id,
        "created_at": now,
    }
    return Admission(tuple(users), conversation, not found.exists, message)


async def read(
    session: AsyncSession, session_id: str, owner_id: str, client_message_id: str | None
) -> Found:
    """What storing a message needs to know, read without writing (so without SQLite's write
    lock): Forbidden if the conversation is someone else's."""
    conversation = await session.get(Conversation, session_id)
    if conversation is not None and conversation.owner_id != owner_id:
        raise Forbidden(session_id)
    if conversation is not None and conversation.assigned_staff_id is not None:
        return Found(exists=True, common=False)  # a person has it: no turn
    if conversation is not None and conversation.queued:
        return Found(exists=True, common=False)  # messages wait in line: it joins them
    if (
        conversation is not None
        and client_message_id is not None
        and await message_by_client_id(session, session_id, client_message_id) is not None
    ):
        return Found(exists=True, common=False)  # sent before: replay, join or retry
    profile = await customer_profile(session, owner_id)
    last_seq = (conversation.last_seq or 0) if conversation is not None else 0
    return Found(conversation is not None, True, last_seq, profile)


async def store(session: AsyncSession, group: list[Admission]) -> None:
    """Store a group of admissions in the session's transaction (committed by the caller):
    GroupConflict, with nothing stored, if another write came first."""
    users = list({row["id"]: row for a in group for row in a.users}.values())
    created = [a.conversation for a in group if a.new_conversation]
    opened = [a.conversation for a in group if not a.new_conversation]
    table = cast(Table, Conversation.__table__)
    try:
        await add_users(session, users)
        if created:
            await session.execute(insert(table), created)
        if opened:
            # Only a conversation that no person took meanwhile: else the group is refused.
            reopened = await session.execute(
                update(table)
                .where(table.c.id == bindparam("b_id"), table.c.assigned_staff_id.is_(None))
                .values(
                    status=case(
                        (table.c.status == ConversationStatus.closed, ConversationStatus.bot),
                        else_=table.c.status,
                    ),
                    title=func.coalesce(table.c.title, bindparam("b_title")),
                ),
                opened,
            )
            if _rowcount(reopened) not in (len(opened), -1):
                raise GroupConflict("a conversation was taken by a person meanwhile")
        await session.execute(insert(cast(Table, Message.__table__)), [a.message for a in group])
    except IntegrityError as exc:
        raise GroupConflict(str(exc.orig)) from None


def _rowcount(result: Any) -> int:
    count = getattr(result, "rowcount", -1)
    return -1 if count is None else int(count)


@dataclass
class Writer:
    """Stores admissions as they come, every admission waiting in one transaction, one
    transaction at a time (SQLite has one writer anyway; on PostgreSQL it spares the pool)."""

    sessions: async_sessionmaker[AsyncSession]
    _waiting: list[tuple[Admission, asyncio.Future[None]]] = field(default_factory=list)
    _writing: asyncio.Task[None] | None = None

    async def write(self, admission: Admission) -> None:
        """Store one admission with the others waiting; GroupConflict (nothing stored) when
        its group met a concurrent write. A caller cancelled before its group began has
        nothing stored; one cancelled after may (as a cancelled commit may)."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (admission, waiter)
        self._waiting.append(entry)
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._drain(), name="admission-writer")
        try:
            await asyncio.shield(waiter)
        except asyncio.CancelledError:
            for i, waiting in enumerate(self._waiting):
                if waiting is entry:
                    del self._waiting[i]
                    break
            else:  # its group is under way: what it ends with is no one's to read
                waiter.add_done_callback(_ignored)
            raise

    async def _drain(self) -> None:
        while self._waiting:
            batch = self._waiting[:MAX_GROUP]
            del self._waiting[:MAX_GROUP]
            try:
                async with self.sessions() as session:
                    await store(session, [a for a, _ in batch])
                    await session.commit()
            except BaseException as exc:
                for _, waiter in batch:
                    if not waiter.done():
                        waiter.set_exception(exc if isinstance(exc, Exception) else _cut(exc))
                if not isinstance(exc, Exception):  # the writer itself is stopped: all of them
                    for _, waiter in self._waiting:
                        waiter.set_exception(_cut(exc))
                    self._waiting.clear()
                    raise
            else:
                for _, waiter in batch:
                    if not waiter.done():
                        waiter.set_result(None)


def _ignored(waiter: asyncio.Future[None]) -> None:
    if not waiter.cancelled():
        waiter.exception()


def _cut(exc: BaseException) -> Exception:
    """What the waiters of a group get when the writer itself was cancelled (shutdown)."""
    return RuntimeError(f"the admission writer stopped: {type(exc).__name__}")
