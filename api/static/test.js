// Test page for the chat WebSocket (/ws/chat); the protocol is described in docs/protocol.md.
// The DOM is built with createElement and textContent only: model, staff and user text is
// never parsed as HTML.
"use strict";

(() => {
  const STORAGE = {
    token: "support.test.token",
    session: "support.test.session_id",
    lastSeq: "support.test.last_seq",
  };
  const STEP_LABELS = {
    sent: "Sending…",
    starting: "Starting…",
    agent_routing: "Routing…",
    rag_retrieval: "Searching the knowledge base…",
    generating: "Writing the answer…",
  };
  const HANDOFF_LABELS = {
    waiting: "Waiting for staff",
    staff_joined: "Staff joined",
    returned_to_bot: "Back to the assistant",
  };
  const CLOSE_REASONS = {
    1009: "The frame was too large (over 64 KiB).",
    4001: "Authentication required or failed.",
    4003: "Forbidden: this page's origin is not in ALLOWED_ORIGINS.",
  };
  // Errors that end a running turn; every other error refuses a frame.
  const TURN_ENDING = new Set(["LLM_UNAVAILABLE", "TIMEOUT", "PROCESSING_ERROR"]);
  // Close codes after which reconnecting would not help (or was not wanted).
  const NO_RECONNECT = new Set([1000, 4001, 4003]);
  const MAX_CHARS = 4000;
  const KEEPALIVE_MS = 45000;
  const BACKOFF_BASE_MS = 500;
  const BACKOFF_MAX_MS = 15000;
  const MAX_RESENDS = 3;

  const $ = (id) => document.getElementById(id);
  const els = {
    token: $("token"),
    connect: $("connect"),
    disconnect: $("disconnect"),
    status: $("status"),
    sessionId: $("session-id"),
    newSession: $("new-session"),
    user: $("user"),
    ping: $("ping"),
    pingResult: $("ping-result"),
    error: $("error"),
    messages: $("messages"),
    progress: $("progress"),
    composer: $("composer"),
    input: $("message-input"),
    charCount: $("char-count"),
    send: $("send"),
    cancel: $("cancel"),
  };

  const state = {
    ws: null,
    status: "closed",
    token: "",
    userClosed: false,
    attempt: 0,
    reconnectTimer: null,
    keepaliveTimer: null,
    authenticated: false,
    sessionId: sessionStorage.getItem(STORAGE.session) || null,
    lastSeq: Number(sessionStorage.getItem(STORAGE.lastSeq) || 0) || 0,
    resuming: false,
    // The message sent whose turn has not started yet: { frame, text, userBubble, resends }.
    pending: null,
    // The turn that is running (its first event has arrived), or null.
    turnId: null,
    // turn_id → { bubble, content, sources, meta, feedback, text }
    turns: new Map(),
    localTurns: 0,
  };

  // ------------------------------------------------------------------ small DOM helpers

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function scrollToEnd() {
    els.messages.scrollTop = els.messages.scrollHeight;
  }

  function newId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    const bytes = window.crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function wsUrl() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${window.location.host}/ws/chat`;
  }

  // ------------------------------------------------------------------ state shown on the page

  function setStatus(status) {
    state.status = status;
    els.status.textContent = status;
    els.status.dataset.state = status;
    updateControls();
  }

  function busy() {
    return state.pending !== null || state.turnId !== null;
  }

  function updateControls() {
    const open = state.status === "open";
    els.connect.disabled = state.status !== "closed";
    els.disconnect.disabled = state.status === "closed";
    els.send.disabled = !open || busy();
    els.cancel.disabled = !open || !busy();
    els.ping.disabled = !open;
    els.newSession.disabled = busy();
  }

  function setSession(id) {
    state.sessionId = id || null;
    if (state.sessionId) sessionStorage.setItem(STORAGE.session, state.sessionId);
    else sessionStorage.removeItem(STORAGE.session);
    els.sessionId.textContent = state.sessionId || "";
  }

  function setLastSeq(seq) {
    state.lastSeq = seq;
    sessionStorage.setItem(STORAGE.lastSeq, String(seq));
  }

  function showError(code, message) {
    els.error.replaceChildren(
      el("strong", "error-code", code),
      el("span", "error-message", message || ""),
    );
    els.error.dataset.code = String(code);
    els.error.hidden = false;
  }

  function clearError() {
    els.error.hidden = true;
    els.error.replaceChildren();
    delete els.error.dataset.code;
  }

  function setProgress(step, agent, fallback) {
    let text = STEP_LABELS[step] || fallback || step;
    if (agent) text += ` (${agent})`;
    els.progress.textContent = text;
    els.progress.dataset.step = step;
    els.progress.hidden = false;
  }

  function clearProgress() {
    els.progress.hidden = true;
    els.progress.textContent = "";
    delete els.progress.dataset.step;
  }

  function updateCharCount() {
    const length = els.input.value.length;
    els.charCount.textContent = `${length} / ${MAX_CHARS}`;
    els.charCount.classList.toggle("over", length > MAX_CHARS);
  }

  // ------------------------------------------------------------------ bubbles

  function addBubble(kind) {
    const bubble = el("article", `message ${kind}`);
    els.messages.append(bubble);
    return bubble;
  }

  function addUserBubble(text) {
    const bubble = addBubble("user");
    bubble.append(el("div", "role", "You"), el("div", "content", text));
    scrollToEnd();
    return bubble;
  }

  function addNotice(text) {
    const bubble = addBubble("notice");
    bubble.append(el("div", "content", text));
    scrollToEnd();
    return bubble;
  }

  function turnFor(turnId) {
    const id = turnId || `local-${++state.localTurns}`;
    let turn = state.turns.get(id);
    if (turn) return turn;
    const bubble = addBubble("assistant streaming");
    bubble.dataset.turnId = id;
    const role = el("div", "role", "Assistant");
    const content = el("div", "content");
    const sources = el("div", "sources");
    sources.hidden = true;
    sources.append(el("div", "sources-label", "Sources"), el("ul"));
    const meta = el("div", "meta");
    meta.hidden = true;
    const feedback = el("div", "feedback");
    feedback.hidden = true;
    bubble.append(role, content, sources, meta, feedback);
    turn = { id, bubble, role, content, sources, meta, feedback, text: "" };
    state.turns.set(id, turn);
    scrollToEnd();
    return turn;
  }

  // A turn event arrived outside a replay: the pending message is being (or was) answered.
  function claimPending() {
    if (!state.pending || state.resuming) return;
    state.pending.userBubble.classList.remove("sending");
    state.pending = null;
  }

  // Any event of a running turn.
  function startTurn(ev) {
    const turn = turnFor(ev.turn_id);
    claimPending();
    if (!turn.bubble.classList.contains("streaming")) return turn;
    state.turnId = turn.id;
    updateControls();
    return turn;
  }

  function endTurn(turn, cssClass) {
    turn.bubble.classList.remove("streaming");
    if (cssClass) turn.bubble.classList.add(cssClass);
    if (state.turnId === turn.id || state.turnId === null) {
      state.turnId = null;
      clearProgress();
    }
    updateControls();
  }

  // The answer as rendered Markdown; `data-text` keeps the text exactly as streamed.
  function showAnswer(turn) {
    turn.content.classList.add("markdown");
    turn.content.replaceChildren(Markdown.render(turn.text));
    turn.content.dataset.text = turn.text;
  }

  // A turn's sources accumulate over its specialists' `sources` events: numbered as the
  // answer cites them, each document's title once with its passages under it.
  function renderSources(turn, sources) {
    turn.sourceRefs = [...(turn.sourceRefs || []), ...(sources || [])];
    const list = turn.sources.querySelector("ul");
    list.replaceChildren();
    for (const group of Markdown.groupSources(turn.sourceRefs)) {
      const item = el("li", "source");
      item.append(el("span", "source-title", group.title));
      item.append(el("code", "source-path", group.source));
      const passages = el("ol", "source-passages");
      for (const passage of group.passages) {
        const line = el("li", "source-passage");
        if (passage.n !== undefined && passage.n !== null) {
          line.append(el("span", "source-n", `[${passage.n}]`));
        }
        const heading = (passage.heading || "").split(" > ").pop();
        line.append(el("span", "source-heading", heading || group.title));
        const score = typeof passage.score === "number" ? passage.score.toFixed(2) : "";
        line.append(el("span", "source-score", score));
        passages.append(line);
      }
      item.append(passages);
      list.append(item);
    }
    turn.sources.hidden = list.children.length === 0;
  }

  function renderMeta(turn, metadata) {
    const parts = [metadata.agent];
    if (metadata.agents && metadata.agents.length > 1) parts[0] = metadata.agents.join(" → ");
    if (typeof metadata.confidence === "number") {
      parts.push(`confidence ${metadata.confidence.toFixed(2)}`);
    }
    if (typeof metadata.latency_ms === "number") parts.push(`${metadata.latency_ms} ms`);
    if (metadata.mode) parts.push(metadata.mode);
    turn.meta.textContent = parts.filter(Boolean).join(" · ");
    turn.meta.hidden = false;
  }

  function renderFeedback(turn, messageId) {
    const box = turn.feedback;
    box.replaceChildren();
    box.hidden = false;
    if (messageId) turn.bubble.dataset.messageId = messageId;

    const up = el("button", "feedback-up", "👍");
    const down = el("button", "feedback-down", "👎");
    for (const [button, label] of [
      [up, "Helpful"],
      [down, "Not helpful"],
    ]) {
      button.type = "button";
      button.title = label;
      button.setAttribute("aria-label", label);
      button.setAttribute("aria-pressed", "false");
      button.disabled = !messageId;
    }
    up.dataset.testid = "feedback-up";
    down.dataset.testid = "feedback-down";

    const commentRow = el("div", "feedback-comment-row");
    commentRow.hidden = true;
    const comment = el("input", "feedback-comment");
    comment.type = "text";
    comment.maxLength = 2000;
    comment.placeholder = "What was wrong? (optional)";
    comment.dataset.testid = "feedback-comment";
    const submit = el("button", "feedback-submit small", "Send feedback");
    submit.type = "button";
    submit.dataset.testid = "feedback-submit";
    commentRow.append(comment, submit);

    const status = el("span", "feedback-status");
    status.dataset.testid = "feedback-status";
    if (!messageId) status.textContent = "No message id: feedback unavailable.";

    const buttons = [up, down, submit];
    const send = async (rating, text) => {
      for (const button of buttons) button.disabled = true;
      status.textContent = "Sending…";
      const ok = await postFeedback(messageId, rating, text);
      up.setAttribute("aria-pressed", String(ok && rating === "up"));
      down.setAttribute("aria-pressed", String(ok && rating === "down"));
      status.textContent = ok ? `Thanks! Feedback recorded (${rating}).` : "Feedback failed.";
      box.dataset.rating = ok ? rating : "";
      commentRow.hidden = true;
      for (const button of buttons) button.disabled = false;
    };

    up.addEventListener("click", () => send("up", ""));
    down.addEventListener("click", () => {
      commentRow.hidden = false;
      down.setAttribute("aria-pressed", "true");
      up.setAttribute("aria-pressed", "false");
      status.textContent = "";
      comment.focus();
    });
    submit.addEventListener("click", () => send("down", comment.value.trim()));
    comment.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        submit.click();
      }
    });

    box.append(up, down, commentRow, status);
  }

  async function postFeedback(messageId, rating, comment) {
    const body = { rating };
    if (comment) body.comment = comment;
    const token = state.token || els.token.value.trim();
    try {
      const response = await fetch(
        `/api/v1/messages/${encodeURIComponent(messageId)}/feedback`,
        {
          method: "POST",
          headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
          body: JSON.stringify(body),
        },
      );
      if (response.ok) return true;
      let detail = response.statusText;
      try {
        const data = await response.json();
        if (data && data.detail !== undefined) {
          detail = typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail);
        }
      } catch (_) {
        // not JSON: keep the status text
      }
      showError(`HTTP ${response.status}`, `Feedback: ${detail}`);
    } catch (error) {
      showError("NETWORK", `Feedback: ${error}`);
    }
    return false;
  }

  // ------------------------------------------------------------------ connection

  function sendFrame(frame) {
    if (!state.ws || state.ws.readyState !== WebSocket.OPEN) return false;
    state.ws.send(JSON.stringify(frame));
    return true;
  }

  function connect() {
    if (state.ws || state.reconnectTimer) return;
    state.token = els.token.value.trim();
    sessionStorage.setItem(STORAGE.token, state.token);
    state.userClosed = false;
    state.attempt = 0;
    clearError();
    openSocket();
  }

  function openSocket() {
    state.reconnectTimer = null;
    setStatus(state.attempt > 0 ? "reconnecting" : "connecting");
    let ws;
    try {
      ws = new WebSocket(wsUrl());
    } catch (error) {
      showError("CONNECT", String(error));
      setStatus("closed");
      return;
    }
    state.ws = ws;
    ws.addEventListener("open", () => {
      ws.send(JSON.stringify({ type: "auth", token: state.token }));
    });
    ws.addEventListener("message", (message) => {
      if (typeof message.data !== "string") return;
      let event;
      try {
        event = JSON.parse(message.data);
      } catch (_) {
        showError("BAD_FRAME", "The server sent a frame that is not JSON.");
        return;
      }
      handleEvent(event);
    });
    ws.addEventListener("close", (close) => onClose(ws, close));
  }

  function onClose(ws, close) {
    if (state.ws !== ws) return;
    state.ws = null;
    state.authenticated = false;
    state.resuming = false;
    stopKeepalive();
    clearProgress();
    if (CLOSE_REASONS[close.code]) {
      showError(String(close.code), close.reason || CLOSE_REASONS[close.code]);
    }
    if (close.code === 1009 && state.pending) refusePending();
    if (state.userClosed || NO_RECONNECT.has(close.code)) {
      setStatus("closed");
      return;
    }
    const delay =
      Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** state.attempt) * (0.5 + Math.random() / 2);
    state.attempt += 1;
    setStatus("reconnecting");
    els.status.title = `Reconnecting in ${Math.round(delay)} ms (attempt ${state.attempt})`;
    state.reconnectTimer = window.setTimeout(openSocket, delay);
  }

  function disconnect() {
    state.userClosed = true;
    if (state.reconnectTimer) {
      window.clearTimeout(state.reconnectTimer);
      state.reconnectTimer = null;
    }
    stopKeepalive();
    if (state.ws) {
      state.ws.close(1000, "client disconnect");
    } else {
      setStatus("closed");
    }
  }

  function startKeepalive() {
    stopKeepalive();
    state.keepaliveTimer = window.setInterval(() => {
      sendFrame({ type: "ping", timestamp: "keepalive" });
    }, KEEPALIVE_MS);
  }

  function stopKeepalive() {
    if (state.keepaliveTimer) window.clearInterval(state.keepaliveTimer);
    state.keepaliveTimer = null;
  }

  // Send the pending message again (same message_id: the server runs it at most once).
  function resendPending() {
    const pending = state.pending;
    if (!pending) return;
    if (pending.resends >= MAX_RESENDS) {
      showError("RESEND_FAILED", "The message could not be delivered; send it again.");
      refusePending();
      return;
    }
    pending.resends += 1;
    if (state.sessionId) pending.frame.session_id = state.sessionId;
    else delete pending.frame.session_id;
    sendFrame(pending.frame);
  }

  // The pending message was refused: put its text back in the input.
  function refusePending() {
    const pending = state.pending;
    if (!pending) return;
    state.pending = null;
    pending.userBubble.classList.remove("sending");
    pending.userBubble.classList.add("refused");
    if (!els.input.value) {
      els.input.value = pending.text;
      updateCharCount();
    }
    clearProgress();
    updateControls();
  }

  // ------------------------------------------------------------------ server events

  function handleEvent(ev) {
    if (!ev || typeof ev.type !== "string") return;
    const otherSession = Boolean(
      ev.session_id && state.sessionId && ev.session_id !== state.sessionId,
    );
    if (typeof ev.seq === "number" && !otherSession && ev.session_id) {
      if (ev.seq <= state.lastSeq) return; // seen already: a replay after resume
      if (ev.seq > state.lastSeq + 1) {
        addNotice(`Missed events ${state.lastSeq + 1}–${ev.seq - 1} of this session.`);
      }
      setLastSeq(ev.seq);
    }
    if (otherSession && ev.type !== "session") return;

    switch (ev.type) {
      case "auth_success":
        onAuthSuccess(ev);
        break;
      case "auth_error":
        showError("auth_error", ev.message);
        break;
      case "session":
        onSession(ev);
        break;
      case "progress":
        startTurn(ev);
        setProgress(ev.step, ev.agent, ev.message);
        if (ev.agent) turnFor(ev.turn_id).bubble.dataset.agent = ev.agent;
        break;
      case "sources":
        renderSources(startTurn(ev), ev.sources);
        break;
      case "token": {
        const turn = startTurn(ev);
        turn.text += ev.token;
        showAnswer(turn);
        if (els.progress.dataset.step !== "generating") setProgress("generating", ev.agent);
        scrollToEnd();
        break;
      }
      case "complete":
        onComplete(ev);
        break;
      case "cancelled": {
        const turn = turnFor(ev.turn_id || state.turnId);
        claimPending();
        turn.text = ev.partial_response || "";
        showAnswer(turn);
        turn.bubble.append(el("div", "note", "Cancelled"));
        endTurn(turn, "cancelled");
        break;
      }
      case "error":
        onError(ev);
        break;
      case "pong":
        onPong(ev);
        break;
      case "staff_message": {
        const bubble = addBubble("staff");
        bubble.append(el("div", "role", ev.staff_name || "Staff"), el("div", "content", ev.message));
        scrollToEnd();
        break;
      }
      case "handoff": {
        const bubble = addBubble("handoff");
        bubble.dataset.status = ev.status;
        bubble.append(
          el("div", "handoff-status", HANDOFF_LABELS[ev.status] || ev.status),
          el("div", "content", ev.message),
        );
        scrollToEnd();
        break;
      }
      default:
        // Unknown event types are ignored, as the protocol asks of clients.
        break;
    }
  }

  function onAuthSuccess(ev) {
    state.authenticated = true;
    state.attempt = 0;
    els.status.title = "";
    const user = ev.user || {};
    els.user.textContent = user.name ? `${user.name} (${user.role})` : "";
    setStatus("open");
    startKeepalive();
    if (state.sessionId) {
      // Replays what this page missed, then a `session` event marks the end of the replay.
      state.resuming = true;
      sendFrame({ type: "resume", session_id: state.sessionId, after_seq: state.lastSeq });
    } else if (state.pending) {
      resendPending();
    }
  }

  function onSession(ev) {
    if (ev.session_id !== state.sessionId) {
      setSession(ev.session_id);
      setLastSeq(typeof ev.last_seq === "number" ? ev.last_seq : 0);
    } else if (typeof ev.last_seq === "number") {
      setLastSeq(ev.last_seq);
    }
    if (ev.turn_id && !state.pending && state.turnId === null) {
      state.turnId = ev.turn_id; // a turn is still running in this session
    }
    if (state.resuming) {
      state.resuming = false;
      if (state.pending) resendPending();
    }
    updateControls();
  }

  function onComplete(ev) {
    const turn = turnFor(ev.turn_id || state.turnId);
    claimPending();
    if (turn.text && turn.text !== ev.response) {
      console.warn("tokens do not add up to the response", { tokens: turn.text, ev });
    }
    turn.text = ev.response;
    showAnswer(turn);
    const metadata = ev.metadata || {};
    if (metadata.context) renderSources(turn, metadata.context.sources);
    if (metadata.agent) turn.bubble.dataset.agent = metadata.agent;
    renderMeta(turn, metadata);
    renderFeedback(turn, metadata.message_id);
    endTurn(turn, "complete");
    scrollToEnd();
  }

  function onError(ev) {
    let text = ev.error || "";
    if (typeof ev.retry_after === "number") text += ` (retry after ${ev.retry_after} s)`;
    showError(ev.code || "error", text);

    if (TURN_ENDING.has(ev.code)) {
      const id = ev.turn_id || state.turnId;
      if (id && state.turns.has(id)) {
        const turn = state.turns.get(id);
        turn.bubble.append(el("div", "note", `${ev.code}: ${ev.error}`));
        endTurn(turn, "failed");
      } else {
        if (state.pending) refusePending();
        state.turnId = null;
        clearProgress();
        updateControls();
      }
      return;
    }
    if (state.resuming && (ev.code === "SESSION_NOT_FOUND" || ev.code === "FORBIDDEN")) {
      // The stored session is gone or not ours: start afresh.
      state.resuming = false;
      setSession(null);
      setLastSeq(0);
      if (state.pending) resendPending();
      updateControls();
      return;
    }
    if (state.pending) refusePending();
  }

  function onPong(ev) {
    if (typeof ev.timestamp !== "number") return; // a keepalive
    const rtt = performance.now() - ev.timestamp;
    els.pingResult.textContent = `${Math.max(0, Math.round(rtt))} ms`;
    els.pingResult.dataset.rtt = String(rtt);
  }

  // ------------------------------------------------------------------ user actions

  function sendMessage() {
    if (state.status !== "open" || busy()) return;
    const text = els.input.value;
    clearError();
    const frame = {
      type: "message",
      message: text,
      message_id: newId(),
      partial_response: false, // this page appends tokens itself
    };
    if (state.sessionId) frame.session_id = state.sessionId;
    const userBubble = addUserBubble(text);
    userBubble.classList.add("sending");
    state.pending = { frame, text, userBubble, resends: 0 };
    els.input.value = "";
    updateCharCount();
    setProgress("sent");
    updateControls();
    sendFrame(frame);
  }

  function cancelTurn() {
    if (!busy()) return;
    const frame = { type: "cancel" };
    if (state.sessionId) frame.session_id = state.sessionId;
    sendFrame(frame);
  }

  function newSession() {
    if (busy()) return;
    setSession(null);
    setLastSeq(0);
    state.turns.clear();
    els.messages.replaceChildren();
    clearError();
  }

  function ping() {
    els.pingResult.textContent = "…";
    delete els.pingResult.dataset.rtt;
    sendFrame({ type: "ping", timestamp: performance.now() });
  }

  // ------------------------------------------------------------------ start

  function init() {
    const params = new URLSearchParams(window.location.search);
    const urlToken = params.get("token");
    if (urlToken) {
      els.token.value = urlToken;
      sessionStorage.setItem(STORAGE.token, urlToken);
      // Keep the token out of the address bar and the browser history.
      params.delete("token");
      const query = params.toString();
      const clean = window.location.pathname + (query ? `?${query}` : "") + window.location.hash;
      window.history.replaceState(null, "", clean);
    } else {
      els.token.value = sessionStorage.getItem(STORAGE.token) || "";
    }
    setSession(state.sessionId);

    els.token.addEventListener("input", () => {
      sessionStorage.setItem(STORAGE.token, els.token.value.trim());
    });
    els.token.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        connect();
      }
    });
    els.connect.addEventListener("click", connect);
    els.disconnect.addEventListener("click", disconnect);
    els.newSession.addEventListener("click", newSession);
    els.ping.addEventListener("click", ping);
    els.cancel.addEventListener("click", cancelTurn);
    els.error.addEventListener("click", clearError);
    els.composer.addEventListener("submit", (event) => {
      event.preventDefault();
      sendMessage();
    });
    els.input.addEventListener("input", updateCharCount);
    els.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        sendMessage();
      }
    });
    updateCharCount();
    setStatus("closed");
  }

  init();
})();
