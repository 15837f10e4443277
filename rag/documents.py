"""Knowledge-base files as documents: found under a root, read by their format's reader, given
a title and a domain.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from rag.blocks import Block, to_markdown
from rag.catalogue import Declared, declared_from_front_matter
from rag.chunking import first_heading, split_front_matter
from rag.layout.finding_aids import without_finding_aids
from rag.layout.legends import expand_legends
from rag.layout.schedules import read_schedules
from rag.readers import (
    DEFAULT_LIMITS,
    READERS,
    SUFFIXES,
    TEXT_FORMATS,
    ReadingLimits,
    UnreadableDocument,
    ocr,
)

DomainSource = Literal["front matter", "folder", "content"]

__all__ = [
    "SUFFIXES",
    "SourceDocument",
    "UnreadableDocument",
    "discover",
    "load",
    "scanned_note",
    "skipped_files",
]


@dataclass(frozen=True)
class SourceDocument:
    source: str  # path relative to the ingested root, with forward slashes
    title: str
    domain: str  # "general" until decided from the content
    body: str  # Markdown-shaped: headings, paragraphs, lists, pipe tables
    content_hash: str
    domain_origin: DomainSource = "content"
    declared: Declared = field(default_factory=Declared)
    blocks: tuple[Block, ...] = ()  # what chunking reads, each block with its page
    pages: int | None = None  # the file's page count, for a format with pages
    scanned_pages: tuple[int, ...] = ()  # pages with pictures and no text, left unread
    ocr_pages: tuple[int, ...] = ()  # scanned pages whose text OCR read


def discover(root: Path) -> list[Path]:
    """Every ingestible file under root (or root itself), in a stable order."""
    if root.is_file():
        return [root] if root.suffix.lower() in SUFFIXES else []
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith(".")
    )


def skipped_files(root: Path, base: Path) -> list[tuple[str, str]]:
    """Files under root that ingestion passes over, each with the reason."""
    candidates = (
        [root]
        if root.is_file()
        else [p for p in root.rglob("*") if p.is_file() or (p.is_symlink() and not p.exists())]
    )
    skipped = []
    for path in sorted(candidates):
        if path.name.startswith(".") or any(part.startswith(".") for part in path.parts[-8:-1]):
            continue
        if path.is_symlink() and not path.exists():
            target = os.readlink(path)
            skipped.append((path.relative_to(base).as_posix(), f"dangling link to {target}"))
        elif path.suffix.lower() not in SUFFIXES:
            reason = f"unsupported file type {path.suffix or '(none)'}"
            skipped.append((path.relative_to(base).as_posix(), reason))
    return skipped


def load(
    path: Path, root: Path, domains: Sequence[str] = (), limits: ReadingLimits = DEFAULT_LIMITS
) -> SourceDocument:
    """Read one file; raise UnreadableDocument with a reason if it cannot be used.

    `domains`: the domains the knowledge base files documents under (the caller's: retrieval
    knows none of its own). A document's top folder or `domain:` front matter names one of
    them; otherwise it is `general` until its content decides. `limits`: how much the file
    may make (`rag.readers.limits`).
    """
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise UnreadableDocument(f"unsupported file type {path.suffix}")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UnreadableDocument(exc.strerror or str(exc)) from exc
    fields: dict[str, object] = {}
    if kind in TEXT_FORMATS:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UnreadableDocument(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
        front = split_front_matter(text)
        fields = front.fields
        parsed = READERS[kind](front.body.encode(), limits)
    else:
        parsed = READERS[kind](raw, limits)
    # A schedule's grid of marks says when each item is due, once read row by row; an index
    # or a table of contents says where things are, not what they are: no passage.
    blocks = expand_legends(without_finding_aids(read_schedules(parsed.blocks)))
    body = to_markdown(blocks)
    if not body.strip():
        if parsed.scanned_pages:
            raise UnreadableDocument(
                f"no text layer: {_pages_list(parsed.scanned_pages)} scanned, and "
                f"{_unread_scans(limits)}"
            )
        if to_markdown(parsed.blocks).strip():
            raise UnreadableDocument("only an index or a table of contents: nothing to answer from")
        raise UnreadableDocument("empty document")
    relative = path.relative_to(root) if root.is_dir() else Path(path.name)
    source = relative.as_posix()
    title = str(fields.get("title") or parsed.title or first_heading(body) or _humanise(path.stem))
    domain, origin = _domain(fields, relative, domains)
    return SourceDocument(
        source=source,
        title=title,
        domain=domain,
        body=body,
        content_hash=hashlib.sha256(raw).hexdigest(),
        domain_origin=origin,
        declared=declared_from_front_matter(fields),
        blocks=blocks,
        pages=parsed.pages,
        scanned_pages=parsed.scanned_pages,
        ocr_pages=parsed.ocr_pages,
    )


def _domain(
    fields: dict[str, object], relative: Path, domains: Sequence[str]
) -> tuple[str, DomainSource]:
    declared = fields.get("domain")
    if isinstance(declared, str) and declared.strip().lower() in (*domains, "general"):
        return declared.strip().lower(), "front matter"
    if isinstance(declared, str) and declared.strip():
        known = ", ".join(domains) or "(none)"
        raise UnreadableDocument(f"front matter domain {declared.strip()!r} is not one of {known}")
    top = relative.parts[0].lower() if len(relative.parts) > 1 else ""
    return (top, "folder") if top in domains else ("general", "content")


def _humanise(stem: str) -> str:
    return re.sub(r"[-_]+", " ", stem).strip().capitalize()


def _pages_list(pages: Sequence[int]) -> str:
    """ "page 3", "pages 3, 7–9" """
    runs: list[str] = []
    start = previous = pages[0]
    for page in [*pages[1:], None]:
        if page is not None and page == previous + 1:
            previous = page
            continue
        runs.append(f"{start}" if start == previous else f"{start}–{previous}")
        if page is not None:
            start = previous = page
    return ("page " if len(pages) == 1 else "pages ") + ", ".join(runs)


def _unread_scans(limits: ReadingLimits) -> str:
    if not limits.ocr_pages:
        return "OCR is off (INGEST_MAX_OCR_PAGES=0)"
    if not ocr.available():
        return "the OCR engine (rapidocr) is not installed"
    return f"OCR found no text in them or stopped at INGEST_MAX_OCR_PAGES={limits.ocr_pages}"


def scanned_note(document: SourceDocument) -> str | None:
    """What the ingest report says of a document's scanned pages left unread, if any."""
    if not document.scanned_pages:
        return None
    return (
        f"{document.source}: {_pages_list(document.scanned_pages)} of {document.pages} "
        "have no text layer (scanned) and no text OCR could read; their content is not "
        "searchable"
    )


def ocr_note(document: SourceDocument) -> str | None:
    """What the ingest report says of a document's pages read by OCR, if any."""
    if not document.ocr_pages:
        return None
    return (
        f"{document.source}: {_pages_list(document.ocr_pages)} of {document.pages} read by "
        "OCR (scanned); check their figures against the page"
    )
