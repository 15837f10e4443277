"""Heading-aware chunking of a document's blocks; pure functions, no I/O.

Every chunk knows the headings above it and the pages it comes from. A table never loses its
header: when a table is too long for one chunk, each piece repeats the header row, so a row
such as "| Combined power | 310 kW | 210 kW |" always travels with the column names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import yaml

from rag.blocks import (
    HEADING,
    LIST_ITEM,
    TABLE_ROW,
    TABLE_SEPARATOR,
    Block,
    from_markdown,
)

SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")

DEFAULT_MAX_CHARS = 1000


@dataclass(frozen=True)
class Chunk:
    text: str
    heading_path: tuple[str, ...]
    ordinal: int
    page: int | None = None  # the page it starts on, when its document has pages
    page_end: int | None = None  # the page it ends on, when that is another

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


def _trim(lines: list[str]) -> list[str]:
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


# A table is cut into pieces of at most this many rows, each a chunk of its own with the
# header: a chunk about a few rows is found by what those rows are about.
TABLE_ROWS = 6
GROUPED = re.compile(r"^\s*\|\s*([^|]+?)\s+–\s")


def _split_table(lines: list[str], max_chars: int) -> list[str]:
    """A table in pieces that each start with the header and separator: at most TABLE_ROWS
    rows and `max_chars` characters, cut where the rows' group changes when it can be."""
    header_len = 2 if len(lines) > 1 and TABLE_SEPARATOR.match(lines[1]) else 1
    header, rows = lines[:header_len], lines[header_len:]
    runs: list[list[str]] = []
    for row in rows:
        if runs and _group(row) == _group(runs[-1][-1]):
            runs[-1].append(row)
        else:
            runs.append([row])
    head = sum(len(line) + 1 for line in header)
    pieces: list[list[str]] = []
    for run in runs:
        for start in range(0, len(run), TABLE_ROWS):
            part = run[start : start + TABLE_ROWS]
            last = pieces[-1] if pieces else None
            if (
                last is not None
                and len(last) + len(part) <= TABLE_ROWS
                and head + sum(len(r) + 1 for r in (*last, *part)) <= max_chars
            ):
                last.extend(part)
            else:
                pieces.append(list(part))
    return ["\n".join(header + piece) for piece in pieces] or ["\n".join(header)]


def _group(row: str) -> str:
    """The group a row's label names ("Fuel tank – Capacity" → "Fuel tank"), or its label."""
    match = GROUPED.match(row)
    return match.group(1) if match else _cells(row)[0]


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
    if kind == "table" and len(lines) > TABLE_ROWS + 2:
        return _split_table(lines, max_chars)
    if len(text) <= max_chars:
        return [text]
    if kind == "table":
        return _split_table(lines, max_chars)
    if kind == "list":
        return _split_list(lines, max_chars)
    if kind == "code":
        return [text[i : i + max_chars] for i in range(0, len(text), max_chars)]
    return _split_long_text(" ".join(line.strip() for line in lines), max_chars)


Piece = tuple[str, int | None, int | None]  # text, first page, last page


def _pack(pieces: list[Piece], max_chars: int) -> list[Piece]:
    """Join consecutive pieces of one section while they fit in one chunk; a piece of a
    table of many rows stays a chunk of its own."""
    packed: list[Piece] = []
    alone = False
    for text, page, page_end in pieces:
        piece_alone = TABLE_ROW.match(text) is not None and text.count("\n") >= TABLE_ROWS
        if (
            packed
            and not alone
            and not piece_alone
            and len(packed[-1][0]) + 2 + len(text) <= max_chars
        ):
            last, first_page, last_page = packed[-1]
            pages = [p for p in (first_page, last_page, page, page_end) if p is not None]
            packed[-1] = (
                f"{last}\n\n{text}",
                min(pages) if pages else None,
                max(pages) if pages else None,
            )
        else:
            packed.append((text, page, page_end if page_end is not None else page))
        alone = piece_alone
    return packed


def chunk_blocks(blocks: Sequence[Block], max_chars: int = DEFAULT_MAX_CHARS) -> list[Chunk]:
    """Chunks of at most about `max_chars` characters that never cross a heading or a break,
    each with its heading path and its pages."""
    chunks: list[Chunk] = []
    stack: list[tuple[int, str]] = []
    pieces: list[Piece] = []

    def flush() -> None:
        path = tuple(title for _, title in stack)
        for text, page, page_end in _pack(pieces, max_chars):
            if text.strip():
                chunks.append(
                    Chunk(
                        text=text.strip(),
                        heading_path=path,
                        ordinal=len(chunks),
                        page=page,
                        page_end=page_end if page_end != page else None,
                    )
                )
        pieces.clear()

    for block in blocks:
        if block.kind == "break":
            flush()
            continue
        if block.kind == "heading":
            flush()
            while stack and stack[-1][0] >= block.level:
                stack.pop()
            stack.append((block.level, block.text.strip()))
            continue
        for piece in _pieces(block.kind, list(block.lines), max_chars):
            pieces.append((piece, block.page, block.last_page))
    flush()
    return _small_sections_joined(chunks, max_chars)


# A section shorter than this is read with the sections after it, as far as they fit.
SMALL_SECTION = 200


def _small_sections_joined(chunks: Sequence[Chunk], max_chars: int) -> list[Chunk]:
    """A section of a line or two ("Extended Warranty: we recommend our programme", then
    "Benefits", then "Term: 24 + 12 months") is one chunk with the sections that follow it
    under the same parent, while each one joined is small and all fit in one chunk: alone, a
    line or two is too little for a search or an answer to go on. The chunk is filed under
    the heading of its longest section; the others' headings stay in its text, in bold.

    Only in documents with pages (a PDF, Markdown converted from one): their headings are
    told from type by the reader, and a bold label over a line or two reads as one; an
    author's own Markdown sections are kept as written."""
    paths = [c.heading_path for c in chunks]
    whole = [
        (i == 0 or paths[i - 1] != path) and (i + 1 == len(paths) or paths[i + 1] != path)
        for i, path in enumerate(paths)
    ]
    groups: list[list[Chunk]] = []
    open_to_more = False  # the last group ends with a whole small section
    for chunk, alone in zip(chunks, whole, strict=True):
        group = groups[-1] if groups else None
        if (
            group is not None
            and open_to_more
            and alone
            and chunk.heading_path
            and group[-1].heading_path
            and _under_same_parent(group[-1].heading_path, chunk.heading_path)
            and _near(group[-1], chunk)
            and len(_joined([*group, chunk]).text) <= max_chars
        ):
            group.append(chunk)
        else:
            groups.append([chunk])
        open_to_more = alone and len(chunk.text) < SMALL_SECTION
    return [replace(_joined(group), ordinal=i) for i, group in enumerate(groups)]


def _joined(group: Sequence[Chunk]) -> Chunk:
    if len(group) == 1:
        return group[0]
    main = max(group, key=lambda c: len(c.text))
    text = "\n\n".join(
        c.text if c is main else f"**{c.heading_path[-1]}**\n\n{c.text}" for c in group
    )
    pages = [p for c in group for p in (c.page, c.page_end) if p is not None]
    first, last = (min(pages), max(pages)) if pages else (None, None)
    return Chunk(text, main.heading_path, group[0].ordinal, first, last if last != first else None)


def _under_same_parent(first: tuple[str, ...], then: tuple[str, ...]) -> bool:
    """`then` is a sibling of `first` or below it, not a section further up."""
    return len(then) >= len(first) and then[: len(first) - 1] == first[:-1]


def _near(first: Chunk, then: Chunk) -> bool:
    """On the same page or the next."""
    end = first.page_end or first.page
    return end is not None and then.page is not None and 0 <= then.page - end <= 1


def chunk_markdown(body: str, max_chars: int = DEFAULT_MAX_CHARS) -> list[Chunk]:
    """Chunks of Markdown-shaped text (see `chunk_blocks`)."""
    return chunk_blocks(from_markdown(body), max_chars)


def _cells(row: str) -> list[str]:
    return [c.strip().replace("**", "") for c in row.strip().strip("|").split("|")]


def tables_described(text: str) -> str:
    """`text` with each pipe table replaced by what it is about: its column names and the
    label of each row ("Nova Touring, Nova Long Range: WLTP range; top speed; …").

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


KEY_ITEM = re.compile(r"^\s*[-*+]\s+([^:]{2,60}):\s+\S")
# A chunk of at least this many rows is also found by each row's own label (its facets).
MIN_FACET_ROWS = 2


NUMBERED = re.compile(r"^(?:(.+?)\s+–\s+)?[\d.]+$")


def _label(cells: list[str]) -> str:
    """A row's label: its first cell, or its next when the first is only its number."""
    numbered = NUMBERED.match(cells[0])
    if numbered and len(cells) > 1 and cells[1]:
        return f"{numbered.group(1)} – {cells[1]}" if numbered.group(1) else cells[1]
    return cells[0]


FACET_NAME_WORDS = 8


def _facet_label(cells: list[str]) -> str:
    """What a row is about: its label, and the name in its second cell when it has one and
    more follows (a message under the warning light it belongs to: "Fuel gauge warning light
    on – Check fuel tank cap"); a row without a label of its own goes by that name."""
    label = _label(cells) if cells[0] else ""
    second = cells[1] if len(cells) > 2 else ""
    named = (
        second
        and second != label
        and not any(c.isdigit() for c in second)
        and len(second.split()) <= FACET_NAME_WORDS
    )
    if not named:
        return label
    return f"{label} – {second}" if label else second


def facets(text: str, heading: str) -> list[str]:
    """What each row of a chunk's tables (or "label: value" list) is about, as its section
    and label read ("Filling capacities: Brake fluid"): embedded beside the chunk, so a
    question about one row finds the chunk that holds it, however many other rows it has."""
    labels: list[str] = []
    header: list[str] | None = None
    for line in text.splitlines():
        if TABLE_ROW.match(line):
            if TABLE_SEPARATOR.match(line):
                continue
            cells = _cells(line)
            if header is None:
                header = cells
            elif cells and (label := _facet_label(cells)):
                labels.append(label)
            continue
        header = None
        item = KEY_ITEM.match(line)
        if item:
            labels.append(item.group(1).replace("**", "").strip())
    distinct = list(dict.fromkeys(labels))
    if len(distinct) < MIN_FACET_ROWS:
        return []
    leaf = heading.rsplit(" > ", 1)[-1]
    return [f"{leaf}: {label}" if leaf else label for label in distinct]


def facet_label(facet: str, heading: str) -> str:
    """A facet's row label alone: `facets` without the section it prefixes."""
    leaf = heading.rsplit(" > ", 1)[-1]
    return facet[len(leaf) + 2 :] if leaf and facet.startswith(f"{leaf}: ") else facet


def first_heading(body: str) -> str | None:
    for line in body.splitlines():
        match = HEADING.match(line)
        if match:
            return match.group(2).strip()
    return None
