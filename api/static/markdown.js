// Answers are Markdown: paragraphs, lists, **bold**, `code`, pipe tables and [n] citations.
// This renders that subset into DOM nodes built with createElement and text nodes only, so
// nothing in an answer is ever parsed as HTML. Shared by the test page and the console.
"use strict";

(function (root) {
  const TABLE_ROW = /^\s*\|/;
  const TABLE_SEPARATOR = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;
  const BULLET = /^\s*[-*+]\s+/;
  const NUMBERED = /^\s*\d+[.)]\s+/;
  const HEADING = /^\s*#{1,6}\s+/;
  const INLINE = /\*\*([^*]+)\*\*|`([^`]+)`|\[(\d{1,3})\]/g;

  function inline(parent, text) {
    let last = 0;
    for (const match of text.matchAll(INLINE)) {
      if (match.index > last) parent.append(document.createTextNode(text.slice(last, match.index)));
      if (match[1] !== undefined) {
        const strong = document.createElement("strong");
        strong.textContent = match[1];
        parent.append(strong);
      } else if (match[2] !== undefined) {
        const code = document.createElement("code");
        code.textContent = match[2];
        parent.append(code);
      } else {
        const cite = document.createElement("sup");
        cite.className = "cite";
        cite.dataset.n = match[3];
        cite.textContent = `[${match[3]}]`;
        parent.append(cite);
      }
      last = match.index + match[0].length;
    }
    if (last < text.length) parent.append(document.createTextNode(text.slice(last)));
    return parent;
  }

  function cells(row) {
    return row.trim().replace(/^\|/, "").replace(/\|$/, "").split("|").map((c) => c.trim());
  }

  function table(lines) {
    const node = document.createElement("table");
    node.className = "md-table";
    const rows = lines.filter((line) => !TABLE_SEPARATOR.test(line));
    const hasHeader = lines.length > 1 && TABLE_SEPARATOR.test(lines[1]);
    rows.forEach((row, index) => {
      const tr = document.createElement("tr");
      for (const cell of cells(row)) {
        tr.append(inline(document.createElement(hasHeader && index === 0 ? "th" : "td"), cell));
      }
      node.append(tr);
    });
    return node;
  }

  function list(lines, ordered) {
    const node = document.createElement(ordered ? "ol" : "ul");
    const marker = ordered ? NUMBERED : BULLET;
    let item = null;
    for (const line of lines) {
      if (marker.test(line) || item === null) {
        item = document.createElement("li");
        node.append(item);
        inline(item, line.replace(marker, ""));
      } else {
        inline(item, ` ${line.trim()}`);
      }
    }
    return node;
  }

  function paragraph(lines) {
    const node = document.createElement("p");
    lines.forEach((line, index) => {
      if (index) node.append(document.createElement("br"));
      inline(node, line);
    });
    return node;
  }

  function kindOf(line) {
    if (TABLE_ROW.test(line)) return "table";
    if (BULLET.test(line)) return "bullets";
    if (NUMBERED.test(line)) return "numbers";
    if (HEADING.test(line)) return "heading";
    return "text";
  }

  /** The answer `text` as a fragment of safe DOM nodes. */
  function renderMarkdown(text) {
    const fragment = document.createDocumentFragment();
    const blocks = [];
    for (const line of String(text || "").split("\n")) {
      if (!line.trim()) {
        blocks.push(null);
        continue;
      }
      const kind = kindOf(line);
      const open = blocks[blocks.length - 1];
      const continuesList = open && (open.kind === "bullets" || open.kind === "numbers") &&
        kind === "text" && /^\s/.test(line);
      if (open && (open.kind === kind || continuesList) && kind !== "heading") {
        open.lines.push(line);
      } else {
        blocks.push({ kind, lines: [line] });
      }
    }
    for (const block of blocks) {
      if (!block) continue;
      if (block.kind === "table") fragment.append(table(block.lines));
      else if (block.kind === "bullets") fragment.append(list(block.lines, false));
      else if (block.kind === "numbers") fragment.append(list(block.lines, true));
      else if (block.kind === "heading") {
        fragment.append(inline(document.createElement("h4"), block.lines[0].replace(HEADING, "")));
      } else fragment.append(paragraph(block.lines));
    }
    return fragment;
  }

  /**
   * A turn's sources, numbered as answers cite them and grouped by document, each title
   * once: [{ title, source, passages: [{ n, heading, score, pages, snippet }] }].
   */
  function groupSources(sources) {
    const byNumber = new Map();
    for (const source of sources || []) {
      const key = source.n ?? `${source.source}#${source.heading}`;
      if (!byNumber.has(key)) byNumber.set(key, source);
    }
    const groups = new Map();
    const ordered = [...byNumber.values()].sort((a, b) => (a.n ?? 1e9) - (b.n ?? 1e9));
    for (const source of ordered) {
      if (!groups.has(source.source)) {
        groups.set(source.source, {
          title: source.title || source.source,
          source: source.source,
          passages: [],
        });
      }
      groups.get(source.source).passages.push({
        n: source.n,
        heading: source.heading,
        score: source.score,
        pages: pageLabel(source),
        snippet: source.snippet || "",
      });
    }
    return [...groups.values()];
  }

  /** "p. 128", or "pp. 128–129" for a passage that runs onto later pages; "" without pages. */
  function pageLabel(source) {
    if (typeof source.page !== "number") return "";
    const end = source.page_end;
    if (typeof end === "number" && end !== source.page) return `pp. ${source.page}–${end}`;
    return `p. ${source.page}`;
  }

  root.Markdown = { render: renderMarkdown, groupSources, pageLabel };
})(window);
