"""`POST /api/v1/chat`: the same pipeline as the WebSocket, answered in one response."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from api.auth import Principal
from api.deps import AppState, CurrentUser, State
from api.live.pubsub import Subscriber
from api.protocol import (
    CancelledEvent,
    ChatFrame,
    CompleteEvent,
    ErrorCode,
    ErrorEvent,
    Identifier,
    MultitaskStrategy,
    ServerEventBase,
)
from api.session.admission import Refused, take
from api.session.channel import SessionChannel

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["chat"])

STATUS = {
    ErrorCode.EMPTY_MESSAGE: 422,
    ErrorCode.MESSAGE_TOO_LARGE: 422,
    ErrorCode.INVALID_MESSAGE: 422,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.OVERLOADED: 503,
    ErrorCode.UNAVAILABLE: 503,
    ErrorCode.BUSY: 409,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.SESSION_NOT_FOUND: 404,
    ErrorCode.TIMEOUT: 504,
    ErrorCode.LLM_UNAVAILABLE: 503,
    ErrorCode.LLM_EMPTY_REPLY: 502,
    ErrorCode.PROCESSING_ERROR: 500,
}


class ChatRequest(BaseModel):
    message: str
    session_id: Identifier | None = None
    customer_id: Identifier | None = None
    message_id: Identifier | None = None
    multitask_strategy: MultitaskStrategy | None = Field(
        default=None,
        description="While a turn is under way in the session: enqueue (the answer comes "
        "once the turns before it end), interrupt (the turn under way is cancelled), or reject "
        "(409 BUSY). Omitted: the server's default (enqueue).",
    )


class ChatResponse(BaseModel):
    response: str
    session_id: str
    metadata: dict[str, Any] = Field(description="As in the WebSocket `complete` event")
    status: str = Field(
        default="complete",
        description="complete, cancelled, or forwarded_to_staff (a person has the conversation)",
    )


def _fail(code: ErrorCode, message: str, retry_after: float | None = None) -> HTTPException:
    headers = {"Retry-After": str(max(1, round(retry_after)))} if retry_after else None
    return HTTPException(STATUS.get(code, 400), {"code": code.value, "message": message}, headers)


class Rejected(Exception):
    """The message was not taken (or its turn ended in an error): the code to answer with."""

    def __init__(self, code: ErrorCode, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.retry_after = code, message, retry_after


@dataclass
class Admitted:
    """A message taken as a turn: its session, and what comes of it on `subscriber`.
    `forwarded`: a person has the conversation, no answer will come; `answer`: the one a
    repeated message id already got."""

    session_id: str
    subscriber: Subscriber
    turn_id: str | None = None
    forwarded: bool = False
    answer: ServerEventBase | None = None
    position: int | None = None  # its place in the session's line, when it waits in one

    async def events(self, state: AppState) -> AsyncIterator[ServerEventBase]:
        """The turn's events up to its end (`complete`, `cancelled` or `error`), within the
        longest the line and the turn may take (and the turns before it in the session's line);
        the session's other turns' events are passed over."""
        if self.answer is not None:
            yield self.answer
            return
        settings = state.settings  # the line may be slower than expected: twice its bound
        turns = 1 + (self.position or 0)
        longest = 2 * settings.queue_max_wait_s + turns * (settings.turn_timeout_s + 10)
        async with asyncio.timeout(longest):
            while True:
                event = await self.subscriber.queue.get()
                if not isinstance(event, ServerEventBase):
                    continue
                if self.turn_id is not None and event.turn_id != self.turn_id:
                    continue
                yield event
                if isinstance(event, CompleteEvent | CancelledEvent | ErrorEvent):
                    return

    async def end(self, state: AppState) -> ServerEventBase:
        """The turn's last event (`complete`, `cancelled` or `error`), what came before it read
        and let go."""
        last: ServerEventBase | None = None
        async for event in self.events(state):
            last = event
        assert last is not None  # events() ends with one
        return last


@asynccontextmanager
async def admitted(state: AppState, user: Principal, frame: ChatFrame) -> AsyncIterator[Admitted]:
    """The message taken as a turn by the same admission as the WebSocket's (limits, the line,
    the session's lease), followed until the block ends; `Rejected` when it is refused."""
    subscriber = Subscriber(partial_response=False)
    attached: list[SessionChannel] = []

    async def attach(channel: SessionChannel) -> None:
        await channel.subscribe(subscriber)
        attached.append(channel)

    try:
        try:
            taken = await take(state, user, frame, attach)
        except Exception:  # the database or Redis is away: a clear code, not a bare 500
            log.exception("could not admit a message")
            state.metrics.errors.labels(ErrorCode.PROCESSING_ERROR.value).inc()
            raise Rejected(
                ErrorCode.PROCESSING_ERROR,
                "Your message could not be taken right now; please send it again",
                retry_after=1,
            ) from None
        if isinstance(taken, Refused):
            state.metrics.errors.labels(taken.code.value).inc()
            raise Rejected(taken.code, taken.message, taken.retry_after)
        yield Admitted(
            taken.channel.session_id,
            subscriber,
            taken.turn_id,
            taken.forwarded,
            taken.answer,
            taken.position,
        )
    finally:
        for joined in attached:
            await joined.unsubscribe(subscriber)


@router.post("/chat", response_model=ChatResponse)
async def chat(body: ChatRequest, user: CurrentUser, state: State) -> ChatResponse:
    """Send a message and get the whole answer (not streamed)."""
    frame = ChatFrame(type="message", **body.model_dump())
    try:
        async with admitted(state, user, frame) as turn:
            if turn.forwarded:
                return ChatResponse(
                    response="",
                    session_id=turn.session_id,
                    metadata={},
                    status="forwarded_to_staff",
                )
            event = await turn.end(state)
    except Rejected as exc:
        raise _fail(exc.code, exc.message, exc.retry_after) from None
    match event:
        case CompleteEvent(response=response, metadata=metadata):
            return ChatResponse(
                response=response, session_id=turn.session_id, metadata=metadata.model_dump()
            )
        case CancelledEvent(partial_response=partial):
            return ChatResponse(
                response=partial, session_id=turn.session_id, metadata={}, status="cancelled"
            )
        case ErrorEvent(code=code, error=message):
            raise _fail(code, message)
    raise _fail(ErrorCode.PROCESSING_ERROR, "The turn ended without an answer")
