"""One reader per file format, each making the same document model (`rag.blocks`) of a file.

A reader takes the file's bytes and the limits it reads them under (`rag.readers.limits`) and
returns a `ParsedDocument`, or raises `UnreadableDocument` with a reason the ingest report shows.
Markdown, plain text and HTML carry front matter; PDF and Word do not.
"""

from __future__ import annotations

from collections.abc import Callable

from rag.blocks import ParsedDocument
from rag.readers.docx import read_docx
from rag.readers.errors import UnreadableDocument
from rag.readers.html import read_html
from rag.readers.limits import DEFAULT_LIMITS, ReadingLimits
from rag.readers.markdown import read_markdown, read_text
from rag.readers.pdf import read_pdf

Reader = Callable[[bytes, ReadingLimits], ParsedDocument]

# Formats whose text may open with YAML front matter (read before the reader sees the body).
TEXT_FORMATS = frozenset({"markdown", "text", "html"})
SUFFIXES: dict[str, str] = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
}
READERS: dict[str, Reader] = {
    "markdown": read_markdown,
    "text": read_text,
    "html": read_html,
    "pdf": read_pdf,
    "docx": read_docx,
}

__all__ = [
    "DEFAULT_LIMITS",
    "READERS",
    "SUFFIXES",
    "TEXT_FORMATS",
    "Reader",
    "ReadingLimits",
    "UnreadableDocument",
]
