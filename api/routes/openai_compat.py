"""`POST /v1/chat/completions` and `GET /v1/models`: the orchestrator as an OpenAI-compatible
model, so that any OpenAI client (a dealer's system, a staff copilot, Open WebUI) can ask it.

A request is one customer turn through the same admission and graph as `/ws/chat` (routing,
specialists, tools, SQL, limits, the line): its last `user` message is the message; the earlier
ones are already the session's history, which the server keeps. The caller's JWT is the API
key. The session comes from the `X-Session-Id` header, else the request's `user` field, else a
new one; the response names it in its own `X-Session-Id` header, so the next call continues it.

Citations come twice: as Markdown footnotes after the answer (`[1]: Title, p. 12`), and as the
passages themselves (page, snippet) in the extension field `x_orchestrator` of the response, or
of the last chunk when streamed (with the session id, the route and the tools used).
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.background import BackgroundTask

from api.deps import CurrentUser, State
from api.protocol import (
    CancelledEvent,
    ChatFrame,
    CompleteEvent,
    ErrorCode,
    ErrorEvent,
    MultitaskStrategy,
    SourceRef,
    TokenEvent,
)
from api.routes.chat import STATUS, Admitted, Rejected, admitted

router = APIRouter(prefix="/v1", tags=["openai-compatible"])

MODEL = "support-orchestrator"
SESSION_HEADER = "X-Session-Id"
EXTENSION = "x_orchestrator"


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: str
    content: str | list[dict[str, Any]] | None = None


class CompletionRequest(BaseModel):
    """The fields of OpenAI's Chat Completions request this endpoint reads; others are taken
    and ignored (`temperature`, `max_tokens`, … are the server's own settings)."""

    model_config = ConfigDict(extra="ignore")

    model: str = MODEL
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    user: str | None = Field(default=None, description="A session id, when no header names one")
    multitask_strategy: MultitaskStrategy | None = Field(
        default=None,
        description="Extension (pass it in `extra_body`): what a request does while another "
        "turn of the session is under way, as the WebSocket's message frame (enqueue unless "
        "configured).",
    )


def _text(message: ChatMessage) -> str:
    """A message's text: a string, or its text parts joined."""
    if isinstance(message.content, str):
        return message.content
    parts = message.content or []
    return "".join(str(p.get("text", "")) for p in parts if p.get("type") == "text")


def question_of(request: CompletionRequest) -> str | None:
    """The last `user` message's text; None when there is none."""
    asked = [m for m in request.messages if m.role == "user"]
    return _text(asked[-1]) if asked else None


def footnote(passage: SourceRef) -> str:
    """A passage as a Markdown footnote: `[n]: Title, section, p. 12 (source)`."""
    where = ", ".join(part for part in (passage.title, passage.heading.split(" > ")[-1]) if part)
    page = f", p. {passage.page}" if passage.page else ""
    return f"[{passage.n}]: {where}{page} ({passage.source})"


def footnotes(passages: list[SourceRef]) -> str:
    """The passages as Markdown footnotes, one a line, after a blank line."""
    return "\n\n" + "\n".join(map(footnote, passages)) if passages else ""


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Any:
    """An error as OpenAI's API shapes it."""
    body = {"error": {"message": message, "type": "invalid_request_error", "code": code}}
    return JSONResponse(body, status_code=status, headers=headers)


def _extension(session_id: str, event: CompleteEvent) -> dict[str, Any]:
    meta = event.metadata
    return {
        "session_id": session_id,
        "agent": meta.agent,
        "agents": meta.agents,
        "passages": [p.model_dump(exclude_none=True) for p in meta.context.passages],
        "tools": [t.model_dump() for t in meta.tools],
        "message_id": meta.message_id,
    }


def _chunk(
    completion_id: str,
    delta: dict[str, Any],
    finish: str | None = None,
    extension: dict[str, Any] | None = None,
) -> str:
    choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
    body: dict[str, Any] = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": MODEL,
        "choices": [choice],
    }
    if extension is not None:
        body[EXTENSION] = extension
    return f"data: {json.dumps(body)}\n\n"


@router.get("/models")
async def models(_: CurrentUser) -> dict[str, Any]:
    """The one model this server is: the orchestrator."""
    return {
        "object": "list",
        "data": [{"id": MODEL, "object": "model", "created": 0, "owned_by": "orchestrator"}],
    }


@router.post("/chat/completions", response_model=None)
async def completions(
    body: dict[str, Any],
    user: CurrentUser,
    state: State,
    session_header: str | None = Header(default=None, alias=SESSION_HEADER),
) -> Any:
    """The answer to the last `user` message, as a chat completion (streamed as server-sent
    events with `stream: true`)."""
    try:
        request = CompletionRequest.model_validate(body)
    except ValidationError as exc:
        return _error(422, "invalid_request", str(exc.errors()[0]["msg"]))
    question = question_of(request)
    if not question or not question.strip():
        return _error(422, ErrorCode.EMPTY_MESSAGE.value, "No user message to answer")
    session_id = session_header or request.user or uuid.uuid4().hex
    try:
        frame = ChatFrame(
            type="message",
            message=question,
            session_id=session_id,
            multitask_strategy=request.multitask_strategy,
        )
    except ValidationError as exc:
        return _error(422, ErrorCode.INVALID_MESSAGE.value, str(exc.errors()[0]["msg"]))
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    headers = {SESSION_HEADER: session_id}
    if request.stream:
        # Admitted before the response starts: a refusal is its HTTP status (429, 503, 409,
        # 404), as OpenAI's API answers one, not an error inside a 200 stream.
        following = contextlib.AsyncExitStack()
        try:
            turn = await following.enter_async_context(admitted(state, user, frame))
        except Rejected as exc:
            return _refused(exc)
        if turn.forwarded:
            await following.aclose()
            return _error(409, "forwarded_to_staff", "A person has this conversation")
        return StreamingResponse(
            _streamed(state, turn, following, completion_id, session_id),
            media_type="text/event-stream",
            headers={**headers, "Cache-Control": "no-store"},
            background=BackgroundTask(following.aclose),  # a stream never read lets go too
        )
    try:
        async with admitted(state, user, frame) as turn:
            if turn.forwarded:
                return _error(409, "forwarded_to_staff", "A person has this conversation")
            end = await turn.end(state)
    except Rejected as exc:
        return _refused(exc)
    if isinstance(end, ErrorEvent):
        return _error(STATUS.get(end.code, 500), end.code.value, end.error)
    text, extension, finish = _ended(session_id, end)
    return JSONResponse(
        {
            "id": completion_id,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": MODEL,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": finish,
                    "logprobs": None,
                }
            ],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            EXTENSION: extension,
        },
        headers=headers,
    )


def _ended(session_id: str, end: object) -> tuple[str, dict[str, Any], str]:
    """The whole answer with its footnotes, the extension, and the finish reason."""
    if isinstance(end, CompleteEvent):
        notes = footnotes(end.metadata.context.passages)
        return end.response + notes, _extension(session_id, end), "stop"
    partial = end.partial_response if isinstance(end, CancelledEvent) else ""
    return partial, {"session_id": session_id, "cancelled": True}, "stop"


def _refused(exc: Rejected) -> JSONResponse:
    retry = {"Retry-After": str(max(1, round(exc.retry_after)))} if exc.retry_after else {}
    return _error(STATUS.get(exc.code, 400), exc.code.value, exc.message, retry)


async def _streamed(
    state: Any,
    turn: Admitted,
    following: contextlib.AsyncExitStack,
    completion_id: str,
    session_id: str,
) -> AsyncIterator[str]:
    """The admitted turn as chunks: the role, each token, the footnotes, then the finish with
    the extension; a turn that ends in an error as an `error` event, as OpenAI's API streams
    one. `following` lets the turn's events go once the stream ends."""
    async with following:
        yield _chunk(completion_id, {"role": "assistant", "content": ""})
        async for event in turn.events(state):
            if isinstance(event, TokenEvent):
                yield _chunk(completion_id, {"content": event.token})
            elif isinstance(event, ErrorEvent):
                yield _stream_error(event.code.value, event.error)
                return
            elif isinstance(event, CompleteEvent):
                notes = footnotes(event.metadata.context.passages)
                if notes:
                    yield _chunk(completion_id, {"content": notes})
                yield _chunk(completion_id, {}, "stop", _extension(session_id, event))
            elif isinstance(event, CancelledEvent):
                yield _chunk(completion_id, {}, "stop")
    yield "data: [DONE]\n\n"


def _stream_error(code: str, message: str) -> str:
    body = {"error": {"message": message, "type": "server_error", "code": code}}
    return f"data: {json.dumps(body)}\n\n"
