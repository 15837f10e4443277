"""Ingestion: files → chunks → embeddings → Chroma, idempotent and content-addressed."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rag.chunking import Chunk, chunk_markdown
from rag.documents import DOMAINS, SourceDocument, UnreadableDocument, discover, load
from rag.embeddings import Embedder
from rag.store import KnowledgeStore

EMBED_BATCH = 256


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    chunks_embedded: int = 0
    chunks_total: int = 0
    elapsed_s: float = 0.0
    dry_run: bool = False

    def summary(self) -> str:
        prefix = "dry run: would have " if self.dry_run else ""
        return (
            f"{prefix}added {self.added}, updated {self.updated}, unchanged {self.unchanged}, "
            f"removed {self.removed}, failed {len(self.failed)} "
            f"({self.chunks_embedded} chunks embedded) in {self.elapsed_s:.1f}s"
        )


@dataclass(frozen=True)
class Progress:
    """Callbacks for a progress display; all optional."""

    files_total: Callable[[int], None] = lambda n: None
    file_done: Callable[[str], None] = lambda source: None
    chunks_embedded: Callable[[int], None] = lambda n: None


def chunk_id(source: str, chunk: Chunk, text: str) -> str:
    digest = hashlib.sha256(f"{source}\x00{chunk.ordinal}\x00{text}".encode()).hexdigest()
    return digest[:32]


def search_text(document: SourceDocument, chunk: Chunk) -> str:
    """What is embedded and indexed: a one-line title and heading context, then the chunk."""
    headings = chunk.heading_path
    if headings and headings[0] == document.title:
        headings = headings[1:]
    context = " > ".join((document.title, *headings))
    return f"{context}\n{chunk.text}"


def _base_and_prefix(root: Path) -> tuple[Path, str]:
    """Sources are relative to the folder holding the domain folders, whatever PATH is given."""
    root = root.resolve()
    if root.is_dir() and root.name in DOMAINS:
        return root.parent, f"{root.name}/"
    if root.is_file():
        if root.parent.name in DOMAINS:
            return root.parent.parent, f"{root.parent.name}/{root.name}"
        return root.parent, root.name
    return root, ""


def ingest(
    paths: Sequence[Path],
    store: KnowledgeStore,
    embedder_factory: Callable[[], Embedder],
    *,
    embedding_model: str,
    reset: bool = False,
    prune: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> IngestReport:
    """Bring the collection in line with the files under `paths`; embed only what is new."""
    started = time.perf_counter()
    progress = progress or Progress()
    report = IngestReport(dry_run=dry_run)
    if reset and not dry_run:
        store.reset()
    store.check_model(embedding_model)
    existing = {} if reset else store.all_metadata()
    by_source: dict[str, dict[str, dict[str, Any]]] = {}
    for cid, metadata in existing.items():
        by_source.setdefault(str(metadata.get("source")), {})[cid] = metadata

    files: list[tuple[Path, Path]] = []
    prefixes: list[str] = []
    for root in paths:
        base, prefix = _base_and_prefix(root)
        prefixes.append(prefix)
        files.extend((path, base) for path in discover(root.resolve()))
    progress.files_total(len(files))

    seen: set[str] = set()
    pending: list[tuple[SourceDocument, list[Chunk]]] = []
    for path, base in files:
        source = path.relative_to(base).as_posix()
        seen.add(source)
        try:
            document = load(path, base)
        except UnreadableDocument as exc:
            report.failed.append((source, str(exc)))
            progress.file_done(source)
            continue
        stored = by_source.get(source, {})
        if stored and all(m.get("content_hash") == document.content_hash for m in stored.values()):
            report.unchanged += 1
            progress.file_done(source)
            continue
        if stored:
            report.updated += 1
        else:
            report.added += 1
        pending.append((document, chunk_markdown(document.body)))
        progress.file_done(source)

    stale_sources = [
        source
        for source in by_source
        if prune and source not in seen and any(source.startswith(p) for p in prefixes)
    ]
    report.removed = len(stale_sources)
    if dry_run:
        report.chunks_embedded = sum(
            1
            for document, chunks in pending
            for chunk in chunks
            if chunk_id(document.source, chunk, search_text(document, chunk))
            not in by_source.get(document.source, {})
        )
        report.elapsed_s = time.perf_counter() - started
        return report

    if pending:
        _write(pending, by_source, store, embedder_factory, report, progress)
    stale_ids = [cid for source in stale_sources for cid in by_source[source]]
    if stale_ids:
        store.delete(stale_ids)
    if pending or stale_ids:
        store.bump_revision()
    report.chunks_total = store.count()
    report.elapsed_s = time.perf_counter() - started
    return report


def _write(
    pending: list[tuple[SourceDocument, list[Chunk]]],
    by_source: dict[str, dict[str, dict[str, Any]]],
    store: KnowledgeStore,
    embedder_factory: Callable[[], Embedder],
    report: IngestReport,
    progress: Progress,
) -> None:
    ingested_at = datetime.now(UTC).isoformat(timespec="seconds")
    new_ids: list[str] = []
    new_texts: list[str] = []
    new_metadata: list[dict[str, Any]] = []
    kept_ids: list[str] = []
    kept_metadata: list[dict[str, Any]] = []
    stale_ids: list[str] = []
    for document, chunks in pending:
        stored = by_source.get(document.source, {})
        current: set[str] = set()
        for chunk in chunks:
            text = search_text(document, chunk)
            cid = chunk_id(document.source, chunk, text)
            current.add(cid)
            metadata = {
                "source": document.source,
                "title": document.title,
                "heading": chunk.heading,
                "domain": document.domain,
                "content_hash": document.content_hash,
                "chunk_hash": hashlib.sha256(text.encode()).hexdigest()[:16],
                "ordinal": chunk.ordinal,
                "ingested_at": ingested_at,
            }
            if cid in stored:
                kept_ids.append(cid)
                kept_metadata.append(metadata)
            else:
                new_ids.append(cid)
                new_texts.append(text)
                new_metadata.append(metadata)
        stale_ids.extend(cid for cid in stored if cid not in current)

    if new_ids:
        embedder = embedder_factory()
        store.ensure(embedder.name, embedder.dimension)
        for start in range(0, len(new_ids), EMBED_BATCH):
            end = start + EMBED_BATCH
            vectors = embedder.encode(new_texts[start:end])
            store.upsert(new_ids[start:end], vectors, new_texts[start:end], new_metadata[start:end])
            done = min(EMBED_BATCH, len(new_ids) - start)
            report.chunks_embedded += done
            progress.chunks_embedded(done)
    if kept_ids:
        store.update_metadata(kept_ids, kept_metadata)
    if stale_ids:
        store.delete(stale_ids)
