"""Whether a chat message may start a turn: the rules shared by WebSocket and REST."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from api.auth import Principal
from api.protocol import (
    ChatFrame,
    ErrorCode,
    ProtocolError,
    QueuedEvent,
    ServerEventBase,
    SessionEvent,
    check_message_text,
)
from api.session import line
from api.session.admission_verdict import Verdict, verdict
from api.session.channel import SessionChannel
from api.session.handoff import customer_wrote
from api.session.turn_events import stored_answer
from api.session.turn_queue import Overloaded, Ticket
from orchestrator.models import Message
from orchestrator.persistence import TIMED_OUT, UNAVAILABLE, Forbidden

if TYPE_CHECKING:  # for the annotations only: api.deps imports this package
    from api.deps import AppState

log = logging.getLogger(__name__)

# What the database or the live state raise when they cannot be reached, and how long a client
# refused for it should wait before sending the same frame again.
OUTAGES: tuple[type[BaseException], ...] = (*UNAVAILABLE, RedisError)
UNAVAILABLE_RETRY_S = 5.0
# Waits that ran out (ours, the connection pool's, Redis's): an outage, or only a process too
# busy to finish in time, which a probe of both stores tells apart.
WAITS: tuple[type[BaseException], ...] = (*TIMED_OUT, RedisTimeoutError)
PROBE_TIMEOUT_S = 2.0
BUSY_RETRY_S = 2.0
LINE_RETRY_S = 10.0  # a full line: about the time a turn or two takes to answer


@dataclass(frozen=True)
class Refused:
    code: ErrorCode
    message: str
    session_id: str | None = None
    retry_after: float | None = None
    turn_id: str | None = None


@dataclass(frozen=True)
class Replay:
    """The message id was answered before: send that answer again."""

    channel: SessionChannel
    answer: ServerEventBase


@dataclass(frozen=True)
class Join:
    """The message id belongs to the turn running now (here or on another instance): follow it."""

    channel: SessionChannel
    turn_id: str | None = None


@dataclass(frozen=True)
class Forwarded:
    """A person has the conversation: the message is stored and shown to them, not answered."""

    channel: SessionChannel
    message: Message


@dataclass(frozen=True)
class Queued:
    """A turn is under way: the message is stored in the session's line, answered in its own
    turn `turn_id` after the turns before it (`interrupting`: the turn under way is stopped)."""

    channel: SessionChannel
    turn_id: str
    position: int
    interrupting: bool = False


@dataclass(frozen=True)
class Admitted:
    """The message starts a turn: it is stored, and the session's lease is this turn's."""

    channel: SessionChannel
    created: bool
    owner_id: str
    turn_id: str
    ticket: Ticket  # its place in this process's admission queue
    profile: dict[str, Any] | None = None  # the owner's, read as the message was stored


async def admit(
    state: AppState, user: Principal, frame: ChatFrame
) -> Refused | Replay | Join | Forwarded | Queued | Admitted:
    """Check a message against every rule, in the order a client can act on them."""
    session_id = frame.session_id
    try:
        check_message_text(frame.message, state.settings.max_message_chars)
    except ProtocolError as exc:
        return Refused(exc.code, exc.message, session_id)
    retry_after = await state.limiter.check(user.id, time.time())
    if retry_after is not None:
        return Refused(
            ErrorCode.RATE_LIMITED,
            f"Too many messages; retry in {retry_after:.1f} s",
            session_id,
            retry_after=retry_after,
        )
    owner_id = user.id
    if frame.customer_id and frame.customer_id != user.id:
        if not user.is_staff:
            return Refused(ErrorCode.FORBIDDEN, "Only staff may act for a customer", session_id)
        owner_id = frame.customer_id
    # Before any work for the message: a refusal under load must be quick to be of use.
    ticket = state.channels.queue.reserve()
    if isinstance(ticket, Overloaded):
        return Refused(
            ErrorCode.OVERLOADED,
            f"Too many questions are waiting (about {ticket.expected_wait_s:.0f} s); "
            f"send it again in {ticket.retry_after:.0f} s",
            session_id,
            retry_after=ticket.retry_after,
        )
    try:
        decision = await _decide(state, user, frame, session_id, owner_id, ticket)
    except BaseException:
        ticket.finish()
        raise
    if not isinstance(decision, Admitted):
        ticket.finish()
    return decision


async def _decide(
    state: AppState,
    user: Principal,
    frame: ChatFrame,
    session_id: str | None,
    owner_id: str,
    ticket: Ticket,
) -> Refused | Replay | Join | Forwarded | Queued | Admitted:
    session_id = session_id or uuid.uuid4().hex
    channels, settings = state.channels, state.settings
    strategy = frame.multitask_strategy or settings.multitask_strategy
    turn_id = uuid.uuid4().hex
    # The session's lease before SQL, so that one transaction can store the message as the
    # turn's question: free here and on every instance, the lease is this turn's.
    here = channels.running_here(session_id)
    elsewhere = None if here else await channels.leases.acquire(session_id, turn_id, time.time())
    ours = here is None and elsewhere is None
    try:  # stored before it is acknowledged: a message that gets `session` is in SQL
        opened = await state.orchestrator.services.db.open_for_message(
            session_id=session_id,
            owner_id=owner_id,
            author=(user.id, user.name, user.role),
            text=frame.message,
            client_message_id=frame.message_id,
            turn_id=turn_id,
            start_turn=ours,
            line=None if strategy == "reject" else settings.max_queued_messages,
        )
        channel = await channels.channel(session_id, opened.last_seq)
    except Forbidden:
        if ours:
            await _free(state, session_id, turn_id)
        # As for a session that does not exist (REST 404, `resume`): whether an id is someone
        # else's is nobody else's to learn.
        return Refused(ErrorCode.SESSION_NOT_FOUND, f"No session {session_id}", session_id)
    except BaseException:  # nothing half-done: the session is free again
        if ours:
            await _free(state, session_id, turn_id)
        raise
    found = verdict(
        opened,
        joins_here=channel.turn.joins(frame.message_id),
        runs_elsewhere=elsewhere is not None,
    )
    if found is Verdict.START:
        return Admitted(channel, opened.created, owner_id, turn_id, ticket, opened.profile)
    if ours:  # the message starts no turn: the lease was taken for nothing
        await _free(state, session_id, turn_id)
    running = channel.turn_id if channel.busy else here or elsewhere
    match found:
        case Verdict.FORWARD:
            assert opened.forwarded is not None
            return Forwarded(channel, opened.forwarded)
        case Verdict.QUEUE:
            assert opened.queued is not None
            interrupting = strategy == "interrupt" and running is not None
            return Queued(channel, opened.queued.turn_id, opened.queued.position, interrupting)
        case Verdict.LINE_FULL:
            return Refused(
                ErrorCode.BUSY,
                f"{settings.max_queued_messages} messages already wait in this session; "
                f"send it again in {LINE_RETRY_S:.0f} s",
                session_id,
                retry_after=LINE_RETRY_S,
                turn_id=running,
            )
        case Verdict.REPLAY:
            assert opened.prior is not None and opened.prior.answer is not None
            return Replay(channel, stored_answer(opened.prior.answer, session_id))
        case Verdict.JOIN:
            return Join(channel)
        case Verdict.ASK_ELSEWHERE if await channels.runs(session_id, frame.message_id):
            return Join(channel, elsewhere)  # its turn runs on another instance
    return Refused(
        ErrorCode.BUSY,
        "A turn is already running in this session; wait or cancel",
        session_id,
        turn_id=running,
    )


async def _free(state: AppState, session_id: str, turn_id: str) -> None:
    """Release the session's lease taken for a turn that will not run."""
    try:
        await asyncio.shield(state.channels.leases.release(session_id, turn_id))
    except Exception:  # it lapses by itself
        log.exception("could not release the lease of session %s", session_id)


async def _answering(state: AppState) -> bool:
    """Whether the database and the live state answer a probe now: then a wait that ran out
    was the process's own slowness (starved, saturated), not an outage."""
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_S):
            await state.orchestrator.services.db.ping()
            await state.channels.pubsub.ping()
    except Exception:
        return False
    return True


def _outage(exc: BaseException) -> str:
    """One line for the log: an outage is a state to report, not a traceback per message."""
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


@dataclass(frozen=True)
class Taken:
    """A message acted on, and what else it led to."""

    channel: SessionChannel
    turn_id: str | None = None  # the turn that answers it (None: forwarded to a person)
    answer: ServerEventBase | None = None  # the answer a repeated message id already got
    forwarded: bool = False  # a person has the conversation: no answer will come
    position: int | None = None  # its place in the session's line, when it waits in one


async def take(
    state: AppState,
    user: Principal,
    frame: ChatFrame,
    attach: Callable[[SessionChannel], Awaitable[None]],
    announce: Callable[[ServerEventBase], None] = lambda event: None,
) -> Refused | Taken:
    """Admit a message and act on the decision, the same way for every transport.

    `attach` subscribes the caller to the session's channel and `announce` hands it the
    `session` event (and `queued`, for a message that waits in line), both before anything
    else of the session reaches it. A database or
    live state that cannot be reached refuses the message with UNAVAILABLE and a wait, having
    done nothing a resend would repeat.
    """
    try:
        async with asyncio.timeout(state.settings.admission_timeout_s):
            decision = await admit(state, user, frame)
            if isinstance(decision, Refused):
                return decision
            channel = decision.channel
            try:
                await attach(channel)
                session = SessionEvent(
                    session_id=channel.session_id,
                    created=False,
                    last_seq=await channel.last_seq(),
                )
            except BaseException:
                if isinstance(decision, Admitted):  # nothing half-done: the session is free
                    decision.ticket.finish()
                    await _free(state, channel.session_id, decision.turn_id)
                raise
    except OUTAGES as exc:
        if isinstance(exc, WAITS) and await _answering(state):
            log.warning("a message could not be taken in time: the process is too busy")
            return Refused(
                ErrorCode.OVERLOADED,
                "The service is too busy to take your message right now; "
                f"send it again in {BUSY_RETRY_S:.0f} s",
                frame.session_id,
                retry_after=BUSY_RETRY_S,
            )
        log.warning("a message could not be taken: %s", _outage(exc))
        return Refused(
            ErrorCode.UNAVAILABLE,
            "The service cannot reach its database or live state right now; "
            f"send it again in {UNAVAILABLE_RETRY_S:.0f} s",
            frame.session_id,
            retry_after=UNAVAILABLE_RETRY_S,
        )
    match decision:
        case Join(turn_id=elsewhere):
            joined = elsewhere or channel.turn_id
            announce(session.model_copy(update={"turn_id": joined}))
            return Taken(channel, turn_id=joined)
        case Forwarded(message=stored):
            announce(session)
            await customer_wrote(state, channel.session_id, stored)
            return Taken(channel, forwarded=True)
        case Replay(answer=answer):
            announce(session)
            return Taken(channel, turn_id=answer.turn_id, answer=answer)
        case Queued(turn_id=queued, position=position, interrupting=interrupting):
            announce(session)
            announce(
                QueuedEvent(
                    session_id=channel.session_id,
                    turn_id=queued,
                    message_id=frame.message_id,
                    position=position,
                    interrupting=interrupting,
                )
            )
            await _move_line(state, channel.session_id, interrupting)
            return Taken(channel, turn_id=queued, position=position)
    assert isinstance(decision, Admitted)
    announce(session.model_copy(update={"created": decision.created, "turn_id": decision.turn_id}))
    state.channels.start_turn(
        channel,
        customer_id=decision.owner_id,
        author_id=user.id,
        text=frame.message,
        turn_id=decision.turn_id,
        client_message_id=frame.message_id,
        ticket=decision.ticket,
        profile=decision.profile,
    )
    return Taken(channel, turn_id=decision.turn_id)


async def _move_line(state: AppState, session_id: str, interrupting: bool) -> None:
    """After a message joined the session's line: stop the turn under way if it asked to
    interrupt, and start the line if that turn has ended meanwhile (its end may have looked
    at the line before the message was in it). Trouble here is logged, not the message's: it
    is stored, and the sweep of lines starts it."""
    try:
        if interrupting:
            await state.channels.cancel(session_id)
        await line.start_next(state.channels, session_id)
    except Exception:
        log.exception("could not move the line of session %s", session_id)
