// Generated from docs/protocol.schema.json by scripts/generate-protocol.mjs: do not edit.

/**
 * Generated from api/protocol/messages.py by `python -m api.protocol.schema`; see docs/protocol.md. Validate a client frame against #/$defs/ClientMessage and a server event against #/$defs/ServerEvent.
 */
export type Protocol = (ClientMessage | ServerEvent)
/**
 * A frame a client sends to the server.
 */
export type ClientMessage = (AuthFrame | ChatFrame | CancelFrame | PingFrame | ResumeFrame | WatchFrame | UnwatchFrame)
/**
 * An event the server sends to a client.
 */
export type ServerEvent = (AuthSuccess | AuthError | ProgressEvent | SourcesEvent | ToolCallEvent | ToolResultEvent | TokenEvent | CompleteEvent | CancelledEvent | ErrorEvent | PongEvent | SessionEvent | QueuedEvent | StaffMessageEvent | HandoffEvent | CustomerMessageEvent | ConversationEvent)
/**
 * Why a frame was refused or a turn failed; `docs/protocol.md` says what a client should do.
 */
export type ErrorCode = ("AUTH_REQUIRED" | "AUTH_FAILED" | "EMPTY_MESSAGE" | "INVALID_MESSAGE" | "MESSAGE_TOO_LARGE" | "RATE_LIMITED" | "OVERLOADED" | "UNAVAILABLE" | "BUSY" | "SESSION_NOT_FOUND" | "FORBIDDEN" | "LLM_UNAVAILABLE" | "LLM_EMPTY_REPLY" | "TIMEOUT" | "INTERRUPTED" | "PROCESSING_ERROR")

/**
 * Authenticate the connection; must be the first frame unless `?token=` was used.
 */
export interface AuthFrame {
/**
 * false → token events on this connection omit the growing partial_response field, unless a message frame asks for it.
 */
partial_response?: boolean
/**
 * A bearer token (JWT) issued by the account service.
 */
token: string
type: "auth"
}
/**
 * Send a customer message; starts a turn, or waits in the session's line for one while
 * another turn is under way (see `multitask_strategy`).
 */
export interface ChatFrame {
/**
 * Staff only: the customer on whose behalf the message is sent.
 */
customer_id?: (string | null)
/**
 * The customer's text. Empty → EMPTY_MESSAGE; too long → MESSAGE_TOO_LARGE.
 */
message: string
/**
 * A client-chosen id making retries idempotent within the session.
 */
message_id?: (string | null)
/**
 * What to do when a turn is already under way in the session: `enqueue` → stored and acknowledged `queued`, answered by a turn of its own after the turns before it, in order; `interrupt` → the turn under way ends `cancelled` (keeping what it streamed), then this message is answered (after any already in line); `reject` → refused BUSY. Omitted → the server's default (enqueue unless configured).
 */
multitask_strategy?: (("enqueue" | "interrupt" | "reject") | null)
/**
 * false → token events omit the growing partial_response field; omitted → as the auth frame chose (true unless it said false).
 */
partial_response?: (boolean | null)
/**
 * The session to continue or create; omitted → the server creates one.
 */
session_id?: (string | null)
type: "message"
}
/**
 * Stop the running turn of a session.
 */
export interface CancelFrame {
/**
 * Omitted → the session this connection last used.
 */
session_id?: (string | null)
type: "cancel"
}
/**
 * Application-level keepalive; answered by a pong echoing `timestamp`.
 */
export interface PingFrame {
/**
 * A finite number or a string (64 characters at most); echoed in the pong.
 */
timestamp?: (number | string | null)
type: "ping"
}
/**
 * After a reconnect: attach to a session and receive the events after `after_seq`.
 */
export interface ResumeFrame {
/**
 * The last seq received in this session (0: none).
 */
after_seq: number
/**
 * 1-128 characters from A-Z a-z 0-9 . _ : -
 */
session_id: string
type: "resume"
}
/**
 * Staff only (/ws/staff): follow one conversation's events live.
 */
export interface WatchFrame {
/**
 * 1-128 characters from A-Z a-z 0-9 . _ : -
 */
session_id: string
type: "watch"
}
/**
 * Staff only (/ws/staff): stop following the watched conversation.
 */
export interface UnwatchFrame {
type: "unwatch"
}
/**
 * The connection is authenticated.
 */
export interface AuthSuccess {
message: string
/**
 * Per-session event number, increasing by one; see resume.
 */
seq?: (number | null)
/**
 * The session the event belongs to.
 */
session_id?: (string | null)
/**
 * The turn the event belongs to.
 */
turn_id?: (string | null)
type: "auth_success"
user: UserInfo
}
/**
 * The authenticated user.
 */
export interface UserInfo {
id: string
name: string
role: ("customer" | "staff" | "admin")
}
/**
 * Authentication failed; the server closes the connection with code 4001.
 */
export interface AuthError {
message: string
/**
 * Per-session event number, increasing by one; see resume.
 */
seq?: (number | null)
/**
 * The session the event belongs to.
 */
session_id?: (string | null)
/**
 * The turn the event belongs to.
 */
turn_id?: (string | null)
type: "auth_error"
}
/**
 * The turn reached a new step.
 */
export interface ProgressEvent {
/**
 * The specialist agent working on it.
 */
agent?: (string | null)
/**
 * Human-readable text for the step.
 */
message: string
/**
 * Step `queued` only: the turn's place in line (1: next to start). Sent when the turn joins the line and again as it moves up; `starting` follows.
 */
position?: (number | null)
/**
 * Per-session event number, increasing by one; see resume.
 */
seq?: (number | null)
/**
 * The session the event belongs to.
 */
session_id?: (string | null)
step: ("queued" | "starting" | "agent_routing" | "rag_retrieval" | "generating")
/**
 * The turn the event belongs to.
 */
turn_id?: (string | null)
type: "progress"
}
/**
 * The passages retrieved for the turn (sent before generation starts).
 */
export interface SourcesEvent {
agent?: (string | null)
/**
 * Per-session event number, increasing by one; see resume.
 */
seq?: (number | null)
/**
 * The session the event belongs to.
 */
session_id?: (string | null)
sources: SourceRef[]
/**
 * The turn the event belongs to.
 */
turn_id?: (string | null)
type: "sources"
}
/**
 * A knowledge-base passage an answer is grounded in.
 */
export interface SourceRef {
/**
 * Section heading of the passage (may be empty).
 */
heading: string
/**
 * The number answers cite this passage by, as [n]; the same in every `sources` event of the turn.
 */
n?: (number | null)
/**
 * The page the passage starts on, for a document with pages (1-based).
 */
page?: (number | null)
/**
 * The page the passage ends on, when it runs onto later pages.
 */
page_end?: (number | null)
/**
 * Retrieval score; higher is more relevant.
 */
score: number
/**
 * The passage's text, whitespace collapsed (a table row a line), at most 300 characters, cut after a word with "…": what the citation points to.
 */
snippet?: (string | null)
/**
 * Path of the document in the knowledge base.
 */
source: string
}
/**
 * A specialist calls a tool (free slots, book, list or cancel appointments), in either
 * answer mode; its `tool_result` follows with the same `call_id`.
 */
export interface ToolCallEvent {
agent?: (string | null)
/**
 * What the tool was called with.
 */
arguments: {
[k: string]: unknown
}
/**
 * Pairs the call with its tool_result.
 */
call_id: string
/**
 * The tool, e.g. available_slots or book_appointment.
 */
name: string
/**
 * Per-session event number, increasing by one; see resume.
 */
seq?: (number | null)
/**
 * The session the event belongs to.
 */
session_id?: (string | null)
/**
 * The turn the event belongs to.
 */
turn_id?: (string | null)
type: "tool_call"
}
/**
 * What a tool gave back: `ok` false when it does not exist or failed.
 */
export interface ToolResultEvent {
agent?: (string | null)
call_id: string
name: string
ok: boolean
/**
 * Per-session event number, increasing by one; see resume.
 */
seq?: (number | null)
/**
 * The session the event belongs to.
 */
session_id?: (string | null)
/**
 * The first line of its reply, shortened.
 */
summary: string
/**
 * The turn the event belongs to.
 */
turn_id?: (string | null)
type: "tool_result"
}
/**
 * A piece of the answer; the tokens of a turn concatenate to `complete.response`.
 */
export interface TokenEvent {
/**
 * The answer so far (omitted when the client sent partial_response: false).
 */
partial_response?: (string | null)
/**
 * Per-session event number, increasing by one; see resume.
 */
seq?: (number | null)
/**
 * The session the event belongs to.
 */
session_id?: (string | null)
token: string
/**
 * The turn the event belongs to.
 */
turn_id?: (string | null)
type: "token"
}
/**
 * The turn finished; `response` is the whole answer.
 */
export interface CompleteEvent {
metadata: CompleteMetadata
response: string
/**
 * Per-session event number, increasing by one; see resume.
 */
seq?: (number | null)
/**
 * The session the event belongs to.
 */
session_id?: (string | null)
/**
 * The turn the event belongs to.
 */
turn_id?: (string | null)
type: "complete"
}
/**
 * Facts about a finished answer.
 */
export interface CompleteMetadata {
/**
 * The agent that wrote the answer.
 */
agent: string
/**
 * Every agent that took part, in order.
 */
agents: string[]
confidence: number
context: CompleteContext
/**
 * Why the offline answer stands in for the language model's: "model unreachable", "answer repeated the prompt", or, with a model that does not call tools, "answer changed the tool's result" or "model could not word the tool's result" (the tool's result is then the answer).
 */
degraded?: (string | null)
latency_ms: number
/**
 * Server id of the stored answer; use it for feedback.
 */
message_id?: (string | null)
/**
 * Who wrote the answer: the language model, or the offline answerer (also in LLM mode, while the model cannot give an answer: see `degraded`).
 */
mode: ("offline" | "llm")
/**
 * The tools the answer used, in call order (also kept with the stored answer).
 */
tools?: ToolUse[]
/**
 * true: the model was stopped before it ended its answer, at its token limit (LLM_MAX_TOKENS) or in a loop (the same text over and over): the answer is cut short.
 */
truncated?: (boolean | null)
}
/**
 * What the answer was grounded in.
 */
export interface CompleteContext {
/**
 * The passages themselves, as the turn's `sources` events listed them.
 */
passages: SourceRef[]
/**
 * The documents the answer is grounded in: each passage's `source` path, once, in the order of the passages' [n].
 */
sources: string[]
}
/**
 * A tool the answer used, as its `tool_call` and `tool_result` told it.
 */
export interface ToolUse {
agent?: (string | null)
arguments: {
[k: string]: unknown
}
call_id: string
name: string
/**
 * Whether it ran; null if the turn ended first.
 */
ok: (boolean | null)
/**
 * Its result's summary; null if none came.
 */
summary: (string | null)
}
/**
 * The turn was cancelled; `partial_response` is what had been generated.
 */
export interface CancelledEvent {
partial_response: string
/**
 * Per-session event number, increasing by one; see resume.
 */
seq?: (number | null)
/**
 * The session the event belongs to.
 */
session_id?: (string | null)
/**
 * The turn the event belongs to.
 */
turn_id?: (string | null)
type: "cancelled"
}
/**
 * A frame was refused, or a turn failed (see TURN_ENDING_ERRORS).
 */
export interface ErrorEvent {
code: ErrorCode
/**
 * Human-readable explanation.
 */
error: string
/**
 * Seconds to wait before retrying (RATE_LIMITED, OVERLOADED, UNAVAILABLE; LLM_UNAVAILABLE when the model's server named a wait).
 */
retry_after?: (number | null)
/**
 * Per-session event number, increasing by one; see resume.
 */
seq?: (number | null)
/**
 * The session the event belongs to.
 */
session_id?: (string | null)
/**
 * The turn the event belongs to.
 */
turn_id?: (string | null)
type: "error"
}
/**
 * The answer to a ping.
 */
export interface PongEvent {
/**
 * Per-session event number, increasing by one; see resume.
 */
seq?: (number | null)
/**
 * The session the event belongs to.
 */
session_id?: (string | null)
/**
 * The ping's timestamp, unchanged.
 */
timestamp?: (number | string | null)
/**
 * The turn the event belongs to.
 */
turn_id?: (string | null)
type: "pong"
}
/**
 * The connection is attached to a session: first reply to every accepted message frame,
 * and the last reply to a resume (after the replayed events). It takes no seq of its own.
 */
export interface SessionEvent {
/**
 * true: the session was created by this message.
 */
created: boolean
/**
 * The session's latest seq when the connection attached (0: none yet); a client sets its last seen seq to it.
 */
last_seq?: (number | null)
/**
 * Per-session event number, increasing by one; see resume.
 */
seq?: (number | null)
/**
 * The session id to store and send back.
 */
session_id: string
/**
 * The turn the event belongs to.
 */
turn_id?: (string | null)
type: "session"
}
/**
 * A message sent while a turn was under way is stored in the session's line: its turn
 * (`turn_id`) starts once the turns before it end, and its events follow as any turn's.
 * Sent to the connection that sent it, after `session`; it takes no seq of its own.
 */
export interface QueuedEvent {
/**
 * true: the message asked to interrupt; the turn under way is being cancelled.
 */
interrupting?: boolean
/**
 * The message frame's message_id, when it had one.
 */
message_id?: (string | null)
/**
 * Its place in the line (1: answered next).
 */
position: number
/**
 * Per-session event number, increasing by one; see resume.
 */
seq?: (number | null)
/**
 * The session the message waits in.
 */
session_id: string
/**
 * The turn that will answer it.
 */
turn_id: string
type: "queued"
}
/**
 * A human staff member wrote in the session.
 */
export interface StaffMessageEvent {
message: string
/**
 * Per-session event number, increasing by one; see resume.
 */
seq?: (number | null)
/**
 * The session the event belongs to.
 */
session_id?: (string | null)
staff_name: string
/**
 * The turn the event belongs to.
 */
turn_id?: (string | null)
type: "staff_message"
}
/**
 * The session moves between the assistant and human staff.
 */
export interface HandoffEvent {
message: string
/**
 * On `closed`: rate the conversation from 1 to 5 with POST /api/v1/sessions/{session_id}/rating
 */
rating_asked?: (boolean | null)
/**
 * Per-session event number, increasing by one; see resume.
 */
seq?: (number | null)
/**
 * The session the event belongs to.
 */
session_id?: (string | null)
status: ("waiting" | "staff_joined" | "returned_to_bot" | "closed")
/**
 * The turn the event belongs to.
 */
turn_id?: (string | null)
type: "handoff"
}
/**
 * The customer wrote while a person has the conversation (seen by staff watchers).
 */
export interface CustomerMessageEvent {
message: string
/**
 * Server id of the stored message.
 */
message_id: string
/**
 * Per-session event number, increasing by one; see resume.
 */
seq?: (number | null)
/**
 * The session the event belongs to.
 */
session_id?: (string | null)
/**
 * The turn the event belongs to.
 */
turn_id?: (string | null)
type: "customer_message"
}
/**
 * Staff only (/ws/staff): a conversation changed; upsert it in the list.
 */
export interface ConversationEvent {
conversation: ConversationSummary
/**
 * Per-session event number, increasing by one; see resume.
 */
seq?: (number | null)
/**
 * The session the event belongs to.
 */
session_id?: (string | null)
/**
 * The turn the event belongs to.
 */
turn_id?: (string | null)
type: "conversation"
}
/**
 * A row of the staff console's conversation list.
 */
export interface ConversationSummary {
assigned_staff?: (PersonRef | null)
confidence?: (number | null)
customer: PersonRef
last_message?: (LastMessage | null)
route?: (string | null)
session_id: string
status: ("bot" | "waiting" | "with_staff" | "closed")
updated_at: string
/**
 * While the status is `waiting`: when it began waiting for a person (UTC)
 */
waiting_since?: (string | null)
}
export interface PersonRef {
id: string
name: string
}
export interface LastMessage {
content: string
created_at: string
role: ("user" | "assistant" | "staff" | "system")
}

export declare const EVENT_TYPES: readonly ["auth_error", "auth_success", "cancelled", "complete", "conversation", "customer_message", "error", "handoff", "pong", "progress", "queued", "session", "sources", "staff_message", "token", "tool_call", "tool_result"];
export declare const FRAME_TYPES: readonly ["auth", "cancel", "message", "ping", "resume", "unwatch", "watch"];
export declare const ERROR_CODES: readonly ["AUTH_REQUIRED", "AUTH_FAILED", "EMPTY_MESSAGE", "INVALID_MESSAGE", "MESSAGE_TOO_LARGE", "RATE_LIMITED", "OVERLOADED", "UNAVAILABLE", "BUSY", "SESSION_NOT_FOUND", "FORBIDDEN", "LLM_UNAVAILABLE", "LLM_EMPTY_REPLY", "TIMEOUT", "INTERRUPTED", "PROCESSING_ERROR"];
export declare const TURN_ENDING_ERRORS: readonly ["INTERRUPTED", "LLM_EMPTY_REPLY", "LLM_UNAVAILABLE", "PROCESSING_ERROR", "TIMEOUT"];
export declare const PROGRESS_STEPS: readonly ["queued", "starting", "agent_routing", "rag_retrieval", "generating"];
export declare const HANDOFF_STATUSES: readonly ["waiting", "staff_joined", "returned_to_bot", "closed"];
export declare const CONVERSATION_STATUSES: readonly ["bot", "waiting", "with_staff", "closed"];
export declare const ROLES: readonly ["customer", "staff", "admin"];
export declare const CLOSE_CODES: { readonly "1000": "Closed normally (client disconnect, or the idle timeout)."; readonly "1009": "The frame was too large."; readonly "4001": "Authentication required or failed, or the token expired."; readonly "4003": "Forbidden: the page's origin is not allowed, or the token's role is not."; readonly "4008": "The client did not read its events: too many waiting, or none could be sent for too long. Reconnect and resume." };
export declare const CLOSE_NO_RECONNECT: readonly [1000, 4001, 4003];
export declare const MAX_MESSAGE_CHARS: 4000;
export declare const MAX_FRAME_BYTES: 65536;
export declare const IDLE_TIMEOUT_S: 300;
