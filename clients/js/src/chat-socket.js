// A client for the support chat WebSocket protocol (docs/protocol.md): one connection that
// authenticates, reconnects with backoff, keeps itself alive and, on `/ws/chat`, follows one
// session: events numbered by `seq` are delivered once, a reconnect resumes from the last one
// seen, and a message whose turn had not started is sent again under the same `message_id`
// (the server runs it at most once).
//
// No runtime dependencies: it needs a WebSocket (the browser's, or `options.WebSocket`) and
// optionally a Storage (sessionStorage) to keep the session across page loads.

import { CLOSE_NO_RECONNECT, IDLE_TIMEOUT_S, TURN_ENDING_ERRORS } from "./protocol.js";

// A ping well inside the server's idle timeout keeps an idle connection open.
export const KEEPALIVE_MS = Math.min(45000, (IDLE_TIMEOUT_S * 1000) / 4);
export const BACKOFF_BASE_MS = 500;
export const BACKOFF_MAX_MS = 15000;
export const MAX_RESENDS = 3;
// A connection not open by then is given up and tried again.
export const CONNECT_TIMEOUT_MS = 15000;

/** A fresh id for `message_id`: 1–128 characters from the protocol's identifier alphabet. */
export function newMessageId() {
  const crypto = globalThis.crypto;
  if (crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  if (crypto && typeof crypto.getRandomValues === "function") crypto.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i += 1) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** `ws://host/path` (or `wss:`) for the page's own origin. */
export function sameOriginUrl(path, location = globalThis.location) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

/**
 * One protocol connection.
 *
 * Listen with `on(type, handler)`; `type` is a server event type (`auth_success`, `progress`,
 * `token`, `complete`, `customer_message`, …), `"*"` for every event, or one of the client's
 * own notifications:
 * - `status`: `{status}`, one of connecting, open, reconnecting, closed;
 * - `close`: `{code, reason, reconnectIn}` (`reconnectIn` null when it will not reconnect);
 * - `gap`: `{from, to}`, events of the session this client never received;
 * - `claimed`: `{pending}`, a message's turn has started (or its answer arrived);
 * - `lined`: `{pending, position, turnId}`, a message sent while a turn ran waits in the
 *   session's line: its own turn `turnId` comes after the turns before it (the server's
 *   `queued` event, with the message it is about);
 * - `refused`: `{pending, code}`, the pending message was not taken (its text can be restored);
 * - `retrying`: `{pending, code}`, the server stopped mid-answer (`INTERRUPTED`): the message is
 *   sent again under its `message_id` (at most `maxResends` times), a new answer follows;
 * - `session`: after the session id or last seq changed (`{sessionId, lastSeq}`);
 * - `bad_frame`: the server sent something that is not JSON.
 */
export class ChatSocket {
  constructor(options = {}) {
    this.url = options.url || sameOriginUrl(options.path || "/ws/chat");
    this.follow = options.follow !== false; // follow a chat session (false for /ws/staff)
    this.storage = options.storage || null;
    this.storageKey = options.storageKey || "support.chat";
    this.keepaliveMs = options.keepaliveMs ?? KEEPALIVE_MS;
    this.backoffBaseMs = options.backoffBaseMs ?? BACKOFF_BASE_MS;
    this.backoffMaxMs = options.backoffMaxMs ?? BACKOFF_MAX_MS;
    this.maxResends = options.maxResends ?? MAX_RESENDS;
    this.connectTimeoutMs = options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
    // Token events without the growing answer so far (the client joins the tokens), asked
    // once for the connection in its auth frame; a message may still ask for it.
    this.partialResponse = options.partialResponse ?? false;
    this.WebSocket = options.WebSocket || globalThis.WebSocket;
    this.token = "";
    this.status = "closed";
    this.user = null;
    this.ws = null;
    this.attempt = 0;
    this.userClosed = false;
    this.authFailed = false;
    this.resuming = false;
    this.reconnectTimer = null;
    this.keepaliveTimer = null;
    // The message sent and not yet taken (no `session` or `queued` reply for it yet, or its
    // turn has not started): { frame, text, resends, turnId, ...extra }.
    this.pending = null;
    // Messages waiting in the session's line, by the turn that will answer them.
    this.lined = new Map();
    // The turn running in the followed session (its first event arrived), or null.
    this.turnId = null;
    // The message whose turn runs (claimed, not answered yet): sent again if the server
    // stopped mid-answer (`INTERRUPTED`), since that turn will never finish.
    this.answering = null;
    this.listeners = new Map();
    this.sessionId = this._load("session_id") || null;
    this.lastSeq = Number(this._load("last_seq") || 0) || 0;
  }

  // ------------------------------------------------------------------ listeners

  on(type, handler) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type).add(handler);
    return () => this.listeners.get(type).delete(handler);
  }

  emit(type, detail) {
    for (const handler of this.listeners.get(type) || []) handler(detail);
  }

  // ------------------------------------------------------------------ state

  get open() {
    return this.status === "open";
  }

  /** A message is waiting for its turn, or a turn is running. */
  get busy() {
    return this.pending !== null || this.turnId !== null || this.lined.size > 0;
  }

  /** Whether `send` may send now: open, and the message before was taken (a message sent
   * while an answer streams waits in the session's line, or interrupts it). */
  get canSend() {
    return this.open && this.pending === null;
  }

  _load(name) {
    return this.storage ? this.storage.getItem(`${this.storageKey}.${name}`) : null;
  }

  _store(name, value) {
    if (!this.storage) return;
    const key = `${this.storageKey}.${name}`;
    if (value === null || value === undefined) this.storage.removeItem(key);
    else this.storage.setItem(key, String(value));
  }

  setSession(sessionId, lastSeq = 0) {
    this.sessionId = sessionId || null;
    this._store("session_id", this.sessionId);
    this.setLastSeq(lastSeq);
  }

  setLastSeq(seq) {
    this.lastSeq = seq;
    this._store("last_seq", seq);
    this.emit("session", { sessionId: this.sessionId, lastSeq: seq });
  }

  /** Forget the session: the next message starts a new one. */
  newSession() {
    if (this.busy) return false;
    this.setSession(null, 0);
    return true;
  }

  _setStatus(status, detail = {}) {
    this.status = status;
    this.emit("status", { status, ...detail });
  }

  // ------------------------------------------------------------------ connection

  /** Open the connection with `token` (kept for reconnects). */
  connect(token) {
    if (token !== undefined) this.token = token;
    if (this.ws || this.reconnectTimer) return;
    this.userClosed = false;
    this.authFailed = false;
    this.attempt = 0;
    this._open();
  }

  /** Close for good: no reconnect. */
  disconnect(reason = "client disconnect") {
    this.userClosed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this._stopKeepalive();
    const ws = this.ws;
    this.ws = null;
    if (ws && ws.readyState === ws.CONNECTING) {
      // Closing a socket that is still connecting makes a browser log an error.
      ws.addEventListener("open", () => ws.close(1000, reason));
    } else if (ws) {
      ws.close(1000, reason);
    }
    this.resuming = false;
    this._setStatus("closed");
  }

  _open() {
    this.reconnectTimer = null;
    this._setStatus(this.attempt > 0 ? "reconnecting" : "connecting");
    let ws;
    try {
      ws = new this.WebSocket(this.url);
    } catch (error) {
      this._setStatus("closed", { error: String(error) });
      return;
    }
    this.ws = ws;
    ws.addEventListener("open", () => {
      if (this.ws === ws) {
        const auth = { type: "auth", token: this.token, partial_response: this.partialResponse };
        ws.send(JSON.stringify(auth));
      }
    });
    ws.addEventListener("message", (message) => {
      if (this.ws !== ws || typeof message.data !== "string") return;
      let event;
      try {
        event = JSON.parse(message.data);
      } catch (_) {
        this.emit("bad_frame", { data: message.data });
        return;
      }
      this._receive(event);
    });
    ws.addEventListener("close", (close) => this._closed(ws, close));
    // Browsers follow a failed connection's `error` with `close`; Node 20's WebSocket does not
    // (it stays CONNECTING), and a connection may also just hang: either way, retry.
    const failed = (reason) => {
      if (this.ws === ws && ws.readyState === ws.CONNECTING) {
        this._closed(ws, { code: 1006, reason });
        try {
          ws.close();
        } catch (_) {
          // not open yet: nothing to close
        }
      }
    };
    ws.addEventListener("error", () => failed("connection failed"));
    const timer = setTimeout(() => failed("connection timed out"), this.connectTimeoutMs);
    ws.addEventListener("open", () => clearTimeout(timer));
    ws.addEventListener("close", () => clearTimeout(timer));
  }

  _closed(ws, close) {
    if (this.ws !== ws) return;
    this.ws = null;
    this.user = null;
    this.resuming = false;
    this._stopKeepalive();
    const final = this.userClosed || this.authFailed || CLOSE_NO_RECONNECT.includes(close.code);
    if (close.code === 1009 && this.pending) this._refuse("MESSAGE_TOO_LARGE");
    if (final) {
      this.emit("close", { code: close.code, reason: close.reason, reconnectIn: null });
      this._setStatus("closed");
      return;
    }
    const exponential = Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** this.attempt);
    const delay = exponential * (0.5 + Math.random() / 2);
    this.attempt += 1;
    this.emit("close", { code: close.code, reason: close.reason, reconnectIn: delay });
    this._setStatus("reconnecting", { delay, attempt: this.attempt });
    this.reconnectTimer = setTimeout(() => this._open(), delay);
  }

  _startKeepalive() {
    this._stopKeepalive();
    if (this.keepaliveMs > 0) {
      this.keepaliveTimer = setInterval(() => {
        this.sendFrame({ type: "ping", timestamp: "keepalive" });
      }, this.keepaliveMs);
    }
  }

  _stopKeepalive() {
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = null;
  }

  /** Send any protocol frame; false when the connection is not open. */
  sendFrame(frame) {
    if (!this.ws || this.ws.readyState !== this.ws.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  // ------------------------------------------------------------------ actions

  /**
   * Send a chat message; returns its frame, or null when it cannot be sent now (`canSend`).
   * While a turn runs the message waits in the session's line (`lined`), or with
   * `strategy: "interrupt"` stops that turn first. `extra` is kept on `pending` for the
   * caller (say, the element showing the message).
   */
  send(text, { messageId, partialResponse, customerId, strategy, ...extra } = {}) {
    if (!this.canSend) return null;
    const frame = { type: "message", message: text, message_id: messageId || newMessageId() };
    if (partialResponse !== undefined) frame.partial_response = partialResponse;
    if (customerId) frame.customer_id = customerId;
    if (strategy) frame.multitask_strategy = strategy;
    if (this.sessionId) frame.session_id = this.sessionId;
    this.pending = { frame, text, resends: 0, ...extra };
    this.sendFrame(frame);
    return frame;
  }

  /** Ask the server to stop the running turn; it answers with `cancelled`. */
  cancel() {
    if (!this.busy) return false;
    const frame = { type: "cancel" };
    if (this.sessionId) frame.session_id = this.sessionId;
    return this.sendFrame(frame);
  }

  ping(timestamp = Date.now()) {
    return this.sendFrame({ type: "ping", timestamp });
  }

  /** Staff: follow one conversation (its recent events are replayed first). */
  watch(sessionId) {
    return this.sendFrame({ type: "watch", session_id: sessionId });
  }

  unwatch() {
    return this.sendFrame({ type: "unwatch" });
  }

  // Send the pending message again (same message_id: the server runs it at most once).
  _resend() {
    const pending = this.pending;
    if (!pending) return;
    if (pending.resends >= this.maxResends) {
      this._refuse("RESEND_FAILED");
      return;
    }
    pending.resends += 1;
    if (this.sessionId) pending.frame.session_id = this.sessionId;
    else delete pending.frame.session_id;
    this.sendFrame(pending.frame);
  }

  _refuse(code) {
    const pending = this.pending;
    if (!pending) return;
    this.pending = null;
    this.emit("refused", { pending, code });
  }

  // An event of turn `turnId` arrived: the message that turn answers has been taken.
  _claim(turnId) {
    const lined = turnId ? this.lined.get(turnId) : undefined;
    if (lined) {
      this.lined.delete(turnId);
      this.answering = lined;
      this.emit("claimed", { pending: lined });
      return;
    }
    const pending = this.pending;
    if (!pending || this.resuming) return;
    // Not by the events of a turn that was running before the message was sent.
    const its = pending.turnId ? pending.turnId === turnId : !turnId || turnId !== this.turnId;
    if (!its) return;
    this.pending = null;
    this.answering = pending;
    this.emit("claimed", { pending });
  }

  // The server restarted while answering: ask again (same message_id; the failed turn does not
  // count as an answer, so a new one runs), a bounded number of times.
  _retryInterrupted() {
    const message = this.answering;
    this.answering = null;
    if (!message || message.resends >= this.maxResends) return false;
    this.pending = message;
    this.emit("retrying", { pending: message, code: "INTERRUPTED" });
    if (!this.resuming) this._resend(); // else the `session` that ends the replay sends it
    return true;
  }

  // ------------------------------------------------------------------ events

  _receive(ev) {
    if (!ev || typeof ev.type !== "string") return;
    if (this.follow && !this._inOrder(ev)) return;
    this._track(ev);
    this.emit(ev.type, ev);
    this.emit("*", ev);
  }

  // Drops what was seen already (a replay after resume) and reports what was missed.
  _inOrder(ev) {
    const other = Boolean(ev.session_id && this.sessionId && ev.session_id !== this.sessionId);
    if (other) return ev.type === "session";
    if (typeof ev.seq === "number" && ev.session_id) {
      if (ev.seq <= this.lastSeq) return false;
      if (ev.seq > this.lastSeq + 1) this.emit("gap", { from: this.lastSeq + 1, to: ev.seq - 1 });
      this.setLastSeq(ev.seq);
    }
    return true;
  }

  _track(ev) {
    switch (ev.type) {
      case "auth_success":
        this.user = ev.user || null;
        this.attempt = 0;
        this._setStatus("open");
        this._startKeepalive();
        if (!this.follow) break;
        if (this.sessionId) {
          // Replays what was missed; a `session` event marks the end of the replay.
          this.resuming = true;
          this.sendFrame({ type: "resume", session_id: this.sessionId, after_seq: this.lastSeq });
        } else if (this.pending) {
          this._resend();
        }
        break;
      case "auth_error":
        this.authFailed = true;
        break;
      case "session":
        if (!this.follow) break;
        if (ev.session_id !== this.sessionId) {
          this.setSession(ev.session_id, typeof ev.last_seq === "number" ? ev.last_seq : 0);
        } else if (typeof ev.last_seq === "number") {
          // The server no longer holds what came after our last seq (it forgot the idle
          // session, or a crash moved the numbering on): the caller reloads the transcript.
          if (ev.last_seq > this.lastSeq) this.emit("gap", { from: this.lastSeq + 1, to: ev.last_seq });
          this.setLastSeq(ev.last_seq);
        }
        if (ev.turn_id && this.pending && !this.resuming) this.pending.turnId = ev.turn_id;
        else if (ev.turn_id && !this.pending && this.turnId === null) this.turnId = ev.turn_id;
        if (this.resuming) {
          this.resuming = false;
          if (this.pending) this._resend();
        }
        break;
      case "queued":
        // The message is stored in the session's line; its turn comes later.
        if (!this.follow || !this.pending) break;
        {
          const pending = this.pending;
          pending.turnId = ev.turn_id;
          this.lined.set(ev.turn_id, pending);
          this.pending = null; // the next message may go
          this.emit("lined", { pending, position: ev.position, turnId: ev.turn_id });
        }
        break;
      case "progress":
      case "sources":
      case "tool_call":
      case "tool_result":
      case "token":
        if (!this.follow) break;
        this._claim(ev.turn_id);
        this.turnId = ev.turn_id || this.turnId;
        break;
      case "complete":
      case "cancelled":
        if (!this.follow) break;
        this._claim(ev.turn_id);
        if (!ev.turn_id || ev.turn_id === this.turnId) this.turnId = null;
        this.answering = null;
        break;
      case "customer_message":
        // A person has the conversation: the message was stored and shown to them.
        if (this.follow) this._claim(null);
        break;
      case "error":
        if (this.follow) this._failed(ev);
        break;
      default:
        break;
    }
  }

  _failed(ev) {
    if (TURN_ENDING_ERRORS.includes(ev.code)) {
      const lined = ev.turn_id ? this.lined.get(ev.turn_id) : undefined;
      if (lined) {
        // The turn that was to answer a lined message failed: it is refused like a pending one.
        this.lined.delete(ev.turn_id);
        this.emit("refused", { pending: lined, code: ev.code });
        return;
      }
      const mine = this.pending && (this.pending.turnId ? this.pending.turnId === ev.turn_id : true);
      if (mine && !(ev.turn_id && ev.turn_id === this.turnId && !this.pending.turnId)) {
        this._refuse(ev.code);
      }
      if (!ev.turn_id || ev.turn_id === this.turnId) this.turnId = null;
      if (ev.code === "INTERRUPTED" && !this.pending && this._retryInterrupted()) return;
      this.answering = null;
      return;
    }
    if (this.resuming && (ev.code === "SESSION_NOT_FOUND" || ev.code === "FORBIDDEN")) {
      // The stored session is gone or not ours: start afresh.
      this.resuming = false;
      this.setSession(null, 0);
      if (this.pending) this._resend();
      return;
    }
    if (this.pending) this._refuse(ev.code);
  }
}
