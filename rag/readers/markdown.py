"""Markdown and plain text, as UTF-8 bytes (front matter already taken off by the caller)."""

from __future__ import annotations

from rag.blocks import ParsedDocument, from_markdown, joined_across_pages
from rag.readers.errors import UnreadableDocument


def decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableDocument(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def read_markdown(raw: bytes) -> ParsedDocument:
    text = decode(raw)
    blocks = tuple(joined_across_pages(from_markdown(text)))
    pages = [b.last_page for b in blocks if b.last_page is not None]
    return ParsedDocument(blocks, pages=max(pages) if pages else None)


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


def read_text(raw: bytes) -> ParsedDocument:
    return read_markdown(text_to_markdown(decode(raw)).encode())
