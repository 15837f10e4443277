"""Markdown and plain text, as UTF-8 bytes (front matter already taken off by the caller)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

from rag.blocks import TABLE_ROW, Block, ParsedDocument, from_markdown, joined_across_pages
from rag.layout.pipe_tables import LINE_BREAK, pipe_table_lines, without_echoes
from rag.layout.running_text import without_running_lines
from rag.readers.errors import UnreadableDocument
from rag.readers.html_tables import tables_as_pipes
from rag.readers.limits import DEFAULT_LIMITS, ReadingLimits, check_chars


def decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableDocument(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def read_markdown(raw: bytes, limits: ReadingLimits = DEFAULT_LIMITS) -> ParsedDocument:
    text = decode(raw)
    check_chars(len(text), limits)
    blocks = without_running_lines(from_markdown(_line_breaks_read(tables_as_pipes(text))))
    blocks = without_echoes(list(_tables_read(joined_across_pages(blocks))))
    pages = [b.last_page for b in blocks if b.last_page is not None]
    return ParsedDocument(tuple(blocks), pages=max(pages) if pages else None)


def _line_breaks_read(text: str) -> str:
    """A `<br>` a converter wrote in a line of prose read as the space it shows as (a table row
    keeps its own, `rag.layout.pipe_tables` reads them cell by cell)."""
    if "<br" not in text.lower():
        return text
    return "\n".join(
        line if TABLE_ROW.match(line) else LINE_BREAK.sub(" ", line) for line in text.split("\n")
    )


def _tables_read(blocks: Iterable[Block]) -> Iterator[Block]:
    """Pipe tables as a converter left them read for what they mean (`rag.layout.pipe_tables`);
    one that turns out to be a list of "label: value" pairs becomes that list."""
    for block in blocks:
        if block.kind != "table":
            yield block
            continue
        lines = tuple(pipe_table_lines(block.lines))
        listed = not (lines and TABLE_ROW.match(lines[0]))
        yield replace(block, kind="list" if listed else "table", lines=lines)


def text_to_markdown(text: str) -> str:
    """Plain text: short UPPERCASE lines are section headings."""
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        letters = [c for c in stripped if c.isalpha()]
        if 3 <= len(stripped) <= 80 and len(letters) >= 3 and stripped.upper() == stripped:
            lines.append(f"## {stripped.title()}")
        else:
            lines.append(line)
    return "\n".join(lines)


def read_text(raw: bytes, limits: ReadingLimits = DEFAULT_LIMITS) -> ParsedDocument:
    text = decode(raw)
    check_chars(len(text), limits)
    return read_markdown(text_to_markdown(text).encode(), limits)
