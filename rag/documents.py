"""Reading knowledge-base files (Markdown, text, HTML, PDF) into Markdown-shaped documents."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from rag.catalogue import Declared, declared_from_front_matter
from rag.chunking import first_heading, split_front_matter

DOMAINS = ("specs", "maintenance", "troubleshooting")
DomainSource = Literal["front matter", "folder", "content"]
SUFFIXES = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
}


class UnreadableDocument(Exception):
    """A file that cannot be read or parsed; ingestion reports it and goes on."""


@dataclass(frozen=True)
class SourceDocument:
    source: str  # path relative to the ingested root, with forward slashes
    title: str
    domain: str  # "general" until decided from the content
    body: str  # Markdown-shaped: headings, paragraphs, lists, pipe tables
    content_hash: str
    domain_origin: DomainSource = "content"
    declared: Declared = field(default_factory=Declared)


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


def _text_to_markdown(text: str) -> str:
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


def _html_to_markdown(html: str) -> tuple[str, str | None]:
    from bs4 import BeautifulSoup, Tag

    soup = BeautifulSoup(html, "html.parser")
    for dead in soup(["script", "style", "nav", "footer"]):
        dead.decompose()
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    root = soup.body or soup
    out: list[str] = []

    def cell_text(cell: Tag) -> str:
        return cell.get_text(" ", strip=True).replace("|", "/")

    for element in root.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "table", "pre"]):
        if element.find_parent(["table", "li", "pre"]) is not None:
            continue
        name = element.name
        if name and name.startswith("h") and len(name) == 2:
            out.append(f"\n{'#' * int(name[1])} {element.get_text(' ', strip=True)}\n")
        elif name == "p":
            out.append(element.get_text(" ", strip=True) + "\n")
        elif name == "li":
            out.append(f"- {element.get_text(' ', strip=True)}")
        elif name == "pre":
            out.append(element.get_text() + "\n")
        elif name == "table":
            rows = [
                [cell_text(c) for c in row.find_all(["th", "td"])] for row in element.find_all("tr")
            ]
            rows = [r for r in rows if r]
            if rows:
                out.append("")
                out.append("| " + " | ".join(rows[0]) + " |")
                out.append("|" + "---|" * len(rows[0]))
                out.extend("| " + " | ".join(r) + " |" for r in rows[1:])
                out.append("")
    return "\n".join(out), title


def _pdf_to_markdown(path: Path) -> tuple[str, str | None]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
        title = reader.metadata.title if reader.metadata else None
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise UnreadableDocument(f"corrupt PDF: {exc}") from exc
    text = "\n\n".join(pages).strip()
    if not text:
        raise UnreadableDocument("PDF has no extractable text")
    return _text_to_markdown(text), title


def load(path: Path, root: Path, domains: Sequence[str] = DOMAINS) -> SourceDocument:
    """Read one file; raise UnreadableDocument with a reason if it cannot be used."""
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise UnreadableDocument(f"unsupported file type {path.suffix}")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UnreadableDocument(exc.strerror or str(exc)) from exc
    html_title: str | None = None
    if kind == "pdf":
        body, html_title = _pdf_to_markdown(path)
        fields: dict[str, object] = {}
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UnreadableDocument(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
        front = split_front_matter(text)
        fields, body = front.fields, front.body
        if kind == "html":
            body, html_title = _html_to_markdown(body)
        elif kind == "text":
            body = _text_to_markdown(body)
    if not body.strip():
        raise UnreadableDocument("empty document")
    relative = path.relative_to(root) if root.is_dir() else Path(path.name)
    source = relative.as_posix()
    title = str(fields.get("title") or html_title or first_heading(body) or _humanise(path.stem))
    domain, origin = _domain(fields, relative, domains)
    return SourceDocument(
        source=source,
        title=title,
        domain=domain,
        body=body,
        content_hash=hashlib.sha256(raw).hexdigest(),
        domain_origin=origin,
        declared=declared_from_front_matter(fields),
    )


def _domain(
    fields: dict[str, object], relative: Path, domains: Sequence[str]
) -> tuple[str, DomainSource]:
    declared = fields.get("domain")
    if isinstance(declared, str) and declared.strip().lower() in (*domains, "general"):
        return declared.strip().lower(), "front matter"
    if isinstance(declared, str) and declared.strip():
        raise UnreadableDocument(
            f"front matter domain {declared.strip()!r} is not one of {', '.join(domains)}"
        )
    top = relative.parts[0].lower() if len(relative.parts) > 1 else ""
    return (top, "folder") if top in domains else ("general", "content")


def _humanise(stem: str) -> str:
    return re.sub(r"[-_]+", " ", stem).strip().capitalize()
