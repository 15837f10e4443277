"""Conversations and their messages: ownership, idempotency, answers, replay numbering, feedback."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from orchestrator.models import (
    Conversation,
    ConversationStatus,
    Feedback,
    Message,
    MessageRole,
    MessageStatus,
)
from orchestrator.persistence.conversation_rows import (
    Waiting,
    customer_message,
    fence_of,
    rowcount,
    titled,
    touch,
    under_way,
)
from orchestrator.persistence.line import InLine, clear, enqueue, place
from orchestrator.persistence.refusals import Fenced, Forbidden, NotFound, Refused
from orchestrator.persistence.users import customer_profile, ensure_user
from orchestrator.turn_metadata import TurnMetadata


@dataclass(frozen=True)
class Prior:
    """A message id the client sent before, and the answer it got (if any)."""

    user_message: Message
    answer: Message | None

    @property
    def answered(self) -> bool:
        """Its answer is stored whole (complete or cancelled): sent again, never asked again."""
        return self.answer is not None and self.answer.status in (
            MessageStatus.complete,
            MessageStatus.cancelled,
        )


@dataclass(frozen=True)
class Opened:
    """A conversation opened for a new chat message (see `open_for_message`)."""

    created: bool
    forwarded: Message | None  # saved for the person who has the conversation: no turn
    prior: Prior | None  # what the same client message id got before
    started: Message | None = None  # saved as the question of the turn it starts
    last_seq: int = 0  # the session's numbering when it was opened
    profile: dict[str, Any] | None = None  # the owner's, as the turn it starts reads it
    queued: InLine | None = None  # stored in the conversation's line, answered in its turn
    line_full: bool = False  # the line was at its bound: nothing stored


async def open_conversation(
    session: AsyncSession, session_id: str, owner_id: str
) -> tuple[Conversation, bool]:
    """The conversation with this id, created for `owner_id` if new; Forbidden if not theirs."""
    conversation = await session.get(Conversation, session_id)
    if conversation is not None:
        if conversation.owner_id != owner_id:
            raise Forbidden(session_id)
        return conversation, False
    conversation = Conversation(id=session_id, owner_id=owner_id)
    session.add(conversation)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        existing = await session.get(Conversation, session_id)
        if existing is None or existing.owner_id != owner_id:
            raise Forbidden(session_id) from None
        return existing, False
    return conversation, True


async def readable_conversation(
    session: AsyncSession, session_id: str, user_id: str, is_staff: bool
) -> Conversation | None:
    """The conversation if this user may read it (its owner, or staff); Forbidden otherwise."""
    conversation = await session.get(Conversation, session_id)
    if conversation is not None and conversation.owner_id != user_id and not is_staff:
        raise Forbidden(session_id)
    return conversation


async def message_by_client_id(
    session: AsyncSession, session_id: str, client_message_id: str
) -> Message | None:
    """The user message of the session sent with this client message id, if one was."""
    return await session.scalar(
        select(Message).where(
            Message.conversation_id == session_id,
            Message.role == MessageRole.user,
            Message.client_message_id == client_message_id,
        )
    )


async def prior_message(
    session: AsyncSession, session_id: str, client_message_id: str
) -> Prior | None:
    """What happened the last time this client message id was sent in this session."""
    user_message = await message_by_client_id(session, session_id, client_message_id)
    if user_message is None:
        return None
    answer = await session.scalar(
        select(Message).where(
            Message.conversation_id == session_id,
            Message.role == MessageRole.assistant,
            Message.turn_id == user_message.turn_id,
        )
    )
    return Prior(user_message, answer)


async def answer_for_turn(session: AsyncSession, session_id: str, turn_id: str) -> Message | None:
    """The answer saved for a turn, if one was."""
    return await session.scalar(
        select(Message).where(
            Message.conversation_id == session_id,
            Message.role == MessageRole.assistant,
            Message.turn_id == turn_id,
        )
    )


async def save_user_message(
    session: AsyncSession,
    session_id: str,
    author_id: str,
    text: str,
    turn_id: str,
    client_message_id: str | None,
    *,
    starts_turn: bool = False,
    first_send: bool = False,
) -> Message:
    """Save the message; a retried client message id (after a failure) is moved to this turn,
    and a turn run again (its instance died) keeps the message its first run saved.

    `starts_turn`: the message starts turn `turn_id` now; the conversation records it as the
    turn under way (see `unfinished_turns`) in the same UPDATE. `first_send`: the caller
    knows `turn_id` is new and no message of the session has this client message id (it
    just looked, `prior_message`): the message is inserted without looking again."""
    running = under_way(turn_id) if starts_turn else {}
    if first_send:
        return await _insert_user_message(
            session, session_id, author_id, text, turn_id, client_message_id, running
        )
    again = await session.scalar(
        select(Message).where(
            Message.conversation_id == session_id,
            Message.role == MessageRole.user,
            Message.turn_id == turn_id,
        )
    )
    if again is not None:
        if running:
            await touch(session, session_id, **running)
        return again
    if client_message_id is not None:
        retried = await message_by_client_id(session, session_id, client_message_id)
        if retried is not None:
            retried.turn_id = turn_id
            await session.flush()
            if running:
                await touch(session, session_id, **running)
            return retried
    return await _insert_user_message(
        session, session_id, author_id, text, turn_id, client_message_id, running
    )


async def _insert_user_message(
    session: AsyncSession,
    session_id: str,
    author_id: str,
    text: str,
    turn_id: str,
    client_message_id: str | None,
    running: dict[str, Any],
) -> Message:
    message = customer_message(session_id, author_id, text, turn_id, client_message_id)
    session.add(message)
    await touch(session, session_id, title=titled(text), **running)
    return message


async def open_for_message(
    session: AsyncSession,
    *,
    session_id: str,
    owner_id: str,
    author: tuple[str, str, str],
    text: str,
    client_message_id: str | None,
    turn_id: str,
    start_turn: bool = False,
    line: int | None = None,
) -> Opened:
    """Everything a chat message needs from SQL, in one transaction.

    Creates the users and the conversation as needed (Forbidden if it is someone else's),
    reopens a closed one, saves the message at once when a person has the conversation
    (`forwarded`), and otherwise finds what the same client message id got before. With
    `start_turn` (the caller holds the session's lease for `turn_id`), a message whose id got
    no whole answer before is saved as the question of turn `turn_id`, the conversation's turn
    under way (`started`), and the owner's profile is read for it (`profile`): a turn of a
    crowd starts without waiting for the database again behind the other messages.

    With `line` (the line's bound), a message that starts no turn (one is under way, or others
    wait already: it does not pass them) is stored at the end of the conversation's line
    (`queued`, or `line_full`); a message id already in line is found there again.
    """
    author_id, author_name, author_role = author
    await ensure_user(session, author_id, author_name, author_role)
    if owner_id != author_id:
        await ensure_user(session, owner_id, owner_id)
    conversation, created = await open_conversation(session, session_id, owner_id)
    if conversation.status == ConversationStatus.closed:
        conversation.status = ConversationStatus.bot  # the customer came back
    numbered = conversation.last_seq or 0
    if conversation.assigned_staff_id is not None:
        stored = await save_user_message(
            session, session_id, author_id, text, turn_id, client_message_id
        )
        await session.commit()
        return Opened(created, stored, None, last_seq=numbered)
    prior = (
        await prior_message(session, session_id, client_message_id) if client_message_id else None
    )
    if prior is not None and prior.user_message.queued:
        await session.commit()
        found = InLine(
            prior.user_message.turn_id or turn_id, await place(session, prior.user_message)
        )
        return Opened(created, None, prior, last_seq=numbered, queued=found)
    unanswered_before = prior is None or not prior.answered
    if (
        not start_turn
        and prior is not None
        and unanswered_before
        and prior.user_message.turn_id == conversation.running_turn_id
    ):  # sent again while its own turn is under way: the caller follows that turn
        await session.commit()
        return Opened(created, None, prior, last_seq=numbered)
    start_turn = start_turn and not conversation.queued  # the line goes first
    if line is not None and not start_turn and unanswered_before:
        queued = await enqueue(
            session,
            session_id,
            author_id=author_id,
            text=text,
            turn_id=turn_id,
            client_message_id=client_message_id,
            bound=line,
            retried=prior.user_message if prior is not None else None,
        )
        await session.commit()
        return Opened(
            created, None, prior, last_seq=numbered, queued=queued, line_full=queued is None
        )
    started = None
    if start_turn and unanswered_before:
        started = await save_user_message(
            session,
            session_id,
            author_id,
            text,
            turn_id,
            client_message_id,
            starts_turn=True,
            first_send=prior is None,  # looked for just now: nothing to look for again
        )
    profile = await customer_profile(session, owner_id) if started is not None else None
    await session.commit()
    return Opened(created, None, prior, started, numbered, profile)


# How far back the customer's unanswered messages are looked for.
MAX_WAITING = 20


async def unanswered(session: AsyncSession, session_id: str) -> list[Message]:
    """The customer's messages since the last answer, by the assistant or a person, oldest
    first; system notices (a hand-back) are passed over."""
    recent = (
        await session.scalars(
            select(Message)
            .where(Message.conversation_id == session_id)
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(MAX_WAITING)
        )
    ).all()
    waiting: list[Message] = []
    for message in recent:
        if message.role in (MessageRole.assistant, MessageRole.staff):
            break
        if message.role == MessageRole.user and message.turn_id is not None:
            waiting.append(message)
    return waiting[::-1]


async def start_waiting_turn(session: AsyncSession, session_id: str) -> Waiting | None:
    """The unanswered messages of a conversation the assistant has, started as the turn of
    the last one (the caller holds the session's lease for that turn id); None if there are
    none, or a person has the conversation."""
    conversation = await session.get(Conversation, session_id)
    if conversation is None or conversation.assigned_staff_id is not None:
        return None
    waiting = await unanswered(session, session_id)
    if not waiting:
        return None
    last = waiting[-1]
    assert last.turn_id is not None
    started = Waiting(
        owner_id=conversation.owner_id,
        author_id=last.author_id or conversation.owner_id,
        text="\n".join(m.content for m in waiting),
        turn_id=last.turn_id,
        client_message_id=last.client_message_id,
        profile=await customer_profile(session, conversation.owner_id),
    )
    await clear(session, session_id)  # a line left by a person's takeover is in this turn
    await touch(session, session_id, **under_way(last.turn_id))
    await session.commit()
    return started


async def save_answer(
    session: AsyncSession,
    session_id: str,
    turn_id: str,
    text: str,
    *,
    status: MessageStatus,
    metadata: TurnMetadata,
    error_code: str | None = None,
    attempt: int | None = None,
) -> Message:
    """Add the turn's answer (committed by the caller). With `attempt`, only if that run of
    the turn still holds the conversation's fence: else `Fenced`, and nothing is added."""
    message = Message(
        conversation_id=session_id,
        turn_id=turn_id,
        role=MessageRole.assistant,
        content=text,
        status=status,
        error_code=error_code,
        agents=metadata.agents,
        confidence=metadata.confidence,
        sources=metadata.sources,
        tools=metadata.tools or None,
        latency_ms=metadata.latency_ms,
        mode=metadata.mode,
    )
    session.add(message)
    # The console filters on the last answered route: stored with the answer, in its UPDATE.
    answered = status is MessageStatus.complete and metadata.agent
    route = (
        {"last_route": metadata.agent, "last_confidence": metadata.confidence} if answered else {}
    )
    fenced = () if attempt is None else (_holds(turn_id, attempt),)
    if not await touch(session, session_id, *fenced, **route) and fenced:
        raise Fenced(f"turn {turn_id}: run {attempt} was taken over by another instance")
    return message


def _holds(turn_id: str, attempt: int) -> ColumnElement[bool]:
    """The conversation's fence is this run's (or unset: rows older than fencing)."""
    return or_(
        Conversation.turn_fence.is_(None), Conversation.turn_fence == fence_of(turn_id, attempt)
    )


async def holds_fence(session: AsyncSession, session_id: str, turn_id: str, attempt: int) -> bool:
    """Whether run `attempt` of `turn_id` still holds its conversation's fence (no other run
    took the turn over since; see `take_over_turn`)."""
    found = await session.scalar(
        select(Conversation.id).where(Conversation.id == session_id, _holds(turn_id, attempt))
    )
    return found is not None


async def take_over_turn(
    session: AsyncSession, session_id: str, turn_id: str, attempt: int
) -> bool:
    """Give run `attempt` of the turn under way the conversation's fence, from then on the only
    run that may store its answer; False when `turn_id` is no longer the turn under way."""
    result = await session.execute(
        update(Conversation)
        .where(Conversation.id == session_id, Conversation.running_turn_id == turn_id)
        .values(turn_fence=fence_of(turn_id, attempt))
        .execution_options(synchronize_session=False)
    )
    return bool(rowcount(result))


async def last_seq(session: AsyncSession, session_id: str) -> int:
    """The seq of the session's last numbered event (0 for a new session)."""
    value = await session.scalar(select(Conversation.last_seq).where(Conversation.id == session_id))
    return value or 0


async def set_last_seq(
    session: AsyncSession, session_id: str, value: int, ended_turn: str | None = None
) -> None:
    """Raise the session's last seq to `value` (never lower it: numbering only goes up); with
    `ended_turn`, that turn's last event is out, so it is no longer the turn under way."""
    values: dict[str, Any] = {
        "last_seq": case((Conversation.last_seq < value, value), else_=Conversation.last_seq)
    }
    if ended_turn is not None:
        ended = Conversation.running_turn_id == ended_turn
        values["running_turn_id"] = case((ended, None), else_=Conversation.running_turn_id)
        values["partial_answer"] = case((ended, None), else_=Conversation.partial_answer)
    await session.execute(
        update(Conversation)
        .where(Conversation.id == session_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def save_partial(
    session: AsyncSession, session_id: str, turn_id: str, text: str, attempt: int = 1
) -> None:
    """Keep the answer a running turn has streamed so far (a no-op once the turn is over, or
    once another run of it holds the fence)."""
    await session.execute(
        update(Conversation)
        .where(
            Conversation.id == session_id,
            Conversation.running_turn_id == turn_id,
            _holds(turn_id, attempt),
        )
        .values(partial_answer=text)
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class UnfinishedTurn:
    """A turn recorded as under way: after a crash, one that nobody will finish."""

    session_id: str
    turn_id: str
    question: str  # the user's message that started it
    partial: str  # the answer it had streamed when last saved
    answered: bool  # its answer was saved, only its end was not recorded


async def unfinished_turns(session: AsyncSession) -> list[UnfinishedTurn]:
    """Every turn recorded as under way, oldest conversation update first."""
    rows = await session.execute(
        select(
            Conversation.id,
            Conversation.running_turn_id,
            Conversation.partial_answer,
            Message.content,
        )
        .join(
            Message,
            (Message.conversation_id == Conversation.id)
            & (Message.turn_id == Conversation.running_turn_id)
            & (Message.role == MessageRole.user),
            isouter=True,
        )
        .where(Conversation.running_turn_id.is_not(None))
        .order_by(Conversation.updated_at)
    )
    found = []
    for session_id, turn_id, partial, question in rows:
        if turn_id is None:  # excluded by the query; for the type checker
            continue
        answered = await answer_for_turn(session, session_id, turn_id) is not None
        found.append(UnfinishedTurn(session_id, turn_id, question or "", partial or "", answered))
    return found


async def close_unfinished(
    session: AsyncSession, turn: UnfinishedTurn, *, error_code: str, seq_gap: int
) -> Message:
    """End a turn its process left under way: its answer so far saved as failed with
    `error_code` (unless an answer was saved), no longer under way, and the session's numbering
    moved `seq_gap` ahead, past any seq the dead process may have sent. The turn's answer."""
    answer = await answer_for_turn(session, turn.session_id, turn.turn_id)
    if answer is None:
        answer = await save_answer(
            session,
            turn.session_id,
            turn.turn_id,
            turn.partial,
            status=MessageStatus.failed,
            metadata=TurnMetadata(),
            error_code=error_code,
        )
    await session.execute(
        update(Conversation)
        .where(Conversation.id == turn.session_id, Conversation.running_turn_id == turn.turn_id)
        .values(running_turn_id=None, partial_answer=None, last_seq=Conversation.last_seq + seq_gap)
        .execution_options(synchronize_session=False)
    )
    return answer


async def owner_conversations(
    session: AsyncSession, owner_id: str, limit: int
) -> list[Conversation]:
    """The owner's conversations, most recently updated first."""
    rows = await session.scalars(
        select(Conversation)
        .where(Conversation.owner_id == owner_id)
        .order_by(Conversation.updated_at.desc())
        .limit(limit)
    )
    return list(rows)


async def messages(session: AsyncSession, session_id: str) -> list[Message]:
    """Every message of the conversation, oldest first."""
    rows = await session.scalars(
        select(Message)
        .where(Message.conversation_id == session_id)
        .order_by(Message.created_at, Message.id)
    )
    return list(rows)


async def save_feedback(
    session: AsyncSession, message_id: str, user_id: str, rating: int, comment: str | None
) -> str:
    """Rate an answer in the user's own conversation (again: replace); its conversation id.

    NotFound if there is no such message in a conversation of theirs; Refused if it is not an
    answer.
    """
    message = await session.get(Message, message_id)
    conversation = await session.get(Conversation, message.conversation_id) if message else None
    if message is None or conversation is None or conversation.owner_id != user_id:
        raise NotFound(message_id)
    if message.role != MessageRole.assistant:
        raise Refused("Only answers take feedback")
    existing = await session.scalar(
        select(Feedback).where(Feedback.message_id == message_id, Feedback.user_id == user_id)
    )
    if existing is None:
        session.add(
            Feedback(message_id=message_id, user_id=user_id, rating=rating, comment=comment)
        )
    else:
        existing.rating, existing.comment = rating, comment
    await session.commit()
    return conversation.id
