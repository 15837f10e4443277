// What the chat test page and the staff console share on screen: element building, the error
// area, the connection status pill, the labels of progress steps and hand-off states, and the
// token taken from the address bar. Text is set with textContent only, never parsed as HTML.

export const STEP_LABELS = Object.freeze({
  sent: "Sending…",
  starting: "Starting…",
  agent_routing: "Routing…",
  rag_retrieval: "Searching the knowledge base…",
  generating: "Writing the answer…",
});

export const HANDOFF_LABELS = Object.freeze({
  waiting: "Waiting for staff",
  staff_joined: "Staff joined",
  returned_to_bot: "Back to the assistant",
  closed: "Conversation closed",
});

/** A new element with a class and text (as text, never HTML). */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

/** The page's error area: `show(code, message)` and `clear()`. */
export function errorArea(element) {
  return {
    show(code, message) {
      element.replaceChildren(
        el("strong", "error-code", code),
        el("span", "error-message", message || ""),
      );
      element.dataset.code = String(code);
      element.hidden = false;
    },
    clear() {
      element.hidden = true;
      element.replaceChildren();
      delete element.dataset.code;
    },
  };
}

/** Show a ChatSocket `status` notification in the status pill. */
export function showStatus(element, { status, delay, attempt }) {
  element.textContent = status;
  element.dataset.state = status;
  element.title =
    status === "reconnecting" && delay !== undefined
      ? `Reconnecting in ${Math.round(delay)} ms (attempt ${attempt})`
      : "";
}

/** The longest message the server takes, in characters, as the page was served with it
 * (`<meta name="max-message-chars">`); `fallback` where the page does not say. */
export function messageLimit(fallback) {
  const meta = document.querySelector('meta[name="max-message-chars"]');
  const limit = Number(meta ? meta.content : NaN);
  return Number.isInteger(limit) && limit > 0 ? limit : fallback;
}

/** A text's length as the server counts it: in characters (code points), not UTF-16 units. */
export function charCount(text) {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/** The `?token=` of the address, removed from the address bar and the history. */
export function takeTokenFromUrl() {
  const params = new URLSearchParams(window.location.search);
  const token = params.get("token");
  if (token) {
    params.delete("token");
    const query = params.toString();
    const clean = window.location.pathname + (query ? `?${query}` : "") + window.location.hash;
    window.history.replaceState(null, "", clean);
  }
  return token;
}

/** A message form: submitting it, or Enter (Shift+Enter is a new line) in its input, sends. */
export function wireComposer(form, input, send) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  });
}

/** The line that says what a running turn is doing: `show(step, agent, fallback)`, `clear()`. */
export function progressLine(element, prefix = "") {
  return {
    show(step, agent, fallback) {
      let text = `${prefix}${STEP_LABELS[step] || fallback || step}`;
      if (agent) text += ` (${agent})`;
      element.textContent = text;
      element.dataset.step = step || "";
      element.hidden = false;
    },
    clear() {
      element.hidden = true;
      element.textContent = "";
      delete element.dataset.step;
    },
  };
}

/**
 * The page's elements by id, as `els.<id in camelCase>`; `key=id` names one otherwise.
 * byIds("session-id input=message-input") → { sessionId: #session-id, input: #message-input }.
 */
export function byIds(spec) {
  const els = {};
  for (const entry of spec.split(/\s+/).filter(Boolean)) {
    const [key, id] = entry.includes("=") ? entry.split("=") : [entry, entry];
    const element = document.getElementById(id);
    if (!element) throw new Error(`no element #${id} on this page`);
    els[key.replace(/-(\w)/g, (_, c) => c.toUpperCase())] = element;
  }
  return els;
}

/** A tool call as one line: `book_appointment(start_text: …, service_type: …)`. */
export function toolCallText(ev) {
  const args = Object.entries(ev.arguments || {})
    .map(([key, value]) => `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(", ");
  return `${ev.name}(${args})`;
}

/**
 * The list of a turn's tool calls: `call(ev)` adds a line, `result(ev)` completes the line of
 * the same `call_id` with ✓ or ✗ and the summary; `show(uses)` draws the tools an answer used
 * as stored with it (`complete.metadata.tools`, a stored message's `tools`). Each call is one
 * line however often it is told.
 */
export function toolList(list) {
  const lineOf = (callId) => [...list.children].find((node) => node.dataset.callId === callId);
  return {
    call(ev) {
      if (lineOf(ev.call_id)) return;
      const item = el("li", "tool pending");
      item.dataset.callId = ev.call_id;
      item.append(el("code", "tool-call", toolCallText(ev)));
      list.append(item);
      list.hidden = false;
    },
    result(ev) {
      if (!lineOf(ev.call_id)) this.call({ call_id: ev.call_id, name: ev.name, arguments: {} });
      const item = lineOf(ev.call_id);
      item.classList.remove("pending", "ok", "failed");
      item.classList.add(ev.ok ? "ok" : "failed");
      const text = `${ev.ok ? "✓" : "✗"} ${ev.summary || ""}`;
      const shown = item.querySelector(".tool-result");
      if (shown) shown.textContent = text;
      else item.append(el("span", "tool-result", text));
    },
    show(uses) {
      for (const use of uses || []) {
        this.call(use);
        if (typeof use.ok === "boolean") this.result(use);
      }
    },
  };
}

// Lucide's "thumbs-up" outline (ISC licence), drawn inline: no emoji font needed.
const THUMB_PATHS = [
  "M7 10v12",
  "M15 5.88 14 10h5.83a2 2 0 0 1 1.92 2.56l-2.33 8A2 2 0 0 1 17.5 22H4a2 2 0 0 1-2-2v-8a2 2 0 0 1 2-2h2.76a2 2 0 0 0 1.79-1.11L12 2a3.13 3.13 0 0 1 3 3.88Z",
];

/** A thumbs-up (or, with `up` false, thumbs-down) icon as an inline SVG element. */
export function thumbIcon(up) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  for (const [name, value] of Object.entries({
    viewBox: "0 0 24 24", width: "18", height: "18", fill: "none", stroke: "currentColor",
    "stroke-width": "2", "stroke-linecap": "round", "stroke-linejoin": "round",
    "aria-hidden": "true", class: `thumb ${up ? "thumb-up" : "thumb-down"}`,
  })) svg.setAttribute(name, value);
  const group = document.createElementNS(ns, "g");
  if (!up) group.setAttribute("transform", "rotate(180 12 12)");
  for (const d of THUMB_PATHS) {
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", d);
    group.append(path);
  }
  svg.append(group);
  return svg;
}
