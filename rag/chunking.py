"""Heading-aware chunking of Markdown-shaped text; pure functions, no I/O.

Every chunk knows the headings above it. A table never loses its header: when a table is too
long for one chunk, each piece repeats the header row, so a row such as
"| Combined power | 310 kW | 210 kW |" always travels with the column names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
TABLE_ROW = re.compile(r"^\s*\|")
TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
LIST_ITEM = re.compile(r"^\s*([-*+]|\d+[.)])\s+")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")

DEFAULT_MAX_CHARS = 1000


@dataclass(frozen=True)
class Chunk:
    text: str
    heading_path: tuple[str, ...]
    ordinal: int

    @property
    def heading(self) -> str:
        return " > ".join(self.heading_path)


@dataclass(frozen=True)
class FrontMatter:
    fields: dict[str, object]
    body: str


def split_front_matter(text: str) -> FrontMatter:
    """Separate a leading `---` YAML block from the body; malformed YAML is left in the body."""
    if not text.startswith("---"):
        return FrontMatter({}, text)
    match = re.match(r"^---[ \t]*\n(.*?)\n---[ \t]*(\n|$)", text, flags=re.DOTALL)
    if not match:
        return FrontMatter({}, text)
    try:
        fields = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError:
        return FrontMatter({}, text)
    if not isinstance(fields, dict):
        return FrontMatter({}, text)
    return FrontMatter({str(k): v for k, v in fields.items()}, text[match.end() :])


def _blocks(lines: list[str]) -> list[tuple[str, list[str]]]:
    """Group a section's lines into ("table" | "list" | "code" | "text", lines) blocks."""
    blocks: list[tuple[str, list[str]]] = []
    kind: str | None = None
    current: list[str] = []

    def flush() -> None:
        nonlocal kind, current
        if kind and any(line.strip() for line in current):
            blocks.append((kind, current))
        kind, current = None, []

    in_fence = False
    for line in lines:
        if in_fence:
            current.append(line)
            if FENCE.match(line):
                in_fence = False
                flush()
            continue
        if FENCE.match(line):
            flush()
            kind, current, in_fence = "code", [line], True
            continue
        if not line.strip():
            if kind == "list":
                current.append(line)
                continue
            flush()
            continue
        line_kind = "table" if TABLE_ROW.match(line) else "list" if LIST_ITEM.match(line) else None
        if kind == "list" and line_kind is None and line.startswith((" ", "\t")):
            line_kind = "list"  # an indented continuation of a list item
        line_kind = line_kind or "text"
        if line_kind != kind:
            flush()
            kind = line_kind
        current.append(line)
    flush()
    return [(k, _trim(block)) for k, block in blocks]


def _trim(lines: list[str]) -> list[str]:
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def _split_table(lines: list[str], max_chars: int) -> list[str]:
    """Split a long table into row groups that each start with the header and separator."""
    header_len = 2 if len(lines) > 1 and TABLE_SEPARATOR.match(lines[1]) else 1
    header, rows = lines[:header_len], lines[header_len:]
    pieces: list[str] = []
    group: list[str] = []
    size = sum(len(line) + 1 for line in header)
    for row in rows:
        if group and size + len(row) + 1 > max_chars:
            pieces.append("\n".join(header + group))
            group, size = [], sum(len(line) + 1 for line in header)
        group.append(row)
        size += len(row) + 1
    if group or not pieces:
        pieces.append("\n".join(header + group))
    return pieces


def _split_long_text(text: str, max_chars: int) -> list[str]:
    """Split prose at sentence ends, then hard-wrap anything still too long."""
    pieces: list[str] = []
    current = ""
    for sentence in SENTENCE_END.split(text):
        while len(sentence) > max_chars:
            cut = sentence.rfind(" ", 0, max_chars)
            cut = cut if cut > max_chars // 2 else max_chars
            if current:
                pieces.append(current)
                current = ""
            pieces.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if current and len(current) + 1 + len(sentence) > max_chars:
            pieces.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        pieces.append(current)
    return pieces


def _split_list(lines: list[str], max_chars: int) -> list[str]:
    """Split a long list between items, never inside one."""
    items: list[list[str]] = []
    for line in lines:
        if LIST_ITEM.match(line) or not items:
            items.append([line])
        else:
            items[-1].append(line)
    pieces: list[str] = []
    current: list[str] = []
    for item in items:
        text = "\n".join(item).rstrip()
        if current and len("\n".join(current)) + 1 + len(text) > max_chars:
            pieces.append("\n".join(current))
            current = []
        if len(text) > max_chars:
            pieces.extend(_split_long_text(text, max_chars))
        else:
            current.append(text)
    if current:
        pieces.append("\n".join(current))
    return pieces


def _pieces(kind: str, lines: list[str], max_chars: int) -> list[str]:
    text = "\n".join(lines).strip("\n")
    if len(text) <= max_chars:
        return [text]
    if kind == "table":
        return _split_table(lines, max_chars)
    if kind == "list":
        return _split_list(lines, max_chars)
    if kind == "code":
        return [text[i : i + max_chars] for i in range(0, len(text), max_chars)]
    return _split_long_text(" ".join(line.strip() for line in lines), max_chars)


def _pack(pieces: list[str], max_chars: int) -> list[str]:
    """Join consecutive pieces of one section while they fit in one chunk."""
    packed: list[str] = []
    for piece in pieces:
        if packed and len(packed[-1]) + 2 + len(piece) <= max_chars:
            packed[-1] = f"{packed[-1]}\n\n{piece}"
        else:
            packed.append(piece)
    return packed


def _sections(body: str) -> list[tuple[tuple[str, ...], list[str]]]:
    """The body's sections, each with the heading path above it."""
    stack: list[tuple[int, str]] = []
    sections: list[tuple[tuple[str, ...], list[str]]] = [((), [])]
    in_fence = False
    for line in body.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
        match = None if in_fence else HEADING.match(line)
        if match:
            level, title = len(match.group(1)), match.group(2).strip()
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, title))
            sections.append((tuple(t for _, t in stack), []))
        else:
            sections[-1][1].append(line)
    return sections


def chunk_markdown(body: str, max_chars: int = DEFAULT_MAX_CHARS) -> list[Chunk]:
    """Chunks of at most about `max_chars` characters that never cross a heading."""
    chunks: list[Chunk] = []
    for heading_path, lines in _sections(body):
        pieces: list[str] = []
        for kind, block in _blocks(lines):
            pieces.extend(_pieces(kind, block, max_chars))
        for text in _pack(pieces, max_chars):
            if text.strip():
                chunks.append(
                    Chunk(text=text.strip(), heading_path=heading_path, ordinal=len(chunks))
                )
    return chunks


def _cells(row: str) -> list[str]:
    return [c.strip().replace("**", "") for c in row.strip().strip("|").split("|")]


def tables_described(text: str) -> str:
    """`text` with each pipe table replaced by what it is about: its column names and the
    label of each row ("Fjord Touring, Fjord Long Range: WLTP range; top speed; …").

    A table's figures mean little to a sentence-embedding model; its labels say what a reader
    would look in it for, so that is what gets embedded (search by terms still reads the
    figures).
    """
    out: list[str] = []
    table: list[str] = []

    def flush() -> None:
        if not table:
            return
        rows = [r for r in table if not TABLE_SEPARATOR.match(r)]
        header = [c for c in _cells(rows[0]) if c]
        labels = [_cells(r)[0] for r in rows[1:] if _cells(r)[0]]
        out.append(f"{', '.join(header)}: {'; '.join(labels)}" if labels else ", ".join(header))
        table.clear()

    for line in text.splitlines():
        if TABLE_ROW.match(line):
            table.append(line)
            continue
        flush()
        out.append(line)
    flush()
    return "\n".join(out)


def first_heading(body: str) -> str | None:
    for line in body.splitlines():
        match = HEADING.match(line)
        if match:
            return match.group(2).strip()
    return None
