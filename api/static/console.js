// Support staff console: conversations over REST (/api/v1/staff/...), live updates over
// /ws/staff. The DOM is built with createElement and textContent only: customer, model and
// staff text is never parsed as HTML. The live connection (auth, reconnect with backoff,
// keepalive) is the client library's ChatSocket (clients/js).
import { ChatSocket, MAX_MESSAGE_CHARS as MAX_CHARS, TURN_ENDING_ERRORS } from "/static/client/index.js";
import { byIds, el, errorArea, HANDOFF_LABELS, progressLine, showStatus as showStatusPill, takeTokenFromUrl, thumbIcon, toolList, wireComposer } from "/static/page.js";

(() => {
  const STORAGE_TOKEN = "support.console.token";
  const API = "/api/v1/staff";
  const LIST_LIMIT = 100;
  const SEARCH_DEBOUNCE_MS = 300;
  const DETAIL_REFRESH_MS = 250;
  const CLOCK_MS = 30000;
  const METRICS_EVERY_MS = 30000;
  const GAPS_API = "/api/v1/knowledge/gaps";
  // The report embeds every question again: read when the panel opens, if older than this.
  const GAPS_STALE_MS = 5 * 60 * 1000;
  const CONFIRM_MS = 4000;
  const PREVIEW_CHARS = 140;
  const STAFF_ONLY = "This page needs a staff token";

  const STATUS_LABELS = {
    bot: "bot",
    waiting: "waiting for a human",
    with_staff: "with staff",
    closed: "closed",
  };
  const ROLE_LABELS = {
    user: "Customer",
    assistant: "Assistant",
    staff: "Staff",
    system: "System",
  };
  const GAP_REASONS = {
    no_answer: "no answer",
    low_score: "low score",
    thumbs_down: "thumbs down",
    handoff: "hand-off",
    rephrased: "asked again",
  };
  const ACTION_LABELS = {
    takeover: "took over",
    handback: "handed back to the bot",
    close: "closed the conversation",
    message: "wrote to the customer",
    note: "left a note",
    assign: "assigned the conversation to",
  };
  const STATS = [
    ["conversations", "Conversations", "count"],
    ["turns", "Turns", "count"],
    ["waiting", "Waiting", "count"],
    ["with_staff", "With staff", "count"],
    ["p50_ms", "Latency p50", "ms"],
    ["p95_ms", "Latency p95", "ms"],
    ["error_rate", "Error rate", "rate"],
    ["feedback_positive_rate", "Positive feedback", "rate"],
    ["handoff_rate", "Handoff rate", "rate"],
    ["csat", "Satisfaction (1-5)", "score"],
  ];
  // Errors that end a running turn; other errors refuse a frame.
  const TURN_ENDING = new Set(TURN_ENDING_ERRORS);

  const els = byIds(`tabs tab-conversations tab-metrics tab-gaps staff-name status=staff-status
    sign-out error sign-in-panel sign-in-form token-input workspace inbox search filter-status
    filter-route filter-assigned waiting-alert list-count refresh-list list=conversations
    empty-view conversation conv-customer
    conv-status conv-meta takeover handback close=close-conversation assign-to transcript
    progress=live-progress composer=staff-composer input=staff-input send=staff-send composer-hint
    suggest=suggest-reply draft-sources
    actions customer-panel notes note-form note-input add-note canned canned-form canned-name canned-text
    save-canned metrics metrics-updated refresh-metrics tiles=stat-tiles gaps gaps-updated
    gaps-hours refresh-gaps gaps-summary gaps-empty gap-groups dialogue-failures`);
  els.charts = Array.from(document.querySelectorAll("img[data-chart]"));

  const { show: showError, clear: clearError } = errorArea(els.error);
  const progress = progressLine(els.progress, "Bot: ");
  const state = {
    token: "",
    signedIn: false,
    me: null, // { id, name, role }: from the token, then from auth_success
    view: "inbox",
    reconnected: false, // the socket opened again after a drop
    // the list
    conversations: new Map(), // session_id → summary (the rows shown)
    rows: new Map(), // session_id → row button
    touched: new Map(), // session_id → when a live update last changed it (performance.now())
    filters: { status: "", route: "", assigned: "", q: "" },
    waitingSeen: new Set(), // the conversations known to be waiting for a person
    listRequest: 0,
    searchTimer: null,
    // the open conversation
    openId: null,
    detail: null, // { conversation, messages, actions, notes }
    panelStale: true, // the customer panel is read again: on opening, after an answer
    cannedReplies: [],
    detailRequest: 0,
    detailTimer: null,
    lastSeq: 0,
    watchPings: new Map(), // ping timestamp → session id
    pingCount: 0,
    stream: null, // the bot answer being streamed: { turnId, text, sources, agent, node }
    replay: null, // { sessionId, events }: what the server replays after `watch`
    live: [], // messages seen live and not yet in the stored transcript
    actionBusy: false,
    sending: false,
    drafting: false,
    confirmClose: null,
    // metrics
    metricsLoadedAt: 0,
    metricsLoading: false,
    chartUrls: new Map(),
    // knowledge gaps
    gapsLoadedAt: 0,
    gapsRequest: 0,
  };

  // ------------------------------------------------------------------ small helpers

  function parseTime(iso) {
    if (!iso) return NaN;
    // Datetimes without a zone are UTC on this server.
    const text = /(?:[zZ]|[+-]\d\d:?\d\d)$/.test(iso) ? iso : `${iso}Z`;
    return Date.parse(text);
  }

  function relativeTime(iso) {
    const t = parseTime(iso);
    if (Number.isNaN(t)) return "";
    const seconds = Math.round((Date.now() - t) / 1000);
    if (seconds < 45) return "just now";
    const minutes = Math.round(seconds / 60);
    if (minutes < 60) return `${minutes} min ago`;
    const hours = Math.round(minutes / 60);
    if (hours < 24) return `${hours} h ago`;
    const days = Math.round(hours / 24);
    if (days === 1) return "yesterday";
    if (days < 7) return `${days} days ago`;
    return new Date(t).toLocaleDateString();
  }

  // A <time> showing "2 min ago", the full date and time as its tooltip; kept fresh.
  function timeNode(iso, className) {
    const node = el("time", className || "when");
    const t = parseTime(iso);
    if (Number.isNaN(t)) return node;
    node.dateTime = new Date(t).toISOString();
    node.dataset.relative = iso;
    node.title = new Date(t).toLocaleString();
    node.textContent = relativeTime(iso);
    return node;
  }

  // A <time> showing the clock time (the date too when not today), the full date as tooltip.
  function clockNode(iso) {
    const node = el("time", "when");
    const t = parseTime(iso);
    if (Number.isNaN(t)) return node;
    const date = new Date(t);
    node.dateTime = date.toISOString();
    node.title = date.toLocaleString();
    const clock = date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    const today = date.toDateString() === new Date().toDateString();
    node.textContent = today ? clock : `${date.toLocaleDateString()} ${clock}`;
    return node;
  }

  function refreshTimes() {
    for (const node of document.querySelectorAll("time[data-relative]")) {
      node.textContent = relativeTime(node.dataset.relative);
    }
    for (const node of document.querySelectorAll("[data-waiting-since]")) {
      node.textContent = `waiting ${waitedText(node.dataset.waitingSince)}`;
    }
    renderWaitingAlert(false);
  }

  // How long since `iso`, as a wait: "under a minute", "4 min", "1 h 5 min".
  function waitedText(iso) {
    const t = parseTime(iso);
    if (Number.isNaN(t)) return "";
    const minutes = Math.floor(Math.max(0, Date.now() - t) / 60000);
    if (minutes < 1) return "under a minute";
    if (minutes < 60) return `${minutes} min`;
    return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  }

  function percent(value) {
    return typeof value === "number" && Number.isFinite(value) ? `${Math.round(value * 100)}%` : "";
  }

  function truncate(text, max) {
    const flat = String(text || "").replace(/\s+/g, " ").trim();
    return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
  }

  function customerName(summary) {
    const customer = (summary && summary.customer) || {};
    return customer.name || customer.id || "Unknown customer";
  }

  function routeText(summary) {
    const parts = [];
    if (summary.route) parts.push(summary.route);
    if (typeof summary.confidence === "number") parts.push(percent(summary.confidence));
    return parts.join(" · ");
  }

  function formatMs(value) {
    if (typeof value !== "number" || !Number.isFinite(value)) return "—";
    return value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(1)} s`;
  }

  function formatStat(value, kind) {
    if (value === null || value === undefined || Number.isNaN(value)) return "—";
    if (kind === "ms") return formatMs(value);
    if (kind === "score") return typeof value === "number" ? `${value.toFixed(1)} / 5` : "—";
    if (kind === "rate") {
      if (typeof value !== "number") return String(value);
      const pct = value * 100;
      return `${pct > 0 && pct < 10 ? pct.toFixed(1) : Math.round(pct)}%`;
    }
    return typeof value === "number" ? value.toLocaleString() : String(value);
  }

  // The token's claims, read only to label the page before the server confirms who we are.
  function tokenClaims(token) {
    try {
      const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      const padded = part + "=".repeat((4 - (part.length % 4)) % 4);
      const claims = JSON.parse(atob(padded));
      return claims && typeof claims === "object" ? claims : {};
    } catch (_) {
      return {};
    }
  }

  // ------------------------------------------------------------------ errors and sign-in

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  async function api(path, { method = "GET", body, blob = false } = {}) {
    const headers = { Authorization: `Bearer ${state.token}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        cache: "no-store",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new ApiError(0, "NETWORK", `The server could not be reached (${error}).`);
    }
    if (!response.ok) {
      let code = `HTTP ${response.status}`;
      let message = response.statusText || "Request failed";
      try {
        const data = await response.json();
        const detail = data ? data.detail : undefined;
        if (detail && typeof detail === "object" && !Array.isArray(detail)) {
          code = detail.code || code;
          message = detail.message || message;
        } else if (typeof detail === "string") {
          message = detail;
        } else if (Array.isArray(detail)) {
          message = detail.map((item) => (item && item.msg) || String(item)).join("; ");
        }
      } catch (_) {
        // not JSON: keep the status text
      }
      throw new ApiError(response.status, code, message);
    }
    if (response.status === 204) return null;
    return blob ? response.blob() : response.json();
  }

  // `what` says what failed. A 401 (or a 403 on reading) means the token will not do.
  function apiFailed(error, what, { reading = false } = {}) {
    if (!(error instanceof ApiError)) {
      showError("ERROR", `${what}: ${error}`);
      return;
    }
    if (error.status === 401 || (error.status === 403 && reading)) {
      needSignIn(error.message);
      return;
    }
    showError(error.code, `${what}: ${error.message}`);
  }

  function needSignIn(reason) {
    const wasSignedIn = state.signedIn;
    signOut({ keepError: true });
    const said = reason ? ` The server said: ${reason.replace(/\.$/, "")}.` : "";
    showError("Sign-in needed", `${STAFF_ONLY} (staff or admin role).${said}`);
    els.error.dataset.code = "STAFF_ONLY";
    if (wasSignedIn) els.tokenInput.focus();
  }

  function signIn(token) {
    token = (token || "").trim();
    if (!token) {
      els.tokenInput.focus();
      return;
    }
    state.token = token;
    state.signedIn = true;
    sessionStorage.setItem(STORAGE_TOKEN, token);
    const claims = tokenClaims(token);
    state.me = { id: claims.sub ? String(claims.sub) : null, name: claims.name || "", role: "" };
    els.staffName.textContent = state.me.name || "";
    els.tokenInput.value = "";
    clearError();
    els.signInPanel.hidden = true;
    els.workspace.hidden = false;
    els.tabs.hidden = false;
    els.signOut.hidden = false;
    setView(state.view);
    loadList();
    socket.connect(token);
    const wanted = sessionFromHash();
    if (wanted) openConversation(wanted);
  }

  function signOut({ keepError = false } = {}) {
    state.signedIn = false;
    state.token = "";
    state.me = null;
    sessionStorage.removeItem(STORAGE_TOKEN);
    socket.disconnect("signed out");
    closeConversation();
    state.conversations.clear();
    state.rows.clear();
    state.touched.clear();
    els.list.replaceChildren();
    els.listCount.textContent = "";
    els.staffName.textContent = "";
    els.staffName.title = "";
    for (const url of state.chartUrls.values()) URL.revokeObjectURL(url);
    state.chartUrls.clear();
    for (const img of els.charts) img.removeAttribute("src");
    els.tiles.replaceChildren();
    state.metricsLoadedAt = 0;
    els.gapGroups.replaceChildren();
    els.gapsSummary.textContent = "";
    els.gapsUpdated.replaceChildren();
    els.gapsEmpty.hidden = true;
    state.gapsLoadedAt = 0;
    state.gapsRequest += 1; // a report still on its way is not shown
    if (!keepError) clearError();
    els.workspace.hidden = true;
    els.tabs.hidden = true;
    els.signOut.hidden = true;
    els.signInPanel.hidden = false;
  }

  // ------------------------------------------------------------------ views (tabs)

  // Each view: its tab and its panel, in the tabs' order.
  function views() {
    return [
      ["inbox", els.tabConversations, els.inbox],
      ["metrics", els.tabMetrics, els.metrics],
      ["gaps", els.tabGaps, els.gaps],
    ];
  }

  function setView(view) {
    state.view = view;
    for (const [name, tab, panel] of views()) {
      tab.setAttribute("aria-selected", String(name === view));
      tab.tabIndex = name === view ? 0 : -1;
      panel.hidden = name !== view;
    }
    if (!state.signedIn) return;
    if (view === "metrics" && Date.now() - state.metricsLoadedAt > METRICS_EVERY_MS / 2) {
      loadMetrics();
    }
    if (view === "gaps" && Date.now() - state.gapsLoadedAt > GAPS_STALE_MS) loadGaps();
  }

  // ------------------------------------------------------------------ the live connection

  // Watching a turn that is already under way, the answer so far is what catches it up.
  const socket = new ChatSocket({ path: "/ws/staff", follow: false, partialResponse: true });

  function showStatus(detail) {
    showStatusPill(els.status, detail);
    if (detail.status === "reconnecting") state.reconnected = true;
  }

  function sendFrame(frame) {
    return socket.sendFrame(frame);
  }

  function onClose({ code, reason }) {
    setWatching(null);
    state.replay = null;
    endStream(null);
    if (!state.signedIn) return;
    if (socket.authFailed || code === 4001) {
      needSignIn(reason || "the live connection refused the token");
    } else if (code === 4003) {
      showError("4003", reason || "Forbidden: this page's origin is not allowed.");
    }
  }

  // Follow the open conversation. The ping after `watch` comes back once the server has
  // handled the watch: only then is the conversation marked as watched.
  function watch(sessionId) {
    setWatching(null);
    if (!sessionId || !socket.open) return;
    state.replay = { sessionId, events: [] };
    state.lastSeq = 0;
    sendFrame({ type: "watch", session_id: sessionId });
    state.pingCount += 1;
    const stamp = `watch-${state.pingCount}`;
    state.watchPings.set(stamp, sessionId);
    sendFrame({ type: "ping", timestamp: stamp });
  }

  function setWatching(sessionId) {
    if (sessionId) els.conversation.dataset.watching = sessionId;
    else delete els.conversation.dataset.watching;
  }

  // ------------------------------------------------------------------ server events

  function handleEvent(ev) {
    if (!ev || typeof ev.type !== "string") return;
    switch (ev.type) {
      case "auth_success":
        onAuthSuccess(ev);
        return;
      case "auth_error":
        needSignIn(ev.message);
        return;
      case "pong":
        onPong(ev);
        return;
      case "conversation":
        if (ev.conversation) upsertConversation(ev.conversation);
        return;
      default:
        break;
    }
    if (ev.type === "error" && !ev.session_id && !ev.turn_id) {
      showError(ev.code || "error", ev.error || "");
      return;
    }
    // Everything else belongs to the watched conversation.
    if (!state.openId || (ev.session_id && ev.session_id !== state.openId)) return;
    if (ev.type === "error" && !TURN_ENDING.has(ev.code)) {
      showError(ev.code || "error", ev.error || ""); // a refused frame (say, the watch)
      return;
    }
    if (state.replay) {
      // What the server replays after `watch`, up to its `session` event.
      if (ev.type === "session") finishReplay(ev);
      else state.replay.events.push(ev);
      return;
    }
    if (typeof ev.seq === "number") {
      if (ev.seq <= state.lastSeq) return; // seen already (replayed)
      const gap = state.lastSeq > 0 && ev.seq > state.lastSeq + 1;
      state.lastSeq = ev.seq;
      if (gap) scheduleDetailRefresh();
    }
    if (ev.type === "session") {
      if (typeof ev.last_seq === "number") state.lastSeq = ev.last_seq;
      return;
    }
    applyEvent(ev);
  }

  // The history replayed after `watch` is in the stored transcript already, except a turn
  // that is still running: its events rebuild the streaming answer. `session` is the
  // server's end-of-replay event (null: it sent none and the pong after `watch` came back).
  function finishReplay(session) {
    const replay = state.replay;
    state.replay = null;
    if (!replay) return;
    const events = replay.events;
    let running = null;
    if (session) {
      running = session.turn_id || null;
    } else {
      const last = [...events].reverse().find((e) => e.turn_id);
      const ended = (e) =>
        e.turn_id === last.turn_id &&
        (e.type === "complete" || e.type === "cancelled" || e.type === "error");
      if (last && !events.some(ended)) running = last.turn_id;
    }
    const seqs = events.map((e) => (typeof e.seq === "number" ? e.seq : 0));
    state.lastSeq =
      session && typeof session.last_seq === "number"
        ? session.last_seq
        : Math.max(state.lastSeq, 0, ...seqs);
    if (running) {
      for (const event of events) if (event.turn_id === running) applyEvent(event);
    }
    setWatching(state.openId);
    scheduleDetailRefresh();
  }

  // One event of the watched conversation, in order.
  function applyEvent(ev) {
    switch (ev.type) {
      case "progress":
        streamFor(ev);
        showProgress(ev.step, ev.agent, ev.message);
        if (ev.step === "starting") scheduleDetailRefresh(); // shows the customer's question
        break;
      case "sources": {
        const stream = streamFor(ev);
        stream.sources = [...stream.sources, ...(ev.sources || [])];
        renderStream();
        break;
      }
      case "tool_call":
        streamFor(ev).tools.push({ ...ev, ok: null, summary: null });
        renderStream();
        break;
      case "tool_result": {
        const stream = streamFor(ev);
        const use = stream.tools.find((t) => t.call_id === ev.call_id);
        if (use) Object.assign(use, { ok: ev.ok, summary: ev.summary });
        else stream.tools.push({ ...ev, arguments: {} });
        renderStream();
        break;
      }
      case "token": {
        const stream = streamFor(ev);
        stream.text += ev.token || "";
        if (typeof ev.partial_response === "string" && ev.partial_response !== stream.text) {
          stream.text = ev.partial_response;
        }
        if (els.progress.dataset.step !== "generating") showProgress("generating", ev.agent);
        renderStream();
        break;
      }
      case "complete":
        onComplete(ev);
        break;
      case "cancelled":
        endStream("cancelled", ev.partial_response);
        break;
      case "error":
        if (TURN_ENDING.has(ev.code)) endStream("failed", null, ev.code);
        showError(ev.code || "error", ev.error || "");
        break;
      case "customer_message":
        addLive({ role: "user", content: ev.message, id: ev.message_id || null });
        scheduleDetailRefresh();
        break;
      case "staff_message":
        addLive({ role: "staff", content: ev.message, author: { name: ev.staff_name } });
        scheduleDetailRefresh();
        break;
      case "handoff":
        // The stored transcript has its own notice for this: shown until the next reload.
        addLive({
          role: "system",
          content: ev.message || HANDOFF_LABELS[ev.status] || ev.status,
          handoff: ev.status,
          ephemeral: true,
        });
        scheduleDetailRefresh();
        break;
      default:
        // Unknown event types are ignored, as the protocol asks of clients.
        break;
    }
  }

  function onAuthSuccess(ev) {
    const reconnected = state.reconnected;
    state.reconnected = false;
    const user = ev.user || {};
    state.me = { id: user.id || (state.me && state.me.id), name: user.name || "", role: user.role };
    els.staffName.textContent = user.name || user.id || "";
    els.staffName.title = user.role ? `Signed in as ${user.id} (${user.role})` : "";
    // Anything that changed while we were not listening: the list, and the open conversation.
    loadList({ quiet: true });
    loadCanned();
    loadMembers();
    if (state.openId) {
      watch(state.openId);
      if (reconnected) scheduleDetailRefresh();
    }
    updateConversationControls();
  }

  function onPong(ev) {
    const sessionId = state.watchPings.get(ev.timestamp);
    if (sessionId === undefined) return;
    state.watchPings.delete(ev.timestamp);
    if (sessionId !== state.openId) return;
    if (state.replay && state.replay.sessionId === sessionId) finishReplay(null);
    setWatching(sessionId);
  }

  // ------------------------------------------------------------------ the conversation list

  function filtersFromInputs() {
    state.filters = {
      status: els.filterStatus.value,
      route: els.filterRoute.value,
      assigned: els.filterAssigned.value,
      q: els.search.value.trim(),
    };
  }

  async function loadList({ quiet = false } = {}) {
    if (!state.signedIn) return;
    const request = ++state.listRequest;
    const started = performance.now();
    const params = new URLSearchParams({ limit: String(LIST_LIMIT) });
    if (state.filters.status) params.set("status", state.filters.status);
    if (state.filters.route) params.set("route", state.filters.route);
    if (state.filters.assigned) params.set("assigned", state.filters.assigned);
    if (state.filters.q) params.set("q", state.filters.q);
    if (!quiet) els.list.setAttribute("aria-busy", "true");
    try {
      const rows = await api(`${API}/conversations?${params}`);
      if (request !== state.listRequest || !state.signedIn) return;
      const fresh = new Map();
      for (const summary of Array.isArray(rows) ? rows : []) {
        const known = state.conversations.get(summary.session_id);
        // A live update may be newer than this answer.
        const newer = known && parseTime(known.updated_at) > parseTime(summary.updated_at);
        fresh.set(summary.session_id, newer ? known : summary);
      }
      // Conversations that a live update brought in while the request was on its way.
      for (const [id, summary] of state.conversations) {
        if (!fresh.has(id) && (state.touched.get(id) || 0) > started) fresh.set(id, summary);
      }
      state.conversations = fresh;
      renderList();
    } catch (error) {
      if (request === state.listRequest) {
        apiFailed(error, "Loading conversations", { reading: true });
      }
    } finally {
      if (request === state.listRequest) els.list.setAttribute("aria-busy", "false");
    }
  }

  function matchesFilters(summary, known) {
    const { status, route, assigned, q } = state.filters;
    if (status && summary.status !== status) return false;
    if (route && summary.route !== route) return false;
    if (assigned === "mine" && !isMine(summary)) return false;
    if (assigned === "unassigned" && summary.assigned_staff) return false;
    if (q && !known) {
      // The server searches more than we can see; here, what the row shows.
      const customer = summary.customer || {};
      const last = summary.last_message || {};
      const haystack = [customer.name, customer.id, summary.session_id, last.content]
        .filter(Boolean)
        .join("\n")
        .toLowerCase();
      if (!haystack.includes(q.toLowerCase())) return false;
    }
    return true;
  }

  function upsertConversation(summary) {
    if (!summary || !summary.session_id) return;
    const id = summary.session_id;
    const known = state.conversations.get(id);
    if (known && parseTime(known.updated_at) > parseTime(summary.updated_at)) return;
    state.touched.set(id, performance.now());
    if (matchesFilters(summary, Boolean(known))) state.conversations.set(id, summary);
    else state.conversations.delete(id);
    renderList();
    if (id === state.openId) {
      if (state.detail) state.detail.conversation = summary;
      renderConversationHeader(summary);
      updateConversationControls();
      scheduleDetailRefresh();
    }
  }

  function sortedConversations() {
    return Array.from(state.conversations.values()).sort(
      (a, b) => (parseTime(b.updated_at) || 0) - (parseTime(a.updated_at) || 0),
    );
  }

  function statusBadge(status) {
    const badge = el("span", `status-badge status-${status || "unknown"}`);
    badge.textContent = STATUS_LABELS[status] || status || "unknown";
    badge.dataset.status = status || "";
    return badge;
  }

  function fillRow(row, summary) {
    row.className = `conversation-row status-${summary.status}`;
    row.dataset.sessionId = summary.session_id;
    row.dataset.status = summary.status;
    const selected = summary.session_id === state.openId;
    row.classList.toggle("selected", selected);
    if (selected) row.setAttribute("aria-current", "true");
    else row.removeAttribute("aria-current");

    const top = el("span", "row-top");
    top.append(el("span", "customer-name", customerName(summary)), statusBadge(summary.status));

    const last = summary.last_message;
    const preview = el("span", "last-message");
    if (last && last.content) {
      const who = last.role === "user" ? "" : `${ROLE_LABELS[last.role] || last.role}: `;
      if (who) preview.append(el("span", "last-role", who));
      preview.append(document.createTextNode(truncate(last.content, PREVIEW_CHARS)));
    } else {
      preview.append(el("span", "muted", "No messages yet"));
    }

    const bottom = el("span", "row-bottom");
    bottom.append(el("span", "route", routeText(summary) || "no route yet"));
    if (summary.status === "waiting" && summary.waiting_since) {
      const waited = el("span", "wait-time", `waiting ${waitedText(summary.waiting_since)}`);
      waited.dataset.waitingSince = summary.waiting_since;
      waited.dataset.testid = "wait-time";
      bottom.append(waited);
    }
    if (summary.assigned_staff && summary.assigned_staff.name) {
      bottom.append(el("span", "assignee", summary.assigned_staff.name));
    }
    bottom.append(timeNode(summary.updated_at, "updated"));

    row.replaceChildren(top, preview, bottom);
  }

  function renderList() {
    const ordered = sortedConversations();
    const wanted = [];
    const seen = new Set();
    for (const summary of ordered) {
      const id = summary.session_id;
      seen.add(id);
      let row = state.rows.get(id);
      if (!row) {
        row = el("button");
        row.type = "button";
        row.addEventListener("click", () => openConversation(row.dataset.sessionId));
        const item = el("li", "conversation-item");
        item.append(row);
        state.rows.set(id, row);
      }
      fillRow(row, summary);
      wanted.push(row.parentElement);
    }
    for (const [id, row] of state.rows) {
      if (!seen.has(id)) {
        row.parentElement.remove();
        state.rows.delete(id);
      }
    }
    // Move items only when the order changed: moving a node loses its focus.
    const current = Array.from(els.list.children);
    const same = current.length === wanted.length && current.every((node, i) => node === wanted[i]);
    if (!same) {
      const focused = document.activeElement;
      els.list.replaceChildren(...wanted);
      if (focused && els.list.contains(focused)) focused.focus();
    }
    const count = ordered.length;
    const waiting = ordered.filter((c) => c.status === "waiting").length;
    let text = count === 1 ? "1 conversation" : `${count} conversations`;
    if (waiting) text += ` · ${waiting} waiting`;
    els.listCount.textContent = text;
    renderWaitingAlert(true);
  }

  // The alert above the list: how many conversations wait for a person and the longest wait;
  // it pulses, and the tab's title counts them, when one starts waiting.
  function renderWaitingAlert(mayBeNew) {
    const waiting = Array.from(state.conversations.values()).filter(
      (c) => c.status === "waiting",
    );
    const ids = new Set(waiting.map((c) => c.session_id));
    const fresh = mayBeNew && waiting.some((c) => !state.waitingSeen.has(c.session_id));
    state.waitingSeen = ids;
    const base = document.title.replace(/^\(\d+\) /, "");
    document.title = waiting.length ? `(${waiting.length}) ${base}` : base;
    if (!waiting.length) {
      els.waitingAlert.hidden = true;
      els.waitingAlert.textContent = "";
      return;
    }
    const oldest = waiting
      .map((c) => c.waiting_since || c.updated_at)
      .sort((a, b) => (parseTime(a) || 0) - (parseTime(b) || 0))[0];
    const who = waiting.length === 1 ? "1 conversation waits" : `${waiting.length} conversations wait`;
    els.waitingAlert.textContent = `${who} for a person · longest ${waitedText(oldest)}`;
    els.waitingAlert.hidden = false;
    if (fresh) {
      els.waitingAlert.classList.remove("new");
      void els.waitingAlert.offsetWidth; // restart the pulse
      els.waitingAlert.classList.add("new");
    }
  }

  // ------------------------------------------------------------------ the open conversation

  function sessionFromHash() {
    const match = /^#c=(.+)$/.exec(window.location.hash);
    return match ? decodeURIComponent(match[1]) : null;
  }

  function openConversation(sessionId) {
    if (!sessionId) return;
    if (sessionId === state.openId) {
      scheduleDetailRefresh(0);
      return;
    }
    if (state.openId) sendFrame({ type: "unwatch" });
    resetConversation();
    state.openId = sessionId;
    const hash = `#c=${encodeURIComponent(sessionId)}`;
    window.history.replaceState(null, "", window.location.pathname + window.location.search + hash);
    els.emptyView.hidden = true;
    els.conversation.hidden = false;
    els.conversation.dataset.sessionId = sessionId;
    const summary = state.conversations.get(sessionId);
    if (summary) renderConversationHeader(summary);
    else {
      els.convCustomer.textContent = "Loading…";
      els.convMeta.replaceChildren(el("code", "session-id", sessionId));
    }
    for (const [id, row] of state.rows) {
      row.classList.toggle("selected", id === sessionId);
      if (id === sessionId) row.setAttribute("aria-current", "true");
      else row.removeAttribute("aria-current");
    }
    updateConversationControls();
    loadDetail();
    loadMembers(); // colleagues who signed in since
    watch(sessionId);
  }

  function resetConversation() {
    state.detail = null;
    state.detailRequest += 1;
    if (state.detailTimer) window.clearTimeout(state.detailTimer);
    state.detailTimer = null;
    state.lastSeq = 0;
    state.replay = null;
    state.stream = null;
    state.live = [];
    state.actionBusy = false;
    resetConfirmClose();
    setWatching(null);
    hideProgress();
    els.transcript.replaceChildren();
    els.actions.replaceChildren();
    els.notes.replaceChildren();
    els.customerPanel.replaceChildren();
    state.panelStale = true;
    renderDraftSources([]);
    els.noteInput.value = "";
    els.input.value = "";
  }

  function closeConversation() {
    if (state.openId) sendFrame({ type: "unwatch" });
    resetConversation();
    state.openId = null;
    els.conversation.hidden = true;
    delete els.conversation.dataset.sessionId;
    els.emptyView.hidden = false;
  }

  function scheduleDetailRefresh(delay = DETAIL_REFRESH_MS) {
    if (!state.openId) return;
    if (state.detailTimer) window.clearTimeout(state.detailTimer);
    state.detailTimer = window.setTimeout(() => {
      state.detailTimer = null;
      loadDetail();
    }, delay);
  }

  async function loadDetail() {
    const sessionId = state.openId;
    if (!sessionId || !state.signedIn) return;
    const request = ++state.detailRequest;
    els.conversation.setAttribute("aria-busy", "true");
    try {
      const detail = await api(`${API}/conversations/${encodeURIComponent(sessionId)}`);
      if (request !== state.detailRequest || sessionId !== state.openId) return;
      state.detail = {
        conversation: detail.conversation || state.conversations.get(sessionId) || null,
        messages: Array.isArray(detail.messages) ? detail.messages : [],
        actions: Array.isArray(detail.actions) ? detail.actions : [],
        notes: Array.isArray(detail.notes) ? detail.notes : [],
      };
      if (state.detail.conversation) {
        const known = state.conversations.get(sessionId);
        const summary = state.detail.conversation;
        if (!known || parseTime(summary.updated_at) >= parseTime(known.updated_at)) {
          if (known) {
            state.conversations.set(sessionId, summary);
            renderList();
          }
        } else {
          state.detail.conversation = known; // a live update is newer
        }
        renderConversationHeader(state.detail.conversation);
      }
      renderTranscript(request);
      renderActions();
      renderNotes();
      const customer = state.detail.conversation && state.detail.conversation.customer;
      if (state.panelStale && customer && customer.id) {
        state.panelStale = false;
        loadCustomer(sessionId, customer.id);
      }
      updateConversationControls();
      els.conversation.dataset.loaded = "true";
    } catch (error) {
      if (request !== state.detailRequest) return;
      if (error instanceof ApiError && error.status === 404) {
        showError(error.code, `Conversation ${sessionId}: ${error.message}`);
        return;
      }
      apiFailed(error, "Loading the conversation", { reading: true });
    } finally {
      if (request === state.detailRequest) els.conversation.setAttribute("aria-busy", "false");
    }
  }

  function renderConversationHeader(summary) {
    if (!summary) return;
    els.convCustomer.textContent = customerName(summary);
    const badge = statusBadge(summary.status);
    els.convStatus.className = badge.className;
    els.convStatus.textContent = badge.textContent;
    els.convStatus.dataset.status = summary.status || "";

    const meta = [];
    const route = routeText(summary);
    if (route) meta.push(el("span", "conv-route", route));
    if (summary.assigned_staff && summary.assigned_staff.name) {
      const mine = isMine(summary);
      const who = mine ? "Assigned to you" : `With ${summary.assigned_staff.name}`;
      meta.push(el("span", "conv-assignee", who));
    }
    const updated = el("span", "conv-updated");
    updated.append("Updated ", timeNode(summary.updated_at));
    meta.push(updated);
    const id = el("code", "session-id", summary.session_id);
    id.title = "Session id";
    meta.push(id);
    els.convMeta.replaceChildren(...meta);
  }

  function currentSummary() {
    if (!state.openId) return null;
    return (state.detail && state.detail.conversation) || state.conversations.get(state.openId);
  }

  function isMine(summary) {
    return Boolean(
      summary &&
        summary.assigned_staff &&
        state.me &&
        state.me.id &&
        summary.assigned_staff.id === state.me.id,
    );
  }

  function updateConversationControls() {
    const summary = currentSummary();
    const status = summary ? summary.status : null;
    const busy = state.actionBusy;
    els.takeover.disabled = busy || !(status === "bot" || status === "waiting");
    els.handback.disabled = busy || status !== "with_staff";
    els.close.disabled = busy || !status || status === "closed";
    els.assignTo.disabled = busy || !status || status === "closed";
    const mine = status === "with_staff" && isMine(summary);
    els.input.disabled = !mine;
    els.send.disabled = !mine || state.sending;
    els.suggest.disabled = !mine || state.drafting;
    let hint = "";
    if (!summary) hint = "";
    else if (status === "closed") hint = "This conversation is closed.";
    else if (status === "with_staff" && !mine) {
      const name = summary.assigned_staff && summary.assigned_staff.name;
      hint = name ? `${name} is handling this conversation.` : "Someone else is handling this.";
    } else if (!mine) hint = "Take over to write to the customer.";
    else hint = `${els.input.value.length} / ${MAX_CHARS} · Enter sends, Shift+Enter new line`;
    els.composerHint.textContent = hint;
    els.input.placeholder = mine
      ? "Write to the customer…"
      : "Take over the conversation to write to the customer";
  }

  // --- transcript

  // A message seen live: shown until the stored transcript has it.
  function addLive(message) {
    if (!message.content && message.role !== "system") return;
    if (hasRecent(message)) return;
    const stored = state.detail ? state.detail.messages.length : 0;
    state.live.push({
      ...message,
      created_at: message.created_at || new Date().toISOString(),
      after: stored,
      request: state.detailRequest, // the newest transcript request when it arrived
    });
    renderTranscript();
  }

  // The same id, or (ids differ between the live events and the stored rows) the same text.
  function sameMessage(a, b) {
    if (a.id && b.id && a.id === b.id) return true;
    return a.role === b.role && a.content === b.content;
  }

  // Whether the message is already shown (a live echo of something we know).
  function hasRecent(message) {
    const stored = state.detail ? state.detail.messages : [];
    const recent = stored.slice(-5);
    return (
      recent.some((m) => sameMessage(m, message)) || state.live.some((m) => sameMessage(m, message))
    );
  }

  // `loaded`: the request the stored transcript came from.
  function renderTranscript(loaded) {
    const atEnd =
      els.transcript.scrollHeight - els.transcript.scrollTop - els.transcript.clientHeight < 60;
    const stored = state.detail ? state.detail.messages : [];
    // Drop the live messages the stored transcript now has.
    const used = new Set();
    state.live = state.live.filter((entry) => {
      if (entry.ephemeral) return !(loaded > entry.request);
      for (let i = entry.after; i < stored.length; i += 1) {
        if (!used.has(i) && sameMessage(stored[i], entry)) {
          used.add(i);
          return false;
        }
      }
      return true;
    });
    const nodes = stored.map((m) => messageNode(m));
    for (const entry of state.live) {
      const node = messageNode(entry);
      node.classList.add("live");
      nodes.push(node);
    }
    if (state.stream) nodes.push(state.stream.node);
    els.transcript.replaceChildren(...nodes);
    if (atEnd || state.stream) scrollToEnd();
  }

  function scrollToEnd() {
    els.transcript.scrollTop = els.transcript.scrollHeight;
  }

  function authorLabel(message) {
    if (message.role === "user") return customerName(currentSummary());
    if (message.role === "staff") {
      const name = message.author && message.author.name;
      return name ? `${name} (staff)` : "Staff";
    }
    return ROLE_LABELS[message.role] || message.role || "Message";
  }

  // Numbered as the answer cites them; each document's title once, its sections under it.
  function sourcesNode(sources) {
    const box = el("div", "msg-sources");
    box.append(el("div", "sources-label", "Sources"));
    const list = el("ul");
    for (const group of Markdown.groupSources(sources)) {
      const item = el("li", "source");
      item.append(el("span", "source-title", group.title));
      item.title = group.source;
      const sections = el("span", "source-sections");
      for (const passage of group.passages) {
        const heading = (passage.heading || "").split(" > ").pop();
        const named = heading && heading !== group.title ? heading : "";
        const number = passage.n !== undefined && passage.n !== null ? `[${passage.n}]` : "";
        const where = [number, named].filter(Boolean).join(" ");
        const separator = named ? ", " : " ";
        const text = [where, passage.pages].filter(Boolean).join(separator);
        if (!text) continue;
        const score = typeof passage.score === "number" ? ` (${passage.score.toFixed(2)})` : "";
        const section = el("span", "source-section", `${text}${score}`);
        if (passage.snippet) section.title = passage.snippet; // what the citation points to
        sections.append(sections.childNodes.length ? "; " : " — ", section);
      }
      if (sections.childNodes.length) item.append(sections);
      list.append(item);
    }
    box.append(list);
    return box;
  }

  // An assistant's answer is Markdown, rendered safely; `data-text` keeps it as written.
  function contentNode(text, markdown) {
    const node = el("div", "msg-content");
    if (markdown) {
      node.classList.add("markdown");
      node.append(Markdown.render(text || ""));
      node.dataset.text = text || "";
    } else {
      node.textContent = text || "";
    }
    return node;
  }

  // The tools an answer used (streamed, or stored with it), one line each.
  function toolsNode(uses) {
    const list = el("ul", "tools");
    toolList(list).show(uses);
    return list;
  }

  function metaText(message) {
    const parts = [];
    const agents = Array.isArray(message.agents) ? message.agents.filter(Boolean) : [];
    if (agents.length) parts.push(agents.join(" → "));
    if (typeof message.confidence === "number") {
      parts.push(`confidence ${percent(message.confidence)}`);
    }
    if (typeof message.latency_ms === "number") parts.push(formatMs(message.latency_ms));
    return parts.join(" · ");
  }

  function feedbackNode(feedback) {
    const up = feedback.rating === "up";
    const box = el("div", "msg-feedback");
    box.dataset.rating = feedback.rating;
    const icon = el("span", "feedback-icon");
    icon.append(thumbIcon(up));
    box.append(icon, el("span", "feedback-rating", up ? "Helpful" : "Not helpful"));
    if (feedback.comment) box.append(el("q", "feedback-comment", feedback.comment));
    box.title = "The customer's feedback on this answer";
    return box;
  }

  function messageNode(message) {
    const role = message.role || "system";
    const node = el("li", "msg");
    node.dataset.role = role;
    if (message.id) node.dataset.messageId = message.id;
    if (message.status) node.dataset.status = message.status;
    if (message.handoff) node.dataset.handoff = message.handoff;

    const head = el("div", "msg-head");
    head.append(el("span", "msg-author", authorLabel(message)));
    if (message.created_at) head.append(clockNode(message.created_at));
    node.append(head);
    if (Array.isArray(message.tools) && message.tools.length) node.append(toolsNode(message.tools));
    node.append(contentNode(message.content, role === "assistant"));

    if (role === "assistant") {
      const meta = metaText(message);
      if (meta) node.append(el("div", "msg-meta", meta));
      if (Array.isArray(message.sources) && message.sources.length) {
        node.append(sourcesNode(message.sources));
      }
      if (message.feedback && message.feedback.rating) node.append(feedbackNode(message.feedback));
    }
    if (message.status === "cancelled") {
      node.append(el("div", "msg-note", "Cancelled before the end"));
    } else if (message.status === "failed") {
      const code = message.error_code ? ` (${message.error_code})` : "";
      node.append(el("div", "msg-note", `Failed${code}`));
    }
    return node;
  }

  // --- the streaming answer

  function streamFor(ev) {
    const turnId = ev.turn_id || null;
    if (state.stream && (!turnId || !state.stream.turnId || state.stream.turnId === turnId)) {
      if (turnId) state.stream.turnId = turnId;
      return state.stream;
    }
    const node = el("li", "msg streaming");
    node.dataset.role = "assistant";
    if (turnId) node.dataset.turnId = turnId;
    state.stream = { turnId, text: "", sources: [], tools: [], agent: ev.agent || "", node };
    renderStream();
    renderTranscript();
    return state.stream;
  }

  function renderStream() {
    const stream = state.stream;
    if (!stream) return;
    const head = el("div", "msg-head");
    head.append(el("span", "msg-author", "Assistant"), el("span", "typing", "answering…"));
    const content = contentNode(stream.text, true);
    const parts = [head];
    if (stream.tools.length) parts.push(toolsNode(stream.tools));
    parts.push(content);
    if (stream.agent) parts.push(el("div", "msg-meta", stream.agent));
    if (stream.sources.length) parts.push(sourcesNode(stream.sources));
    stream.node.replaceChildren(...parts);
    scrollToEnd();
  }

  function onComplete(ev) {
    const metadata = ev.metadata || {};
    const context = metadata.context || {};
    const agents = metadata.agents || (metadata.agent ? [metadata.agent] : []);
    state.stream = null;
    hideProgress();
    addLive({
      role: "assistant",
      content: ev.response || "",
      id: metadata.message_id || null,
      agents,
      confidence: metadata.confidence,
      latency_ms: metadata.latency_ms,
      sources: context.passages || [],
      tools: metadata.tools || [],
      status: "complete",
    });
    renderTranscript();
    state.panelStale = true; // the answer may have booked
    scheduleDetailRefresh();
  }

  // The turn ended without `complete`: keep what was streamed, marked.
  function endStream(status, text, code) {
    const stream = state.stream;
    hideProgress();
    if (!stream) return;
    state.stream = null;
    if (status) {
      addLive({
        role: "assistant",
        content: typeof text === "string" ? text : stream.text,
        sources: stream.sources,
        tools: stream.tools,
        status,
        error_code: code || null,
      });
      scheduleDetailRefresh();
    }
    renderTranscript();
  }

  function showProgress(step, agent, fallback) {
    progress.show(step, agent, fallback);
    if (state.stream && agent) {
      state.stream.agent = agent;
      renderStream();
    }
  }

  function hideProgress() {
    progress.clear();
  }

  // --- staff actions

  function renderActions() {
    const actions = state.detail ? state.detail.actions : [];
    const items = actions.map((action) => {
      const item = el("li", "action");
      item.dataset.action = action.action || "";
      const line = el("div", "action-line");
      const who = (action.staff && (action.staff.name || action.staff.id)) || "Someone";
      line.append(
        el("span", "action-who", who),
        document.createTextNode(" "),
        el("span", "action-what", ACTION_LABELS[action.action] || action.action || ""),
      );
      item.append(line);
      if (action.detail) {
        const detail =
          typeof action.detail === "string" ? action.detail : JSON.stringify(action.detail);
        item.append(el("div", "action-detail", truncate(detail, 200)));
      }
      item.append(timeNode(action.created_at));
      return item;
    });
    els.actions.replaceChildren(...items);
  }

  // --- assigning to a colleague

  async function loadMembers() {
    try {
      const members = await api(`${API}/members`);
      const options = (Array.isArray(members) ? members : []).map((m) => {
        const option = el("option", "", m.id === (state.me && state.me.id) ? `${m.name} (me)` : m.name);
        option.value = m.id;
        return option;
      });
      const first = el("option", "", "Assign to…");
      first.value = "";
      els.assignTo.replaceChildren(first, ...options);
    } catch (error) {
      apiFailed(error, "Loading the staff members", { reading: true });
    }
  }

  function assignTo(staffId) {
    els.assignTo.value = "";
    if (staffId) conversationAction("assign", "Assigning the conversation", { staff_id: staffId });
  }

  // --- a suggested reply: drafted by the assistant's own path, edited and sent by the agent

  async function suggestReply() {
    const sessionId = state.openId;
    if (!sessionId || els.suggest.disabled) return;
    state.drafting = true;
    updateConversationControls();
    els.suggest.textContent = "Drafting…";
    try {
      const draft = await api(`${API}/conversations/${encodeURIComponent(sessionId)}/draft`, {
        method: "POST",
      });
      if (sessionId !== state.openId || !draft) return;
      clearError();
      els.input.value = draft.text || "";
      els.input.focus();
      els.input.dispatchEvent(new Event("input"));
      renderDraftSources(draft.sources || []);
    } catch (error) {
      apiFailed(error, "Suggesting a reply");
    } finally {
      state.drafting = false;
      els.suggest.textContent = "Suggest a reply";
      updateConversationControls();
    }
  }

  function renderDraftSources(sources) {
    if (!sources.length) {
      els.draftSources.hidden = true;
      els.draftSources.replaceChildren();
      return;
    }
    const list = el("ol", "draft-source-list");
    list.append(
      ...sources.map((source, i) => {
        const item = el("li", "draft-source");
        item.dataset.testid = "draft-source";
        const n = source.n || i + 1;
        const page = source.page ? `, p. ${source.page}` : "";
        item.append(
          el("span", "source-n", `[${n}] `),
          document.createTextNode(`${source.title || source.source || ""}${page}`),
        );
        if (source.heading) item.title = source.heading;
        return item;
      }),
    );
    els.draftSources.replaceChildren(el("div", "panel-label", "The draft cites"), list);
    els.draftSources.hidden = false;
  }

  // --- the customer panel

  async function loadCustomer(sessionId, customerId) {
    try {
      const panel = await api(`${API}/customers/${encodeURIComponent(customerId)}`);
      if (sessionId === state.openId) renderCustomer(panel);
    } catch (error) {
      if (sessionId === state.openId) apiFailed(error, "Loading the customer", { reading: true });
    }
  }

  function panelList(title, testid, items, none) {
    const section = el("div", "panel-section");
    section.dataset.testid = testid;
    section.append(el("div", "panel-label", title));
    if (!items.length) {
      section.append(el("div", "muted", none));
      return section;
    }
    const list = el("ul", "panel-list");
    list.append(...items);
    section.append(list);
    return section;
  }

  function renderCustomer(panel) {
    if (!panel || !panel.customer) return;
    const named = (panel.named_vehicles || []).map((v) =>
      el("li", "panel-item", `${v.vehicle} (${v.mentions === 1 ? "once" : `${v.mentions} times`})`),
    );
    const registered = (panel.registered_vehicles || []).map((v) =>
      el("li", "panel-item", [v.year, v.model, v.variant].filter(Boolean).join(" ")),
    );
    const bookings = (panel.appointments || []).map((a) => {
      const item = el("li", "panel-item");
      item.dataset.status = a.status || "";
      item.append(el("code", "booking-ref", a.reference), ` ${a.service_type.replace(/_/g, " ")} · `);
      item.append(clockNode(a.starts_at));
      if (a.status !== "booked") item.append(el("span", "muted", ` (${a.status})`));
      return item;
    });
    const conversations = (panel.conversations || []).map((c) => {
      const item = el("li", "panel-item");
      const open = el("button", "link small", c.title || c.session_id);
      open.type = "button";
      open.dataset.sessionId = c.session_id;
      open.disabled = c.session_id === state.openId;
      open.addEventListener("click", () => openConversation(c.session_id));
      item.append(open, " ", statusBadge(c.status), " ", timeNode(c.updated_at));
      return item;
    });
    els.customerPanel.replaceChildren(
      el("div", "panel-name", panel.customer.name || panel.customer.id),
      panelList("Vehicles named", "named-vehicles", named, "None named yet."),
      panelList("Registered vehicles", "registered-vehicles", registered, "None registered."),
      panelList("Bookings", "bookings", bookings, "No bookings."),
      panelList("Conversations", "customer-conversations", conversations, "None."),
    );
  }

  // --- notes (staff only) and canned replies

  function renderNotes() {
    const notes = state.detail ? state.detail.notes : [];
    els.notes.replaceChildren(
      ...notes.map((note) => {
        const item = el("li", "note");
        item.dataset.testid = "note";
        const who = (note.author && (note.author.name || note.author.id)) || "Someone";
        const meta = el("div", "note-meta", `${who} · `);
        meta.append(timeNode(note.created_at));
        item.append(el("div", "note-text", note.content || ""), meta);
        return item;
      }),
    );
  }

  async function addNote() {
    const sessionId = state.openId;
    const text = els.noteInput.value.trim();
    if (!sessionId || !text || els.addNote.disabled) return;
    els.addNote.disabled = true;
    try {
      const note = await api(`${API}/conversations/${encodeURIComponent(sessionId)}/notes`, {
        method: "POST",
        body: { note: text },
      });
      if (sessionId !== state.openId) return;
      clearError();
      if (els.noteInput.value.trim() === text) els.noteInput.value = "";
      if (state.detail && note && !state.detail.notes.some((n) => n.id === note.id)) {
        state.detail.notes.push(note);
        renderNotes();
      }
      scheduleDetailRefresh();
    } catch (error) {
      apiFailed(error, "Adding the note");
    } finally {
      els.addNote.disabled = false;
    }
  }

  async function loadCanned() {
    try {
      const replies = await api(`${API}/canned-replies`);
      state.cannedReplies = Array.isArray(replies) ? replies : [];
      renderCanned();
    } catch (error) {
      apiFailed(error, "Loading the canned replies", { reading: true });
    }
  }

  function renderCanned() {
    els.canned.replaceChildren(
      ...state.cannedReplies.map((reply) => {
        const item = el("li", "canned-item");
        item.dataset.testid = "canned-reply";
        const label = el("span", "canned-label", reply.title || "");
        label.title = reply.content || "";
        const insert = el("button", "small", "Insert");
        insert.type = "button";
        insert.dataset.testid = "insert-canned";
        insert.setAttribute("aria-label", `Insert the reply ${reply.title}`);
        insert.addEventListener("click", () => insertCanned(reply));
        const remove = el("button", "small link", "Remove");
        remove.type = "button";
        remove.dataset.testid = "remove-canned";
        remove.setAttribute("aria-label", `Remove the reply ${reply.title}`);
        remove.addEventListener("click", () => removeCanned(reply));
        item.append(label, insert, remove);
        return item;
      }),
    );
  }

  // Into the message box at the cursor, for the agent to edit and send.
  function insertCanned(reply) {
    if (els.input.disabled) {
      els.composerHint.textContent = "Take over the conversation to use a canned reply.";
      return;
    }
    const box = els.input;
    const at = box.selectionStart ?? box.value.length;
    const end = box.selectionEnd ?? at;
    box.value = `${box.value.slice(0, at)}${reply.content || ""}${box.value.slice(end)}`;
    const caret = at + (reply.content || "").length;
    box.focus();
    box.setSelectionRange(caret, caret);
    box.dispatchEvent(new Event("input"));
  }

  async function saveCanned() {
    const title = els.cannedName.value.trim();
    const content = els.cannedText.value.trim();
    if (!title || !content || els.saveCanned.disabled) return;
    els.saveCanned.disabled = true;
    try {
      await api(`${API}/canned-replies`, { method: "POST", body: { title, content } });
      clearError();
      els.cannedName.value = "";
      els.cannedText.value = "";
      await loadCanned();
    } catch (error) {
      apiFailed(error, "Keeping the reply");
    } finally {
      els.saveCanned.disabled = false;
    }
  }

  async function removeCanned(reply) {
    try {
      await api(`${API}/canned-replies/${encodeURIComponent(reply.id)}`, { method: "DELETE" });
      clearError();
    } catch (error) {
      apiFailed(error, "Removing the reply");
    }
    await loadCanned();
  }

  // `body`: the action's JSON body, if it takes one (an assignment's `staff_id`).
  async function conversationAction(kind, what, body) {
    const sessionId = state.openId;
    if (!sessionId || state.actionBusy) return;
    state.actionBusy = true;
    updateConversationControls();
    try {
      const summary = await api(
        `${API}/conversations/${encodeURIComponent(sessionId)}/${kind}`,
        { method: "POST", body },
      );
      if (sessionId !== state.openId) return;
      clearError();
      if (summary && summary.session_id) {
        if (state.detail) state.detail.conversation = summary;
        upsertConversation(summary);
        renderConversationHeader(summary);
      }
      scheduleDetailRefresh(0);
      if (kind === "takeover") {
        state.actionBusy = false;
        updateConversationControls();
        if (!els.input.disabled) els.input.focus();
      }
    } catch (error) {
      apiFailed(error, what);
      scheduleDetailRefresh(0);
    } finally {
      state.actionBusy = false;
      updateConversationControls();
    }
  }

  function resetConfirmClose() {
    if (state.confirmClose) window.clearTimeout(state.confirmClose);
    state.confirmClose = null;
    els.close.textContent = "Close";
    els.close.classList.remove("confirming");
  }

  function onCloseClicked() {
    if (!state.confirmClose) {
      els.close.textContent = "Click again to close";
      els.close.classList.add("confirming");
      state.confirmClose = window.setTimeout(resetConfirmClose, CONFIRM_MS);
      return;
    }
    resetConfirmClose();
    conversationAction("close", "Closing the conversation");
  }

  async function sendStaffMessage() {
    const sessionId = state.openId;
    const text = els.input.value.trim();
    if (!sessionId || els.input.disabled || state.sending) return;
    if (!text) {
      els.input.focus();
      return;
    }
    if (text.length > MAX_CHARS) {
      showError("MESSAGE_TOO_LARGE", `Messages are limited to ${MAX_CHARS} characters.`);
      return;
    }
    state.sending = true;
    updateConversationControls();
    try {
      const message = await api(
        `${API}/conversations/${encodeURIComponent(sessionId)}/messages`,
        { method: "POST", body: { message: text } },
      );
      if (sessionId !== state.openId) return;
      clearError();
      if (els.input.value.trim() === text) {
        els.input.value = "";
        renderDraftSources([]);
      }
      if (message && typeof message === "object") {
        const echo = state.live.find(
          (m) => !m.id && m.role === "staff" && m.content === message.content,
        );
        if (echo) Object.assign(echo, message);
        else addLive({ role: "staff", author: state.me, ...message });
        renderTranscript();
      }
      scheduleDetailRefresh();
    } catch (error) {
      apiFailed(error, "Sending the message");
    } finally {
      state.sending = false;
      updateConversationControls();
    }
  }

  // ------------------------------------------------------------------ metrics

  function renderTiles(totals) {
    const tiles = STATS.map(([key, label, kind]) => {
      const tile = el("div", "stat-tile");
      tile.dataset.stat = key;
      const value = totals ? totals[key] : null;
      if (key === "waiting" && typeof value === "number" && value > 0) tile.classList.add("alert");
      const unrated = key === "feedback_positive_rate" && totals && !totals.feedback_count;
      const unscored = key === "csat" && totals && !totals.csat_count;
      const shown = unrated ? "no feedback yet" : unscored ? "no ratings yet" : formatStat(value, kind);
      const valueNode = el("span", "stat-value", shown);
      const labelNode = el(
        "span",
        "stat-label",
        key === "csat" && totals && totals.csat_count ? `${label}, ${totals.csat_count} rated` : label,
      );
      tile.append(valueNode, labelNode);
      tile.setAttribute("aria-label", `${label}: ${valueNode.textContent}`);
      tile.setAttribute("role", "group");
      return tile;
    });
    els.tiles.replaceChildren(...tiles);
  }

  async function loadChart(img) {
    const name = img.dataset.chart;
    const figure = img.closest("figure");
    figure.dataset.state = "loading";
    try {
      const blob = await api(`${API}/charts/${encodeURIComponent(name)}.svg`, { blob: true });
      if (!state.signedIn) return;
      const url = URL.createObjectURL(new Blob([blob], { type: "image/svg+xml" }));
      const previous = state.chartUrls.get(name);
      state.chartUrls.set(name, url);
      await new Promise((resolve) => {
        img.addEventListener("load", resolve, { once: true });
        img.addEventListener("error", resolve, { once: true });
        img.src = url;
      });
      if (previous) URL.revokeObjectURL(previous);
      figure.dataset.state = img.naturalWidth > 0 ? "ok" : "error";
      const note = figure.querySelector(".chart-error");
      if (img.naturalWidth > 0 && note) note.remove();
    } catch (error) {
      figure.dataset.state = "error";
      let note = figure.querySelector(".chart-error");
      if (!note) {
        note = el("p", "chart-error");
        figure.append(note);
      }
      note.textContent =
        error instanceof ApiError ? `${error.code}: ${error.message}` : String(error);
      throw error;
    }
  }

  async function loadMetrics() {
    if (!state.signedIn || state.metricsLoading) return;
    state.metricsLoading = true;
    els.refreshMetrics.disabled = true;
    els.metrics.setAttribute("aria-busy", "true");
    try {
      const results = await Promise.allSettled([
        api(`${API}/metrics`).then((data) => renderTiles((data && data.totals) || {})),
        ...els.charts.map((img) => loadChart(img)),
      ]);
      const failed = results.find((r) => r.status === "rejected");
      if (failed) apiFailed(failed.reason, "Loading metrics", { reading: true });
      state.metricsLoadedAt = Date.now();
      const stamp = el("span", "", "Updated ");
      stamp.append(timeNode(new Date().toISOString()));
      els.metricsUpdated.replaceChildren(stamp);
    } finally {
      state.metricsLoading = false;
      els.refreshMetrics.disabled = false;
      els.metrics.setAttribute("aria-busy", "false");
    }
  }

  function metricsTick() {
    if (state.signedIn && state.view === "metrics" && document.visibilityState === "visible") {
      loadMetrics();
    }
  }

  // ------------------------------------------------------------------ knowledge gaps

  function plural(count, noun) {
    return `${count} ${noun}${count === 1 ? "" : "s"}`;
  }

  function windowText(hours) {
    return hours > 24 && hours % 24 === 0 ? `${hours / 24} days` : `${hours} hours`;
  }

  // `Title › section, p. N (score)`: the heading's last part, as the transcript shows it.
  function passageText(passage) {
    const title = passage.title || passage.source || "";
    const section = (passage.heading || "").split(" > ").pop();
    const where = section && section !== title ? `${title} › ${section}` : title;
    const page = typeof passage.page === "number" ? `, p. ${passage.page}` : "";
    const score = typeof passage.score === "number" ? ` (${passage.score.toFixed(2)})` : "";
    return `${where}${page}${score}`;
  }

  function passageNode(passage) {
    const item = el("li", "gap-passage", passageText(passage));
    item.title = passage.source || "";
    return item;
  }

  // A question of the group; it opens its conversation in the inbox.
  function exampleNode(example) {
    const item = el("li", "gap-example");
    const open = el("button", "link gap-open", example.question);
    open.type = "button";
    open.title = "Open the conversation";
    open.addEventListener("click", () => {
      setView("inbox");
      openConversation(example.conversation_id);
    });
    const reasons = (example.reasons || []).map((r) => GAP_REASONS[r] || r).join(", ");
    const meta = el("span", "muted", " (");
    meta.append(timeNode(example.asked_at), `; ${reasons})`);
    item.append(open, meta);
    return item;
  }

  function gapSection(title, items, render, none) {
    const section = el("section", "gap-section");
    section.append(el("h3", "", title));
    if (items && items.length) {
      const list = el("ul");
      list.append(...items.map(render));
      section.append(list);
    } else {
      section.append(el("p", "muted", none));
    }
    return section;
  }

  function gapGroupNode(group, open) {
    const item = el("li", "gap-group");
    item.setAttribute("data-testid", "gap-group");
    const details = el("details");
    details.dataset.label = group.label;
    details.open = open;
    const count = el("span", "gap-count", group.count);
    const conversations = plural(group.conversations, "conversation");
    count.title = `${plural(group.count, "question")} in ${conversations}`;
    const reasons = el("span", "gap-reasons");
    for (const [reason, label] of Object.entries(GAP_REASONS)) {
      const n = (group.reasons || {})[reason];
      if (!n) continue;
      const chip = el("span", "gap-reason", `${n} ${label}`);
      chip.dataset.reason = reason;
      reasons.append(chip);
    }
    const score = group.best_score;
    const best = typeof score === "number" ? `best score ${score.toFixed(2)} · ` : "";
    const meta = el("span", "gap-meta", `${best}last asked `);
    meta.append(timeNode(group.last_asked));
    const summary = el("summary");
    summary.append(count, el("span", "gap-label", group.label), reasons, meta);
    const body = el("div", "gap-body");
    body.append(
      gapSection("Questions", group.examples, exampleNode, "No question kept."),
      gapSection("Closest passages", group.passages, passageNode, "No passage was found."),
    );
    if (group.retrieved_now) {
      body.append(
        gapSection("Searched again now", group.retrieved_now, passageNode, "Still nothing found."),
      );
    }
    details.append(summary, body);
    item.append(details);
    return item;
  }

  function renderGaps(report, hours) {
    const groups = (report && report.groups) || [];
    const opened = new Set(
      Array.from(els.gapGroups.querySelectorAll("details[open]"), (d) => d.dataset.label),
    );
    els.gapsEmpty.hidden = groups.length > 0;
    els.gapsSummary.hidden = groups.length === 0;
    els.gapsSummary.textContent = groups.length
      ? `${plural(report.questions, "question")} in ${plural(groups.length, "group")} over the ` +
        `last ${windowText(hours)} (low score: best passage below ${report.score_below}).`
      : "";
    els.gapGroups.replaceChildren(...groups.map((g) => gapGroupNode(g, opened.has(g.label))));
    const failures = (report && report.dialogue_failures) || [];
    els.dialogueFailures.hidden = failures.length === 0;
    els.dialogueFailures.replaceChildren(
      gapSection(
        "Replies in the dialogue that went wrong (not gaps in the knowledge)",
        failures,
        exampleNode,
        "",
      ),
    );
  }

  async function loadGaps() {
    if (!state.signedIn) return;
    const request = ++state.gapsRequest;
    const hours = Number(els.gapsHours.value);
    els.refreshGaps.disabled = true;
    els.gaps.setAttribute("aria-busy", "true");
    try {
      const report = await api(`${GAPS_API}?hours=${encodeURIComponent(hours)}`);
      if (request !== state.gapsRequest) return;
      renderGaps(report, hours);
      state.gapsLoadedAt = Date.now();
      const stamp = el("span", "", "Updated ");
      stamp.append(timeNode(new Date().toISOString()));
      els.gapsUpdated.replaceChildren(stamp);
    } catch (error) {
      if (request === state.gapsRequest) {
        apiFailed(error, "Loading knowledge gaps", { reading: true });
      }
    } finally {
      if (request === state.gapsRequest) {
        els.refreshGaps.disabled = false;
        els.gaps.setAttribute("aria-busy", "false");
      }
    }
  }

  // ------------------------------------------------------------------ start

  function init() {
    const urlToken = takeTokenFromUrl();

    els.signInForm.addEventListener("submit", (event) => {
      event.preventDefault();
      signIn(els.tokenInput.value);
    });
    els.signOut.addEventListener("click", () => signOut());
    els.error.addEventListener("click", clearError);
    views().forEach(([name, tab], i, all) => {
      tab.addEventListener("click", () => setView(name));
      tab.addEventListener("keydown", (event) => {
        if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
        event.preventDefault();
        const step = event.key === "ArrowRight" ? 1 : all.length - 1;
        const other = all[(i + step) % all.length][1];
        other.focus();
        other.click();
      });
    });

    const filtersChanged = () => {
      filtersFromInputs();
      loadList();
    };
    els.filterStatus.addEventListener("change", filtersChanged);
    els.filterRoute.addEventListener("change", filtersChanged);
    els.filterAssigned.addEventListener("change", filtersChanged);
    els.waitingAlert.addEventListener("click", () => {
      els.filterStatus.value = "waiting";
      filtersChanged();
    });
    els.search.addEventListener("input", () => {
      if (state.searchTimer) window.clearTimeout(state.searchTimer);
      state.searchTimer = window.setTimeout(filtersChanged, SEARCH_DEBOUNCE_MS);
    });
    els.search.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        if (state.searchTimer) window.clearTimeout(state.searchTimer);
        filtersChanged();
      }
    });
    els.refreshList.addEventListener("click", () => loadList());

    els.takeover.addEventListener("click", () =>
      conversationAction("takeover", "Taking over the conversation"),
    );
    els.handback.addEventListener("click", () =>
      conversationAction("handback", "Handing the conversation back"),
    );
    els.close.addEventListener("click", onCloseClicked);
    els.assignTo.addEventListener("change", () => assignTo(els.assignTo.value));
    wireComposer(els.composer, els.input, sendStaffMessage);
    els.suggest.addEventListener("click", suggestReply);
    els.input.addEventListener("input", updateConversationControls);
    els.noteForm.addEventListener("submit", (event) => {
      event.preventDefault();
      addNote();
    });
    els.cannedForm.addEventListener("submit", (event) => {
      event.preventDefault();
      saveCanned();
    });

    els.refreshMetrics.addEventListener("click", () => loadMetrics());
    els.refreshGaps.addEventListener("click", () => loadGaps());
    els.gapsHours.addEventListener("change", () => loadGaps());
    window.setInterval(metricsTick, METRICS_EVERY_MS);
    document.addEventListener("visibilitychange", () => {
      if (Date.now() - state.metricsLoadedAt > METRICS_EVERY_MS) metricsTick();
    });
    window.setInterval(refreshTimes, CLOCK_MS);

    socket.on("status", showStatus);
    socket.on("close", onClose);
    socket.on("bad_frame", () => showError("BAD_FRAME", "The server sent a frame that is not JSON."));
    socket.on("*", handleEvent);
    showStatus({ status: socket.status });
    filtersFromInputs();
    const token = urlToken || sessionStorage.getItem(STORAGE_TOKEN);
    if (token) signIn(token);
    else {
      els.signInPanel.hidden = false;
      els.tokenInput.focus();
    }
  }

  init();
})();
