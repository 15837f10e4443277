// Test page for the chat WebSocket (/ws/chat); the protocol is described in docs/protocol.md.
// The connection (auth, reconnect and resume, resend, keepalive) is the client library's
// ChatSocket (clients/js); this page only draws. The DOM is built with createElement and
// textContent only: model, staff and user text is never parsed as HTML.
import { ChatSocket, CLOSE_CODES, MAX_MESSAGE_CHARS, TURN_ENDING_ERRORS } from "/static/client/index.js";
import { byIds, charCount, el, errorArea, HANDOFF_LABELS, messageLimit, progressLine, showStatus as showStatusPill, takeTokenFromUrl, thumbIcon, toolList, wireComposer } from "/static/page.js";

const STORAGE_TOKEN = "support.test.token";
// Set while the page means to be connected: a reload then connects again by itself.
const STORAGE_CONNECTED = "support.test.connected";
// The server's limit, as the page states it (the client library's default otherwise).
const maxChars = () => messageLimit(MAX_MESSAGE_CHARS);

(() => {
  const els = byIds(`token connect disconnect status session-id new-session user ping ping-result
    error messages progress composer input=message-input char-count strategy send cancel`);

  // The session id and last seq live in sessionStorage, so a reload resumes the session.
  const socket = new ChatSocket({ storage: sessionStorage, storageKey: "support.test" });
  const { show: showError, clear: clearError } = errorArea(els.error);
  const { show: setProgress, clear: clearProgress } = progressLine(els.progress);
  const state = {
    // turn_id → { bubble, content, sources, meta, feedback, text }
    turns: new Map(),
    localTurns: 0,
  };

  // ------------------------------------------------------------------ small DOM helpers

  function scrollToEnd() {
    els.messages.scrollTop = els.messages.scrollHeight;
  }

  // ------------------------------------------------------------------ state shown on the page

  function showStatus(detail) {
    showStatusPill(els.status, detail);
    updateControls();
    if (detail.status === "open" && sendOnOpen) {
      sendOnOpen = false;
      sendMessage();
    }
  }

  function showSession() {
    els.sessionId.textContent = socket.sessionId || "";
  }

  // Why the input's message cannot be sent now, as { code, message }; null when it can.
  function whyNotSend() {
    const text = els.input.value;
    const length = charCount(text);
    if (!text.trim()) return { code: "EMPTY_MESSAGE", message: "Write a message first." };
    if (length > maxChars()) {
      return {
        code: "MESSAGE_TOO_LARGE",
        message: `Messages are limited to ${maxChars()} characters; this one has ${length}.`,
      };
    }
    if (socket.pending) return { code: "SENDING", message: "Sending the message before…" };
    if (socket.status === "closed") {
      return { code: "NOT_CONNECTED", message: "Not connected: click Connect first." };
    }
    if (!socket.open) {
      return { code: "CONNECTING", message: "Connecting… the message goes out once connected." };
    }
    return null;
  }

  function updateControls() {
    const open = socket.open;
    const problem = whyNotSend();
    els.connect.disabled = socket.status !== "closed";
    els.disconnect.disabled = socket.status === "closed";
    els.send.disabled = problem !== null;
    els.send.title = problem ? problem.message : "";
    els.cancel.disabled = !open || !socket.busy;
    els.ping.disabled = !open;
    els.newSession.disabled = socket.busy;
  }

  function updateCharCount() {
    const length = charCount(els.input.value);
    const over = length > maxChars();
    els.charCount.textContent = `${length} / ${maxChars()}${over ? " · too long" : ""}`;
    els.charCount.classList.toggle("over", over);
    updateControls();
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
    const tools = el("ul", "tools");
    tools.hidden = true;
    const sources = el("div", "sources");
    sources.hidden = true;
    sources.append(el("div", "sources-label", "Sources"), el("ul"));
    const meta = el("div", "meta");
    meta.hidden = true;
    const feedback = el("div", "feedback");
    feedback.hidden = true;
    bubble.append(role, tools, content, sources, meta, feedback);
    turn = { id, bubble, role, content, sources, meta, feedback, text: "", tools: toolList(tools) };
    state.turns.set(id, turn);
    scrollToEnd();
    return turn;
  }


  // Any event of a running turn.
  function startTurn(ev) {
    const turn = turnFor(ev.turn_id);
    updateControls();
    return turn;
  }

  function endTurn(turn, cssClass) {
    turn.bubble.classList.remove("streaming");
    if (cssClass) turn.bubble.classList.add(cssClass);
    if (socket.turnId === turn.id || socket.turnId === null) clearProgress();
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
        if (passage.pages) line.append(el("span", "source-page", passage.pages));
        if (passage.snippet) line.title = passage.snippet; // what the citation points to
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

    const up = el("button", "feedback-up");
    const down = el("button", "feedback-down");
    up.append(thumbIcon(true));
    down.append(thumbIcon(false));
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

  // Satisfaction with a closed conversation: five buttons, 1 (very unhappy) to 5.
  function ratingBox(sessionId) {
    const box = el("div", "rating");
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "Rate this conversation from 1 to 5");
    const status = el("span", "rating-status");
    status.setAttribute("aria-live", "polite");
    const buttons = [1, 2, 3, 4, 5].map((score) => {
      const button = el("button", "rating-score", String(score));
      button.type = "button";
      button.dataset.score = String(score);
      button.setAttribute("aria-label", `${score} of 5`);
      button.addEventListener("click", async () => {
        if (await postRating(sessionId, score)) {
          for (const other of buttons) other.setAttribute("aria-pressed", String(other === button));
          status.textContent = `Thanks: you rated this conversation ${score} of 5.`;
        }
      });
      return button;
    });
    box.append(...buttons, status);
    return box;
  }

  async function postRating(sessionId, score) {
    const token = state.token || els.token.value.trim();
    try {
      const response = await fetch(`/api/v1/sessions/${encodeURIComponent(sessionId)}/rating`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: JSON.stringify({ score }),
      });
      if (response.ok) return true;
      showError(`HTTP ${response.status}`, `Rating: ${response.statusText}`);
    } catch (error) {
      showError("NETWORK", `Rating: ${error}`);
    }
    return false;
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

  // Shown with every authentication problem: where a token comes from.
  const GET_A_TOKEN =
    "Get a token with `orchestrator token --user <id>` (`make run` prints a test-page link with one).";
  let authProblem = null; // the server's reason, kept over the 4001 close that follows it
  let sendOnOpen = false; // Enter was pressed while connecting: send once open

  async function connect() {
    const token = els.token.value.trim();
    sessionStorage.setItem(STORAGE_TOKEN, token);
    clearError();
    authProblem = null;
    if (!token) {
      showError("NO_TOKEN", `Paste a customer token first. ${GET_A_TOKEN}`);
      return;
    }
    sessionStorage.setItem(STORAGE_CONNECTED, "1");
    await showHistory(token); // before the socket: what it replays comes after
    socket.connect(token);
  }

  // Turns shown from the stored transcript: events replayed for them are not shown again.
  const historical = new Set();
  let historyShown = null; // the session whose transcript is on screen

  // After a reload the session continues: show its stored transcript (the customer's own
  // messages included) instead of only what the socket replays.
  async function showHistory(token) {
    const sessionId = socket.sessionId;
    if (!sessionId || historyShown === sessionId) return;
    historyShown = sessionId;
    let messages;
    try {
      const response = await fetch(`/api/v1/sessions/${encodeURIComponent(sessionId)}/messages`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      if (!response.ok) return; // not stored yet, or not this user's: the socket will say
      messages = await response.json();
    } catch (_) {
      return;
    }
    for (const message of messages) {
      if (message.role === "user") {
        addUserBubble(message.content);
      } else if (message.role === "assistant" && message.turn_id) {
        historical.add(message.turn_id);
        const turn = turnFor(message.turn_id);
        turn.text = message.content;
        showAnswer(turn);
        turn.tools.show(message.tools);
        if (message.sources) renderSources(turn, message.sources);
        if (message.status === "complete") {
          renderFeedback(turn, message.id);
        } else {
          turn.bubble.append(el("div", "note", message.error_code || message.status));
        }
        endTurn(turn, message.status === "complete" ? "complete" : "failed");
      } else if (message.role === "staff") {
        const bubble = addBubble("staff");
        bubble.append(el("div", "role", "Staff"), el("div", "content", message.content));
      } else if (message.role === "system") {
        addNotice(message.content);
      }
    }
    scrollToEnd();
  }

  function onAuthProblem(message) {
    authProblem = message;
    showError("AUTH_FAILED", `${message}. ${GET_A_TOKEN}`);
  }

  function onClose({ code, reason, reconnectIn }) {
    clearProgress();
    if (code === 4001 || code === 4003) sessionStorage.removeItem(STORAGE_CONNECTED); // refused
    if (code === 4001) {
      if (!authProblem) onAuthProblem(reason || CLOSE_CODES[code]);
      return; // the server's own reason is on screen
    }
    if (code === 1009) { // a frame larger than the server reads at all: it had to close
      const again = reconnectIn === null ? "" : " Reconnecting…";
      showError(
        "MESSAGE_TOO_LARGE",
        `The message was too large for the server, which closed the connection.${again} ` +
          `Messages are limited to ${maxChars()} characters.`,
      );
      return;
    }
    if (code !== 1000 && CLOSE_CODES[code]) showError(String(code), reason || CLOSE_CODES[code]);
  }

  // The pending message was refused: put its text back in the input.
  function onRefused({ pending, code }) {
    if (code === "RESEND_FAILED") {
      showError(code, "The message could not be delivered; send it again.");
    }
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

  // One handler per server event type, registered with the socket (see init). Event types
  // without one are ignored, as the protocol asks of clients.
  const handlers = {
    auth_success: onAuthSuccess,
    auth_error: (ev) => onAuthProblem(ev.message),
    session: updateControls,
    progress(ev) {
      const turn = startTurn(ev);
      if (ev.step === "starting" && turn.text) {
        turn.text = ""; // the turn was run again elsewhere (its server went away): start over
        showAnswer(turn);
      }
      setProgress(ev.step, ev.agent, ev.message);
      if (ev.agent) turnFor(ev.turn_id).bubble.dataset.agent = ev.agent;
    },
    sources: (ev) => renderSources(startTurn(ev), ev.sources),
    tool_call: (ev) => startTurn(ev).tools.call(ev),
    tool_result: (ev) => startTurn(ev).tools.result(ev),
    token(ev) {
      const turn = startTurn(ev);
      turn.text += ev.token;
      showAnswer(turn);
      if (els.progress.dataset.step !== "generating") setProgress("generating", ev.agent);
      scrollToEnd();
    },
    complete: onComplete,
    cancelled(ev) {
      const turn = turnFor(ev.turn_id);
      turn.text = ev.partial_response || "";
      showAnswer(turn);
      turn.bubble.append(el("div", "note", "Cancelled"));
      endTurn(turn, "cancelled");
    },
    error: onError,
    pong: onPong,
    // A person has the conversation: the message went to them, not to the assistant.
    customer_message() {
      clearProgress();
      updateControls();
    },
    staff_message(ev) {
      const bubble = addBubble("staff");
      bubble.append(el("div", "role", ev.staff_name || "Staff"), el("div", "content", ev.message));
      scrollToEnd();
    },
    handoff(ev) {
      const bubble = addBubble("handoff");
      bubble.dataset.status = ev.status;
      bubble.append(
        el("div", "handoff-status", HANDOFF_LABELS[ev.status] || ev.status),
        el("div", "content", ev.message),
      );
      if (ev.rating_asked) bubble.append(ratingBox(ev.session_id || socket.sessionId));
      scrollToEnd();
    },
  };

  function onAuthSuccess(ev) {
    const user = ev.user || {};
    els.user.textContent = user.name ? `${user.name} (${user.role})` : "";
  }

  function onComplete(ev) {
    const turn = turnFor(ev.turn_id);
    if (turn.text && turn.text !== ev.response) {
      console.warn("tokens do not add up to the response", { tokens: turn.text, ev });
    }
    turn.text = ev.response;
    showAnswer(turn);
    const metadata = ev.metadata || {};
    turn.tools.show(metadata.tools); // the stream's lines, or all of them for a replayed answer
    if (metadata.context) renderSources(turn, metadata.context.passages);
    if (metadata.agent) turn.bubble.dataset.agent = metadata.agent;
    renderMeta(turn, metadata);
    renderFeedback(turn, metadata.message_id);
    endTurn(turn, "complete");
    scrollToEnd();
  }

  function onError(ev) {
    if (ev.code === "AUTH_FAILED" || ev.code === "AUTH_REQUIRED") {
      onAuthProblem(ev.error || ev.code); // an expired token: the close follows
      return;
    }
    let text = ev.error || "";
    if (typeof ev.retry_after === "number") text += ` (retry after ${ev.retry_after} s)`;
    showError(ev.code || "error", text);
    if (!TURN_ENDING_ERRORS.includes(ev.code)) return;
    const turn = ev.turn_id && state.turns.get(ev.turn_id);
    if (turn) {
      turn.bubble.append(el("div", "note", `${ev.code}: ${ev.error}`));
      endTurn(turn, "failed");
    } else {
      clearProgress();
      updateControls();
    }
  }

  function onPong(ev) {
    if (typeof ev.timestamp !== "number") return; // a keepalive
    const rtt = performance.now() - ev.timestamp;
    els.pingResult.textContent = `${Math.max(0, Math.round(rtt))} ms`;
    els.pingResult.dataset.rtt = String(rtt);
  }


  // ------------------------------------------------------------------ user actions

  function sendMessage() {
    const problem = whyNotSend();
    if (problem && problem.code === "CONNECTING") sendOnOpen = true;
    if (problem) {
      if (problem.code !== "EMPTY_MESSAGE") showError(problem.code, problem.message);
      return;
    }
    const text = els.input.value;
    clearError();
    const userBubble = addUserBubble(text);
    userBubble.classList.add("sending");
    els.input.value = "";
    updateCharCount();
    setProgress("sent");
    // While an answer streams the message waits in line, or interrupts it (the page's choice).
    const strategy = socket.busy ? els.strategy.value : undefined;
    socket.send(text, { userBubble, strategy }); // this page appends tokens (the client's default)
    updateControls();
  }

  function newSession() {
    if (!socket.newSession()) return;
    state.turns.clear();
    els.messages.replaceChildren();
    clearError();
  }

  function ping() {
    els.pingResult.textContent = "…";
    delete els.pingResult.dataset.rtt;
    socket.ping(performance.now());
  }

  // ------------------------------------------------------------------ start

  function init() {
    const urlToken = takeTokenFromUrl();
    if (urlToken) {
      els.token.value = urlToken;
      sessionStorage.setItem(STORAGE_TOKEN, urlToken);
    } else {
      els.token.value = sessionStorage.getItem(STORAGE_TOKEN) || "";
    }
    // A link with a token (as `make run` prints) connects at once, and a reload of a
    // connected page carries on where it was.
    const reconnect = els.token.value && (urlToken || sessionStorage.getItem(STORAGE_CONNECTED));
    showSession();
    socket.on("status", showStatus);
    socket.on("session", showSession);
    socket.on("close", onClose);
    socket.on("refused", onRefused);
    socket.on("claimed", ({ pending }) => {
      pending.userBubble.classList.remove("sending", "lined");
      pending.userBubble.querySelector(".note.lined")?.remove();
    });
    // Sent while an answer streamed: it waits in the session's line for a turn of its own.
    socket.on("lined", ({ pending, position }) => {
      pending.userBubble.classList.remove("sending");
      pending.userBubble.classList.add("lined");
      const note = el("div", "note lined", position === 1 ? "Answered next" : `In line: ${position}`);
      pending.userBubble.append(note);
      updateControls();
    });
    socket.on("gap", ({ from, to }) => addNotice(`Missed events ${from}–${to} of this session.`));
    socket.on("bad_frame", () => showError("BAD_FRAME", "The server sent a frame that is not JSON."));
    for (const [type, handler] of Object.entries(handlers)) {
      socket.on(type, (ev) => {
        if (!(ev.turn_id && historical.has(ev.turn_id))) handler(ev);
      });
    }

    els.token.addEventListener("input", () => {
      sessionStorage.setItem(STORAGE_TOKEN, els.token.value.trim());
    });
    els.token.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        connect();
      }
    });
    els.connect.addEventListener("click", connect);
    els.disconnect.addEventListener("click", () => {
      sessionStorage.removeItem(STORAGE_CONNECTED);
      socket.disconnect();
    });
    els.newSession.addEventListener("click", newSession);
    els.ping.addEventListener("click", ping);
    els.cancel.addEventListener("click", () => socket.cancel());
    els.error.addEventListener("click", clearError);
    wireComposer(els.composer, els.input, sendMessage);
    els.input.addEventListener("input", updateCharCount);
    updateCharCount();
    showStatus({ status: socket.status });
    if (reconnect) connect();
  }

  init();
})();