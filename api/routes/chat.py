"""`POST /api/v1/chat`: the same pipeline as the WebSocket, answered in one response."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from api.admission import Admitted, Forwarded, Join, Refused, Replay, admit
from api.deps import CurrentUser, State
from api.handoff import customer_wrote
from api.protocol import (
    CancelledEvent,
    ChatFrame,
    CompleteEvent,
    ErrorCode,
    ErrorEvent,
    Identifier,
    ServerEventBase,
)
from api.pubsub import Subscriber

router = APIRouter(prefix="/api/v1", tags=["chat"])

STATUS = {
    ErrorCode.EMPTY_MESSAGE: 422,
    ErrorCode.MESSAGE_TOO_LARGE: 422,
    ErrorCode.INVALID_MESSAGE: 422,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.BUSY: 409,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.SESSION_NOT_FOUND: 404,
    ErrorCode.TIMEOUT: 504,
    ErrorCode.LLM_UNAVAILABLE: 503,
    ErrorCode.PROCESSING_ERROR: 500,
}


class ChatRequest(BaseModel):
    message: str
    session_id: Identifier | None = None
    customer_id: Identifier | None = None
    message_id: Identifier | None = None


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


@router.post("/chat", response_model=ChatResponse)
async def chat(body: ChatRequest, user: CurrentUser, state: State) -> ChatResponse:
    """Send a message and get the whole answer (not streamed)."""
    frame = ChatFrame(type="message", **body.model_dump())
    decision = await admit(state, user, frame)
    if isinstance(decision, Refused):
        state.metrics.errors.labels(decision.code.value).inc()
        raise _fail(decision.code, decision.message, decision.retry_after)
    channel = decision.channel
    if isinstance(decision, Forwarded):
        await customer_wrote(state, channel.session_id, decision.message)
        return ChatResponse(
            response="", session_id=channel.session_id, metadata={}, status="forwarded_to_staff"
        )
    if isinstance(decision, Replay):
        event = decision.answer
    else:
        subscriber = Subscriber(partial_response=False)
        channel.subscribe(subscriber)
        try:
            if isinstance(decision, Admitted):
                state.channels.start_turn(
                    channel,
                    customer_id=decision.owner_id,
                    author_id=user.id,
                    text=body.message,
                    turn_id=decision.turn_id,
                    client_message_id=body.message_id,
                )
            assert isinstance(decision, Admitted | Join)
            async with asyncio.timeout(state.settings.turn_timeout_s + 10):
                event = await _final_event(subscriber)
        finally:
            channel.unsubscribe(subscriber)
    match event:
        case CompleteEvent(response=response, metadata=metadata):
            return ChatResponse(
                response=response, session_id=channel.session_id, metadata=metadata.model_dump()
            )
        case CancelledEvent(partial_response=partial):
            return ChatResponse(
                response=partial, session_id=channel.session_id, metadata={}, status="cancelled"
            )
        case ErrorEvent(code=code, error=message):
            raise _fail(code, message)
    raise _fail(ErrorCode.PROCESSING_ERROR, "The turn ended without an answer")


async def _final_event(subscriber: Subscriber) -> ServerEventBase:
    while True:
        event = await subscriber.queue.get()
        if isinstance(event, CompleteEvent | CancelledEvent | ErrorEvent):
            return event
