// Types of the client (src/chat-socket.js); the protocol's own types and constants are
// generated into ./protocol.d.ts from docs/protocol.schema.json.
import type { ClientMessage, ServerEvent } from "./protocol.js";

export * from "./protocol.js";

export declare const KEEPALIVE_MS: number;
export declare const BACKOFF_BASE_MS: number;
export declare const BACKOFF_MAX_MS: number;
export declare const MAX_RESENDS: number;
export declare const CONNECT_TIMEOUT_MS: number;

/** A fresh id for `message_id`. */
export declare function newMessageId(): string;
/** `ws://host/path` (or `wss:`) for the page's own origin. */
export declare function sameOriginUrl(path: string, location?: { protocol: string; host: string }): string;

/** Each server event, by its `type`. */
export type ServerEventOf<T extends ServerEvent["type"]> = Extract<ServerEvent, { type: T }>;

export type Status = "connecting" | "open" | "reconnecting" | "closed";

/** The message sent whose turn has not started yet, with what the caller kept on it. */
export interface Pending {
  frame: Extract<ClientMessage, { type: "message" }>;
  text: string;
  resends: number;
  /** The turn that answers it, once the server named it (`session` or `queued`). */
  turnId?: string;
  [extra: string]: unknown;
}

/** The client's own notifications, beside the server's events. */
export interface ClientNotifications {
  status: { status: Status; [detail: string]: unknown };
  close: { code: number; reason: string; reconnectIn: number | null };
  gap: { from: number; to: number };
  claimed: { pending: Pending | null };
  refused: { pending: Pending; code: string };
  /** Sent while a turn ran, the message waits in the session's line for its turn `turnId`. */
  lined: { pending: Pending; position: number; turnId: string };
  /** The server stopped mid-answer (INTERRUPTED): the message is sent again; a new answer follows. */
  retrying: { pending: Pending; code: "INTERRUPTED" };
  session: { sessionId: string | null; lastSeq: number };
  bad_frame: { data: unknown };
  "*": ServerEvent;
}

export type ListenerMap = { [T in ServerEvent["type"]]: ServerEventOf<T> } & ClientNotifications;

export interface ChatSocketOptions {
  /** The WebSocket address (default: `/ws/chat`, or `path`, on the page's own origin). */
  url?: string;
  path?: string;
  /** Follow one chat session (default true; false for `/ws/staff`). */
  follow?: boolean;
  /** Where the session id and last seq are kept across page loads (e.g. sessionStorage). */
  storage?: Pick<Storage, "getItem" | "setItem" | "removeItem"> | null;
  storageKey?: string;
  keepaliveMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  maxResends?: number;
  /** A connection not open by then is given up and tried again (default 15 s). */
  connectTimeoutMs?: number;
  /** The WebSocket class to use (default: the global one). */
  WebSocket?: typeof WebSocket;
  /**
   * Token events with the growing answer so far (default false: the client joins the tokens
   * itself); asked once, in the auth frame. A message's own `partialResponse` overrides it.
   */
  partialResponse?: boolean;
}

export interface SendOptions {
  messageId?: string;
  partialResponse?: boolean;
  /** Staff only: the customer the message is sent for. */
  customerId?: string;
  /** While a turn runs: wait in line (`enqueue`, the server's default), stop it (`interrupt`),
   * or be refused BUSY (`reject`). */
  strategy?: "enqueue" | "interrupt" | "reject";
  [extra: string]: unknown;
}

/** One protocol connection: auth, reconnect with backoff and resume, idempotent resend. */
export declare class ChatSocket {
  constructor(options?: ChatSocketOptions);
  readonly url: string;
  status: Status;
  sessionId: string | null;
  lastSeq: number;
  pending: Pending | null;
  turnId: string | null;
  /** The message whose answer is being written, until its turn ends. */
  answering: Pending | null;
  user: { id: string; name: string; role: string } | null;
  readonly open: boolean;
  /** Messages waiting in the session's line, by the turn that will answer each. */
  lined: Map<string, Pending>;
  /** A message is waiting for its turn, or a turn is running. */
  readonly busy: boolean;
  /** `send` may send now: open, and the message before was taken (also while a turn runs). */
  readonly canSend: boolean;

  /** Listen; returns a function that stops listening. */
  on<K extends keyof ListenerMap>(type: K, handler: (event: ListenerMap[K]) => void): () => void;
  /** Open the connection with `token` (kept for reconnects). */
  connect(token?: string): void;
  /** Close for good: no reconnect. */
  disconnect(reason?: string): void;
  setSession(sessionId: string | null, lastSeq?: number): void;
  /** Forget the session: the next message starts a new one (false while busy). */
  newSession(): boolean;
  /** Send any protocol frame; false when the connection is not open. */
  sendFrame(frame: ClientMessage): boolean;
  /** Send a chat message: its frame, or null when it cannot go now (see `canSend`). */
  send(text: string, options?: SendOptions): Extract<ClientMessage, { type: "message" }> | null;
  /** Stop the running turn (the server answers `cancelled`). */
  cancel(): boolean;
  ping(timestamp?: number | string): boolean;
  /** Staff: follow one conversation. */
  watch(sessionId: string): boolean;
  unwatch(): boolean;
}
