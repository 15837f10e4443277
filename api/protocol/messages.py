"""The chat WebSocket protocol (`/ws/chat`): every frame as a pydantic model.

Client frames (`ClientMessage`) and server events (`ServerEvent`) are discriminated unions on
their `type` field. `docs/protocol.md` describes the protocol for frontend developers;
`docs/protocol.schema.json` is generated from these models by `python -m api.protocol.schema`.

Client frames ignore unknown keys (deployed frontends may send extra fields such as client
timestamps); a missing or mistyped known field is an error. Server events forbid unknown keys
so that the server cannot send a field the schema does not describe.
"""

from __future__ import annotations

import unicodedata
from enum import StrEnum
from typing import Annotated, Any, Final, Literal, TypeAlias

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)

ID_PATTERN: Final = r"^[A-Za-z0-9._:-]+$"
ID_MAX_LENGTH: Final = 128

Identifier: TypeAlias = Annotated[
    str,
    StringConstraints(max_length=ID_MAX_LENGTH, pattern=ID_PATTERN),
    Field(description="1-128 characters from A-Z a-z 0-9 . _ : -"),
]
"""A session, message or customer id chosen by a client."""

Timestamp: TypeAlias = (
    int
    | Annotated[float, Field(allow_inf_nan=False)]
    | Annotated[str, StringConstraints(max_length=64)]
    | None
)
"""A ping's timestamp: a finite number or a short string, echoed as it came (NaN and Infinity
are not JSON: they could not be echoed)."""


def _type_is_required(schema: dict[str, Any]) -> None:
    """`type` has a default (so models are built without it) but every frame carries it."""
    required = schema.setdefault("required", [])
    if "type" not in required:
        required.insert(0, "type")


class ErrorCode(StrEnum):
    """Why a frame was refused or a turn failed; `docs/protocol.md` says what a client should do."""

    AUTH_REQUIRED = "AUTH_REQUIRED"
    AUTH_FAILED = "AUTH_FAILED"
    EMPTY_MESSAGE = "EMPTY_MESSAGE"
    INVALID_MESSAGE = "INVALID_MESSAGE"
    MESSAGE_TOO_LARGE = "MESSAGE_TOO_LARGE"
    RATE_LIMITED = "RATE_LIMITED"
    OVERLOADED = "OVERLOADED"
    UNAVAILABLE = "UNAVAILABLE"
    BUSY = "BUSY"
    SESSION_NOT_FOUND = "SESSION_NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    LLM_UNAVAILABLE = "LLM_UNAVAILABLE"
    LLM_EMPTY_REPLY = "LLM_EMPTY_REPLY"
    TIMEOUT = "TIMEOUT"
    INTERRUPTED = "INTERRUPTED"
    PROCESSING_ERROR = "PROCESSING_ERROR"


ERROR_DESCRIPTIONS: Final[dict[ErrorCode, str]] = {
    ErrorCode.AUTH_REQUIRED: "The first frame on a connection must be an auth frame.",
    ErrorCode.AUTH_FAILED: "The token is invalid or has expired.",
    ErrorCode.EMPTY_MESSAGE: "The message is empty.",
    ErrorCode.INVALID_MESSAGE: (
        "The frame is not valid JSON, has an unknown type or a missing or invalid field."
    ),
    ErrorCode.MESSAGE_TOO_LARGE: "The message is longer than the server accepts.",
    ErrorCode.RATE_LIMITED: "Too many messages; retry after retry_after seconds.",
    ErrorCode.OVERLOADED: (
        "The server has more questions waiting than it can start soon, or was too busy to take "
        "this one in time; nothing was done. "
        "Send the same frame (same message_id) again after retry_after seconds."
    ),
    ErrorCode.UNAVAILABLE: (
        "The server cannot reach its database or its live state right now; no turn started. "
        "Send the same frame (same message_id) again after retry_after seconds."
    ),
    ErrorCode.BUSY: (
        "A turn is already running in this session and the message asked not to wait "
        "(multitask_strategy reject), or the session's line is full; wait for retry_after."
    ),
    ErrorCode.SESSION_NOT_FOUND: (
        "There is no session with this id that you may use (someone else's reads the same)."
    ),
    ErrorCode.FORBIDDEN: "Only staff may act for a customer (`customer_id`).",
    ErrorCode.LLM_UNAVAILABLE: (
        "The language model could not be reached, or its answer was cut off; the turn ended."
    ),
    ErrorCode.LLM_EMPTY_REPLY: (
        "The language model's server sent back no answer, twice (a prompt longer than its "
        "context window, with llama.cpp's server); the turn ended."
    ),
    ErrorCode.TIMEOUT: "The turn took too long and was stopped.",
    ErrorCode.INTERRUPTED: (
        "The server stopped (a restart, or a crash) while answering; what was streamed is "
        "stored as failed. Send the message again."
    ),
    ErrorCode.PROCESSING_ERROR: "An unexpected server error ended the turn.",
}

TURN_ENDING_ERRORS: Final = frozenset(
    {
        ErrorCode.LLM_UNAVAILABLE,
        ErrorCode.LLM_EMPTY_REPLY,
        ErrorCode.TIMEOUT,
        ErrorCode.INTERRUPTED,
        ErrorCode.PROCESSING_ERROR,
    }
)
"""Errors that end a running turn (they carry its `turn_id` and a `seq`); the others refuse a
frame and leave any running turn alone."""

CLOSE_AUTH: Final = 4001
CLOSE_FORBIDDEN: Final = 4003
CLOSE_TOO_SLOW: Final = 4008
CLOSE_CODES: Final[dict[int, str]] = {
    1000: "Closed normally (client disconnect, or the idle timeout).",
    1009: "The frame was too large.",
    CLOSE_AUTH: "Authentication required or failed, or the token expired.",
    CLOSE_FORBIDDEN: "Forbidden: the page's origin is not allowed, or the token's role is not.",
    CLOSE_TOO_SLOW: "The client did not read its events: too many waiting, or none could be "
    "sent for too long. Reconnect and resume.",
}
"""The close codes the server uses; any other close is a dropped connection."""
CLOSE_NO_RECONNECT: Final = frozenset({1000, CLOSE_AUTH, CLOSE_FORBIDDEN})
"""After these, reconnecting as before would not help (or was not wanted)."""


# --------------------------------------------------------------------------- client → server


class ClientFrameBase(BaseModel):
    """Common configuration of client frames: unknown keys are ignored."""

    model_config = ConfigDict(extra="ignore", json_schema_extra=_type_is_required)


class AuthFrame(ClientFrameBase):
    """Authenticate the connection; must be the first frame unless `?token=` was used."""

    type: Literal["auth"] = "auth"
    token: str = Field(description="A bearer token (JWT) issued by the account service.")
    partial_response: bool = Field(
        default=True,
        description="false → token events on this connection omit the growing "
        "partial_response field, unless a message frame asks for it.",
    )


MultitaskStrategy: TypeAlias = Literal["enqueue", "interrupt", "reject"]


class ChatFrame(ClientFrameBase):
    """Send a customer message; starts a turn, or waits in the session's line for one while
    another turn is under way (see `multitask_strategy`)."""

    type: Literal["message"] = "message"
    message: str = Field(
        description="The customer's text. Empty → EMPTY_MESSAGE; too long → MESSAGE_TOO_LARGE."
    )
    session_id: Identifier | None = Field(
        default=None,
        description="The session to continue or create; omitted → the server creates one.",
    )
    customer_id: Identifier | None = Field(
        default=None,
        description="Staff only: the customer on whose behalf the message is sent.",
    )
    message_id: Identifier | None = Field(
        default=None,
        description="A client-chosen id making retries idempotent within the session.",
    )
    partial_response: bool | None = Field(
        default=None,
        description="false → token events omit the growing partial_response field; "
        "omitted → as the auth frame chose (true unless it said false).",
    )
    multitask_strategy: MultitaskStrategy | None = Field(
        default=None,
        description="What to do when a turn is already under way in the session: `enqueue` "
        "→ stored and acknowledged `queued`, answered by a turn of its own after the turns "
        "before it, in order; `interrupt` → the turn under way ends `cancelled` (keeping what "
        "it streamed), then this message is answered (after any already in line); `reject` → "
        "refused BUSY. Omitted → the server's default (enqueue unless configured).",
    )


class CancelFrame(ClientFrameBase):
    """Stop the running turn of a session."""

    type: Literal["cancel"] = "cancel"
    session_id: Identifier | None = Field(
        default=None, description="Omitted → the session this connection last used."
    )


class PingFrame(ClientFrameBase):
    """Application-level keepalive; answered by a pong echoing `timestamp`."""

    type: Literal["ping"] = "ping"
    timestamp: Timestamp = Field(
        default=None,
        description="A finite number or a string (64 characters at most); echoed in the pong.",
    )


class ResumeFrame(ClientFrameBase):
    """After a reconnect: attach to a session and receive the events after `after_seq`."""

    type: Literal["resume"] = "resume"
    session_id: Identifier
    after_seq: int = Field(ge=0, description="The last seq received in this session (0: none).")


class WatchFrame(ClientFrameBase):
    """Staff only (/ws/staff): follow one conversation's events live."""

    type: Literal["watch"] = "watch"
    session_id: Identifier


class UnwatchFrame(ClientFrameBase):
    """Staff only (/ws/staff): stop following the watched conversation."""

    type: Literal["unwatch"] = "unwatch"


ClientMessage: TypeAlias = Annotated[
    AuthFrame | ChatFrame | CancelFrame | PingFrame | ResumeFrame | WatchFrame | UnwatchFrame,
    Field(discriminator="type"),
]
"""Any frame a client may send."""

CLIENT_MESSAGE: Final[TypeAdapter[ClientMessage]] = TypeAdapter(ClientMessage)


# --------------------------------------------------------------------------- server → client


class ServerEventBase(BaseModel):
    """Fields every server event may carry; absent fields are omitted from the JSON."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_type_is_required)

    type: str  # each event narrows it to a Literal; declared here so that it is serialised first
    session_id: str | None = Field(default=None, description="The session the event belongs to.")
    turn_id: str | None = Field(default=None, description="The turn the event belongs to.")
    seq: int | None = Field(
        default=None,
        ge=1,
        description="Per-session event number, increasing by one; see resume.",
    )


class UserInfo(BaseModel):
    """The authenticated user."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    role: Literal["customer", "staff", "admin"]


class AuthSuccess(ServerEventBase):
    """The connection is authenticated."""

    type: Literal["auth_success"] = "auth_success"
    message: str
    user: UserInfo


class AuthError(ServerEventBase):
    """Authentication failed; the server closes the connection with code 4001."""

    type: Literal["auth_error"] = "auth_error"
    message: str


ProgressStep: TypeAlias = Literal[
    "queued", "starting", "agent_routing", "rag_retrieval", "generating"
]


class ProgressEvent(ServerEventBase):
    """The turn reached a new step."""

    type: Literal["progress"] = "progress"
    step: ProgressStep
    message: str = Field(description="Human-readable text for the step.")
    agent: str | None = Field(default=None, description="The specialist agent working on it.")
    position: int | None = Field(
        default=None,
        ge=1,
        description="Step `queued` only: the turn's place in line (1: next to start). Sent "
        "when the turn joins the line and again as it moves up; `starting` follows.",
    )


class SourceRef(BaseModel):
    """A knowledge-base passage an answer is grounded in."""

    model_config = ConfigDict(extra="forbid")

    n: int | None = Field(
        default=None,
        description="The number answers cite this passage by, as [n]; the same in every "
        "`sources` event of the turn.",
    )
    source: str = Field(description="Path of the document in the knowledge base.")
    title: str = Field(description="Document title.")
    heading: str = Field(description="Section heading of the passage (may be empty).")
    page: int | None = Field(
        default=None,
        ge=1,
        description="The page the passage starts on, for a document with pages (1-based).",
    )
    page_end: int | None = Field(
        default=None,
        ge=1,
        description="The page the passage ends on, when it runs onto later pages.",
    )
    score: float = Field(description="Retrieval score; higher is more relevant.")
    snippet: str | None = Field(
        default=None,
        description="The passage's text, whitespace collapsed (a table row a line), at most "
        '300 characters, cut after a word with "…": what the citation points to.',
    )


class SourcesEvent(ServerEventBase):
    """The passages retrieved for the turn (sent before generation starts)."""

    type: Literal["sources"] = "sources"
    sources: list[SourceRef]
    agent: str | None = None


class ToolCallEvent(ServerEventBase):
    """A specialist calls a tool (free slots, book, list or cancel appointments), in either
    answer mode; its `tool_result` follows with the same `call_id`."""

    type: Literal["tool_call"] = "tool_call"
    call_id: str = Field(description="Pairs the call with its tool_result.")
    name: str = Field(description="The tool, e.g. available_slots or book_appointment.")
    arguments: dict[str, Any] = Field(description="What the tool was called with.")
    agent: str | None = None


class ToolResultEvent(ServerEventBase):
    """What a tool gave back: `ok` false when it does not exist or failed."""

    type: Literal["tool_result"] = "tool_result"
    call_id: str
    name: str
    ok: bool
    summary: str = Field(description="The first line of its reply, shortened.")
    agent: str | None = None


class TokenEvent(ServerEventBase):
    """A piece of the answer; the tokens of a turn concatenate to `complete.response`."""

    type: Literal["token"] = "token"
    token: str
    partial_response: str | None = Field(
        default=None,
        description="The answer so far (omitted when the client sent partial_response: false).",
    )


class CompleteContext(BaseModel):
    """What the answer was grounded in."""

    model_config = ConfigDict(extra="forbid")

    sources: list[str] = Field(
        description="The documents the answer is grounded in: each passage's `source` path, "
        "once, in the order of the passages' [n]."
    )
    passages: list[SourceRef] = Field(
        description="The passages themselves, as the turn's `sources` events listed them."
    )


class ToolUse(BaseModel):
    """A tool the answer used, as its `tool_call` and `tool_result` told it."""

    model_config = ConfigDict(extra="forbid")

    call_id: str
    name: str
    arguments: dict[str, Any]
    agent: str | None = None
    ok: bool | None = Field(description="Whether it ran; null if the turn ended first.")
    summary: str | None = Field(description="Its result's summary; null if none came.")


class CompleteMetadata(BaseModel):
    """Facts about a finished answer."""

    model_config = ConfigDict(extra="forbid")

    agent: str = Field(description="The agent that wrote the answer.")
    agents: list[str] = Field(description="Every agent that took part, in order.")
    confidence: float = Field(ge=0.0, le=1.0)
    context: CompleteContext
    tools: list[ToolUse] = Field(
        default_factory=list,
        description="The tools the answer used, in call order (also kept with the stored answer).",
    )
    latency_ms: int = Field(ge=0)
    mode: Literal["offline", "llm"] = Field(
        description="Who wrote the answer: the language model, or the offline answerer (also "
        "in LLM mode, while the model cannot give an answer: see `degraded`)."
    )
    truncated: bool | None = Field(
        default=None,
        description="true: the model was stopped before it ended its answer, at its token "
        "limit (LLM_MAX_TOKENS) or in a loop (the same text over and over): the answer is cut "
        "short.",
    )
    degraded: str | None = Field(
        default=None,
        description="Why the offline answer stands in for the language model's: "
        '"model unreachable", "answer repeated the prompt", or, with a model that does not '
        'call tools, "answer changed the tool\'s result" or "model could not word the tool\'s '
        "result\" (the tool's result is then the answer).",
    )
    message_id: str | None = Field(
        default=None,
        description="Server id of the stored answer; use it for feedback.",
    )


class CompleteEvent(ServerEventBase):
    """The turn finished; `response` is the whole answer."""

    type: Literal["complete"] = "complete"
    response: str
    metadata: CompleteMetadata


class CancelledEvent(ServerEventBase):
    """The turn was cancelled; `partial_response` is what had been generated."""

    type: Literal["cancelled"] = "cancelled"
    partial_response: str


class ErrorEvent(ServerEventBase):
    """A frame was refused, or a turn failed (see TURN_ENDING_ERRORS)."""

    type: Literal["error"] = "error"
    error: str = Field(description="Human-readable explanation.")
    code: ErrorCode
    retry_after: float | None = Field(
        default=None,
        ge=0,
        description="Seconds to wait before retrying (RATE_LIMITED, OVERLOADED, UNAVAILABLE; "
        "LLM_UNAVAILABLE when the model's server named a wait).",
    )


class PongEvent(ServerEventBase):
    """The answer to a ping."""

    type: Literal["pong"] = "pong"
    timestamp: Timestamp = Field(default=None, description="The ping's timestamp, unchanged.")


class SessionEvent(ServerEventBase):
    """The connection is attached to a session: first reply to every accepted message frame,
    and the last reply to a resume (after the replayed events). It takes no seq of its own."""

    type: Literal["session"] = "session"
    session_id: str = Field(description="The session id to store and send back.")
    created: bool = Field(description="true: the session was created by this message.")
    last_seq: int | None = Field(
        default=None,
        ge=0,
        description=(
            "The session's latest seq when the connection attached (0: none yet); a client "
            "sets its last seen seq to it."
        ),
    )


class QueuedEvent(ServerEventBase):
    """A message sent while a turn was under way is stored in the session's line: its turn
    (`turn_id`) starts once the turns before it end, and its events follow as any turn's.
    Sent to the connection that sent it, after `session`; it takes no seq of its own."""

    type: Literal["queued"] = "queued"
    session_id: str = Field(description="The session the message waits in.")
    turn_id: str = Field(description="The turn that will answer it.")
    message_id: str | None = Field(
        default=None, description="The message frame's message_id, when it had one."
    )
    position: int = Field(ge=1, description="Its place in the line (1: answered next).")
    interrupting: bool = Field(
        default=False,
        description="true: the message asked to interrupt; the turn under way is being cancelled.",
    )


class StaffMessageEvent(ServerEventBase):
    """A human staff member wrote in the session."""

    type: Literal["staff_message"] = "staff_message"
    message: str
    staff_name: str


class HandoffEvent(ServerEventBase):
    """The session moves between the assistant and human staff."""

    type: Literal["handoff"] = "handoff"
    status: Literal["waiting", "staff_joined", "returned_to_bot", "closed"]
    message: str
    rating_asked: bool | None = Field(
        default=None,
        description="On `closed`: rate the conversation from 1 to 5 with "
        "POST /api/v1/sessions/{session_id}/rating",
    )


class CustomerMessageEvent(ServerEventBase):
    """The customer wrote while a person has the conversation (seen by staff watchers)."""

    type: Literal["customer_message"] = "customer_message"
    message: str
    message_id: str = Field(description="Server id of the stored message.")


class PersonRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str


class LastMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant", "staff", "system"]
    content: str
    created_at: str


class ConversationSummary(BaseModel):
    """A row of the staff console's conversation list."""

    model_config = ConfigDict(extra="forbid")

    session_id: str
    customer: PersonRef
    status: Literal["bot", "waiting", "with_staff", "closed"]
    waiting_since: str | None = Field(
        default=None,
        description="While the status is `waiting`: when it began waiting for a person (UTC)",
    )
    assigned_staff: PersonRef | None = None
    last_message: LastMessage | None = None
    route: str | None = None
    confidence: float | None = None
    updated_at: str


class ConversationEvent(ServerEventBase):
    """Staff only (/ws/staff): a conversation changed; upsert it in the list."""

    type: Literal["conversation"] = "conversation"
    conversation: ConversationSummary


ServerEvent: TypeAlias = Annotated[
    AuthSuccess
    | AuthError
    | ProgressEvent
    | SourcesEvent
    | ToolCallEvent
    | ToolResultEvent
    | TokenEvent
    | CompleteEvent
    | CancelledEvent
    | ErrorEvent
    | PongEvent
    | SessionEvent
    | QueuedEvent
    | StaffMessageEvent
    | HandoffEvent
    | CustomerMessageEvent
    | ConversationEvent,
    Field(discriminator="type"),
]
"""Any event the server may send."""

SERVER_EVENT: Final[TypeAdapter[ServerEvent]] = TypeAdapter(ServerEvent)


# --------------------------------------------------------------------------- helpers


class ProtocolError(Exception):
    """A client frame the server refuses; send `to_event()` and keep the connection open."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def to_event(self, session_id: str | None = None) -> ErrorEvent:
        return ErrorEvent(error=self.message, code=self.code, session_id=session_id)


def _describe(error: ValidationError) -> str:
    """One line for the first problem, in terms a frontend developer recognises."""
    first = error.errors(include_url=False)[0]
    kind = first["type"]
    if kind == "json_invalid":
        return "The frame is not valid JSON."
    if kind == "union_tag_not_found":
        return "The frame has no 'type' field."
    if kind == "union_tag_invalid":
        expected = ", ".join(repr(tag) for tag in _CLIENT_TYPES)
        got = first.get("input", {})
        tag = got.get("type") if isinstance(got, dict) else None
        return f"Unknown frame type {tag!r}; expected one of {expected}."
    if kind in {"model_attributes_type", "model_type", "dict_type"} or not first["loc"]:
        return "The frame must be a JSON object."
    # loc starts with the union tag, then the field path.
    path = ".".join(str(part) for part in first["loc"][1:]) or str(first["loc"][0])
    if kind == "missing":
        return f"Field '{path}' is required."
    return f"Field '{path}': {first['msg']}."


_CLIENT_TYPES: Final[tuple[str, ...]] = tuple(
    str(model.model_fields["type"].default)
    for model in (
        AuthFrame,
        ChatFrame,
        CancelFrame,
        PingFrame,
        ResumeFrame,
        WatchFrame,
        UnwatchFrame,
    )
)


def parse_client_frame(raw: str | bytes) -> ClientMessage:
    """Parse and validate one text frame; raise ProtocolError(INVALID_MESSAGE) if it is bad."""
    try:
        return CLIENT_MESSAGE.validate_json(raw)
    except ValidationError as exc:
        raise ProtocolError(ErrorCode.INVALID_MESSAGE, _describe(exc)) from None


def check_message_text(message: str, max_chars: int) -> None:
    """Refuse a message with nothing to read (blank, or only invisible format characters such
    as zero-width spaces), one longer than `max_chars` characters, and one that cannot be
    stored as text (a NUL character, or half of a UTF-16 surrogate pair)."""
    if not _visible(message):
        raise ProtocolError(ErrorCode.EMPTY_MESSAGE, "The message is empty.")
    if len(message) > max_chars:
        raise ProtocolError(
            ErrorCode.MESSAGE_TOO_LARGE,
            f"The message has {len(message)} characters; the limit is {max_chars}.",
        )
    if "\x00" in message:
        raise ProtocolError(ErrorCode.INVALID_MESSAGE, "The message contains a NUL character.")
    try:
        message.encode("utf-8")
    except UnicodeEncodeError:
        raise ProtocolError(
            ErrorCode.INVALID_MESSAGE, "The message contains an unpaired UTF-16 surrogate."
        ) from None


def _visible(text: str) -> bool:
    """Whether `text` has a character that is neither white space nor an invisible format
    character (Unicode category Cf: zero-width spaces and joiners, direction marks, BOM)."""
    return any(not c.isspace() and unicodedata.category(c) != "Cf" for c in text)


def dump(event: ServerEventBase, *, partial_response: bool = True) -> str:
    """Serialise an event as compact JSON without None fields.

    `partial_response=False` (the client's ChatFrame.partial_response) drops the growing
    `partial_response` of token events; a cancelled event always keeps its partial response.
    """
    exclude = (
        None if partial_response or not isinstance(event, TokenEvent) else {"partial_response"}
    )
    return event.model_dump_json(exclude_none=True, exclude=exclude)
