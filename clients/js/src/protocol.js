// Generated from docs/protocol.schema.json by scripts/generate-protocol.mjs: do not edit.
// Limits are the server's defaults; a deployment may configure others.

export const EVENT_TYPES = Object.freeze(["auth_error","auth_success","cancelled","complete","conversation","customer_message","error","handoff","pong","progress","queued","session","sources","staff_message","token","tool_call","tool_result"]);
export const FRAME_TYPES = Object.freeze(["auth","cancel","message","ping","resume","unwatch","watch"]);
export const ERROR_CODES = Object.freeze(["AUTH_REQUIRED","AUTH_FAILED","EMPTY_MESSAGE","INVALID_MESSAGE","MESSAGE_TOO_LARGE","RATE_LIMITED","OVERLOADED","UNAVAILABLE","BUSY","SESSION_NOT_FOUND","FORBIDDEN","LLM_UNAVAILABLE","LLM_EMPTY_REPLY","TIMEOUT","INTERRUPTED","PROCESSING_ERROR"]);
export const TURN_ENDING_ERRORS = Object.freeze(["INTERRUPTED","LLM_EMPTY_REPLY","LLM_UNAVAILABLE","PROCESSING_ERROR","TIMEOUT"]);
export const PROGRESS_STEPS = Object.freeze(["queued","starting","agent_routing","rag_retrieval","generating"]);
export const HANDOFF_STATUSES = Object.freeze(["waiting","staff_joined","returned_to_bot","closed"]);
export const CONVERSATION_STATUSES = Object.freeze(["bot","waiting","with_staff","closed"]);
export const ROLES = Object.freeze(["customer","staff","admin"]);
export const CLOSE_CODES = Object.freeze({"1000":"Closed normally (client disconnect, or the idle timeout).","1009":"The frame was too large.","4001":"Authentication required or failed, or the token expired.","4003":"Forbidden: the page's origin is not allowed, or the token's role is not.","4008":"The client did not read its events: too many waiting, or none could be sent for too long. Reconnect and resume."});
export const CLOSE_NO_RECONNECT = Object.freeze([1000,4001,4003]);
export const MAX_MESSAGE_CHARS = 4000;
export const MAX_FRAME_BYTES = 65536;
export const IDLE_TIMEOUT_S = 300;
