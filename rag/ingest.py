"""Ingestion: files → chunks → embeddings → a new version of the knowledge base, published whole.

Content-addressed: a chunk already embedded (same document, position and text) is copied, not
embedded again, and an ingest that changes nothing writes nothing. Each document's domain comes
from `--domain`, its front matter, its top folder, or else its content (the router's classifier
over its sections); the catalogue (brand, models, variants) is derived over the whole new
version and published with it. Every chunk records the file its document was read from, so a
prune removes only documents read from under the paths it is given, and another file of a name
already taken does not replace that document.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np

from rag.catalogue import Catalogue, Declared, DocumentText, derive, vehicle_models
from rag.chunking import Chunk, chunk_blocks, facets, tables_described
from rag.documents import SourceDocument, discover, load, ocr_note, scanned_note, skipped_files
from rag.embeddings import Embedder, Vectors
from rag.readers.errors import UnreadableDocument, reason_of
from rag.store import Draft, KnowledgeStore, StoredVersion

EMBED_BATCH = 256
GENERAL = "general"
# A document whose sections mostly read as one domain is filed under it whole; below this
# share it is a mixed document (an owner's manual, say) and each section keeps its own domain.
WHOLE_DOCUMENT_SHARE = 0.7
# Below this mean confidence no domain is clear enough to decide on.
MIN_DOMAIN_CONFIDENCE = 0.4
# Confidence a section needs to be filed apart from its mixed document's main domain.
MIN_SECTION_CONFIDENCE = 0.5

log = logging.getLogger(__name__)

DomainOrigin = Literal["flag", "front matter", "folder", "content", "undecided"]
# Per vector: the route the router would pick and its confidence.
DomainClassifier = Callable[[Vectors], Sequence[tuple[str, float]]]
# Reads one file (path, the folder its source is relative to, the domains): `load` in this
# process, or in a child process (`rag.reader_process`).
DocumentReader = Callable[[Path, Path, Sequence[str]], SourceDocument]


@dataclass(frozen=True)
class DomainDecision:
    """How a document's domain was decided, for the ingest report."""

    source: str
    domain: str
    origin: DomainOrigin
    sections: dict[str, int] = field(default_factory=dict)  # domain → sections, from content
    confidence: float = 1.0
    choices: tuple[str, ...] = ()  # the domains it could have been filed under

    def describe(self) -> str:
        if self.origin == "undecided":
            return (
                f"domain undecided for {self.source}: its sections do not read clearly as "
                f"{', '.join(self.choices) or 'any domain'} (best {self.domain}, "
                f"{self.confidence:.2f}); it is "
                "searched when no domain answers better. Set `domain:` in its front matter or "
                "ingest it with --domain DOMAIN"
            )
        if len(self.sections) > 1:
            spread = ", ".join(f"{d} {n}" for d, n in sorted(self.sections.items()))
            return f"{self.source}: mixed, by section ({spread}) from its content"
        return f"{self.source}: {self.domain} from its content ({self.confidence:.2f})"


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    chunks_embedded: int = 0
    facets_embedded: int = 0  # table rows embedded on their own beside their chunks
    chunks_total: int = 0
    elapsed_s: float = 0.0
    dry_run: bool = False
    decisions: list[DomainDecision] = field(default_factory=list)
    catalogue: Catalogue | None = None
    revision: str | None = None
    # Documents read only in part, with what was left out (pages without a text layer).
    partly_read: list[tuple[str, str]] = field(default_factory=list)
    read_by_ocr: list[tuple[str, str]] = field(default_factory=list)
    # What a prune removed: each document's name and the file it had been read from.
    pruned: list[tuple[str, str]] = field(default_factory=list)
    # Documents a prune could not place, ingested before their file was recorded: kept.
    unplaced: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        prefix = "dry run: would have " if self.dry_run else ""
        return (
            f"{prefix}added {self.added}, updated {self.updated}, unchanged {self.unchanged}, "
            f"removed {self.removed}, failed {len(self.failed)} "
            f"({_count(self.chunks_embedded, 'chunk')} embedded) in {self.elapsed_s:.1f}s"
        )

    def catalogue_line(self) -> str | None:
        if self.catalogue is None:
            return None
        if not self.catalogue.models:
            return "catalogue: no models found (declare them with `model:` in front matter)"
        parts = []
        for model in self.catalogue.models:
            variants = ", ".join(v.name for v in model.variants)
            parts.append(f"{model.name} ({variants})" if variants else model.name)
        brand = f"{self.catalogue.brand}: " if self.catalogue.brand else ""
        return f"catalogue: {brand}{'; '.join(parts)}"

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data, for the REST endpoint."""
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "failed": [{"source": s, "reason": r} for s, r in self.failed],
            "skipped": [{"source": s, "reason": r} for s, r in self.skipped],
            "chunks_embedded": self.chunks_embedded,
            "facets_embedded": self.facets_embedded,
            "chunks_total": self.chunks_total,
            "elapsed_s": round(self.elapsed_s, 3),
            "dry_run": self.dry_run,
            "domains": [
                {
                    "source": d.source,
                    "domain": d.domain,
                    "origin": d.origin,
                    "sections": d.sections,
                    "confidence": round(d.confidence, 3),
                    "note": d.describe(),
                }
                for d in self.decisions
            ],
            "partly_read": [{"source": s, "note": n} for s, n in self.partly_read],
            "read_by_ocr": [{"source": s, "note": n} for s, n in self.read_by_ocr],
            "catalogue": self.catalogue.model_dump() if self.catalogue else None,
            "revision": self.revision,
        }


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


@dataclass(frozen=True)
class Progress:
    """Callbacks for a progress display; all optional."""

    files_total: Callable[[int], None] = lambda n: None
    file_done: Callable[[str], None] = lambda source: None
    chunks_embedded: Callable[[int], None] = lambda n: None


@dataclass
class _StoredChunk:
    id: str
    document: str
    metadata: dict[str, Any]
    embedding: Any


@dataclass
class _NewDocument:
    document: SourceDocument
    chunks: list[Chunk]
    file: str = ""  # the resolved path it was read from
    ids: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    vectors: Vectors | None = None
    domains: list[str] = field(default_factory=list)  # per chunk
    origin: DomainOrigin = "folder"
    # Each chunk's rows, embedded on their own and found as the chunk (`rag.chunking.facets`).
    facet_texts: list[str] = field(default_factory=list)
    facet_chunks: list[int] = field(default_factory=list)  # the chunk each belongs to
    facet_ids: list[str] = field(default_factory=list)
    facet_vectors: Vectors | None = None


FACET_OF = "facet_of"  # metadata of a facet: the id of the chunk it finds
FILE = "file"  # metadata of every chunk: the resolved path of the file its document was read from

# Bumped whenever what is embedded for a chunk, or how a file is read, changes, so that every
# document is read and embedded anew (3: layout-aware PDF reading, pages on every chunk;
# 4: Markdown a PDF converter made read by its tables' meaning, without its running lines;
# a paged document's small sections joined).
EMBEDDING_RECIPE = "4"


def chunk_id(source: str, chunk: Chunk, text: str) -> str:
    key = f"{source}\x00{chunk.ordinal}\x00{text}\x00{EMBEDDING_RECIPE}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def facet_id(chunk: str, text: str) -> str:
    return hashlib.sha256(f"{chunk}\x00facet\x00{text}".encode()).hexdigest()[:32]


def is_facet(metadata: dict[str, Any]) -> bool:
    return bool(metadata.get(FACET_OF))


def embedding_text(text: str) -> str:
    """What the embedding model reads of a stored chunk: tables by their labels."""
    return tables_described(text)


def search_text(document: SourceDocument, chunk: Chunk) -> str:
    """What is embedded and indexed: a one-line title and heading context, then the chunk."""
    headings = chunk.heading_path
    if headings and headings[0] == document.title:
        headings = headings[1:]
    context = " > ".join((document.title, *headings))
    return f"{context}\n{chunk.text}"


def body_of(document: str) -> str:
    """A stored chunk without its first line, the title and heading context added for search."""
    return document.split("\n", 1)[1] if "\n" in document else document


def _base_and_prefix(root: Path, domains: Sequence[str]) -> tuple[Path, str]:
    """Sources are relative to the folder holding the domain folders, whatever PATH is given."""
    root = root.resolve()
    if root.is_dir() and root.name in domains:
        return root.parent, f"{root.name}/"
    if root.is_file():
        if root.parent.name in domains:
            return root.parent.parent, f"{root.parent.name}/{root.name}"
        return root.parent, root.name
    return root, ""


def _name_taken(
    source: str,
    file: str,
    content_hash: str,
    read_now: dict[str, tuple[str, str]],
    old: list[_StoredChunk],
    same: bool,
) -> str | None:
    """Why the document read from `file` cannot have its name, when another file has it: one
    read earlier in this ingest, or one still there that the stored document was read from
    (a file that is gone, or one with the same content, gives its name up)."""
    if source in read_now:
        earlier, earlier_hash = read_now[source]
        return None if earlier_hash == content_hash else _taken(earlier)
    held = {str(c.metadata.get(FILE) or "") for c in old} - {"", file}
    holder = next((h for h in sorted(held) if Path(h).is_file()), None)
    return None if holder is None or same else _taken(holder)


def _stored_updates(old: list[_StoredChunk], file: str, domain: str | None) -> dict[str, Any]:
    """What an unchanged document's stored chunks take: the file it is read from now (or is
    recorded for the first time), and the domain `--domain` gives."""
    updates: dict[str, Any] = {}
    if any(c.metadata.get(FILE) != file for c in old):
        updates[FILE] = file
    if domain is not None and any(c.metadata.get("domain") != domain for c in old):
        updates |= {"domain": domain, "domain_origin": "flag"}
    return updates


def _taken(holder: str) -> str:
    return f"{holder} has this name already; give one of them another name"


def _stored_chunks(version: StoredVersion | None) -> dict[str, list[_StoredChunk]]:
    by_source: dict[str, list[_StoredChunk]] = {}
    if version is None:
        return by_source
    for i, cid in enumerate(version.ids):
        metadata = version.metadatas[i]
        by_source.setdefault(str(metadata.get("source")), []).append(
            _StoredChunk(cid, version.documents[i], metadata, version.embeddings[i])
        )
    return by_source


def ingest(
    paths: Sequence[Path],
    store: KnowledgeStore,
    embedder_factory: Callable[[], Embedder],
    *,
    embedding_model: str,
    reset: bool = False,
    prune: bool = False,
    dry_run: bool = False,
    domain: str | None = None,
    classify: DomainClassifier | None = None,
    domains: Sequence[str] = (),
    progress: Progress | None = None,
    batch_size: int = EMBED_BATCH,
    read: DocumentReader = load,
) -> IngestReport:
    """Bring the knowledge base in line with the files under `paths`; embed only what is new.

    The result is published as one new version, or not at all: on any failure the previous
    knowledge base stays live and untouched. A file that cannot be read, whatever the reader
    raised, is reported as failed and the others are ingested, and so is a file whose name (its
    path below the folder of `_base_and_prefix`) another file still holds. `prune` removes the
    documents read from under `paths` whose files are gone; documents from elsewhere stay.
    `domains` are the caller's (the service passes its specialists'); with none, every
    document is `general`.
    """
    started = time.perf_counter()
    progress = progress or Progress()
    report = IngestReport(dry_run=dry_run)
    if domain is not None and domain not in domains:
        raise ValueError(f"unknown domain {domain!r}; use one of {', '.join(domains)}")
    if not reset:
        store.check_model(embedding_model)
    current = None if reset else store.read()
    stored = _stored_chunks(current)

    roots = [root.resolve() for root in paths]
    files: list[tuple[Path, Path]] = []
    for root in roots:
        base, _ = _base_and_prefix(root, domains)
        files.extend((path, base) for path in discover(root))
        report.skipped.extend(skipped_files(root, base))
    progress.files_total(len(files))

    seen: set[str] = set()
    read_now: dict[str, tuple[str, str]] = {}  # name → the file read for it, its content hash
    pending: list[_NewDocument] = []
    relabelled: dict[str, dict[str, Any]] = {}  # name → metadata its stored chunks take
    for path, base in files:
        source = path.relative_to(base).as_posix()
        seen.add(source)
        try:
            document = _read(read, path, base, domains)
        except UnreadableDocument as exc:
            report.failed.append((source, str(exc)))
            progress.file_done(source)
            continue
        old = stored.get(source, [])
        same = bool(old) and all(
            c.metadata.get("content_hash") == document.content_hash
            and str(c.metadata.get("recipe")) == EMBEDDING_RECIPE
            for c in old
        )
        taken = _name_taken(source, str(path), document.content_hash, read_now, old, same)
        if taken is not None:
            report.failed.append((source, taken))
            progress.file_done(source)
            continue
        if source in read_now:  # the same document twice in one ingest
            report.unchanged += 1
            progress.file_done(source)
            continue
        read_now[source] = (str(path), document.content_hash)
        note = scanned_note(document)
        if note:
            report.partly_read.append((source, note))
        note = ocr_note(document)
        if note:
            report.read_by_ocr.append((source, note))
        if same:
            updates = _stored_updates(old, str(path), domain)
            report.updated += "domain" in updates
            report.unchanged += "domain" not in updates
            if updates:
                relabelled[source] = updates
        else:
            report.updated += bool(old)
            report.added += not old
            pending.append(_NewDocument(document, chunk_blocks(document.blocks), str(path)))
        progress.file_done(source)

    if prune:
        for source, chunks in sorted(stored.items()):
            if source in seen:
                continue
            held = str(chunks[0].metadata.get(FILE) or "")
            if not held:
                report.unplaced.append(source)
            elif any(Path(held).is_relative_to(root) for root in roots):
                report.pruned.append((source, held))
    stale = [source for source, _ in report.pruned]
    report.removed = len(stale)
    reusable = {c.id: c for chunks in stored.values() for c in chunks}
    for new in pending:
        for chunk in new.chunks:
            text = search_text(new.document, chunk)
            new.texts.append(text)
            new.ids.append(chunk_id(new.document.source, chunk, text))
    to_embed = [(new, i) for new in pending for i, cid in enumerate(new.ids) if cid not in reusable]
    replaced = {new.document.source for new in pending} | set(stale)
    kept = [c for source, chunks in stored.items() if source not in replaced for c in chunks]
    catalogue = derive(_document_texts(kept, pending))
    report.catalogue = catalogue
    for new in pending:
        for index, chunk in enumerate(new.chunks):
            for facet in facets(chunk.text, chunk.heading):
                if says_something(facet, catalogue):
                    new.facet_texts.append(facet)
                    new.facet_chunks.append(index)
                    new.facet_ids.append(facet_id(new.ids[index], facet))
    facets_to_embed = [
        (new, j) for new in pending for j, fid in enumerate(new.facet_ids) if fid not in reusable
    ]
    if dry_run or not (pending or stale or relabelled or reset):
        report.chunks_embedded = len(to_embed)
        report.chunks_total = sum(
            1 for chunks in stored.values() for c in chunks if not is_facet(c.metadata)
        )
        report.elapsed_s = time.perf_counter() - started
        return report

    embedder = embedder_factory()
    if not reset:  # its vectors may not be the ones asked for (a model that fell back to float)
        store.check_model(embedder.name, embedder.dimension)
    _embed(pending, to_embed, reusable, embedder, report, progress, batch_size)
    _embed_facets(pending, facets_to_embed, reusable, embedder, report, batch_size)
    for new in pending:
        report.decisions.extend(_decide_domains(new, domain, classify, domains))
    for source, updates in relabelled.items():
        for old_chunk in stored[source]:
            old_chunk.metadata = {**old_chunk.metadata, **updates}

    draft = store.begin(embedder.name, embedder.dimension)
    try:
        _write(draft, kept, pending, catalogue)
        report.revision = store.publish(draft, catalogue.model_dump_json())
    except BaseException:
        store.discard(draft)
        raise
    report.chunks_total = sum(not is_facet(c.metadata) for c in kept) + sum(
        len(n.ids) for n in pending
    )
    report.elapsed_s = time.perf_counter() - started
    return report


def _embed(
    pending: list[_NewDocument],
    to_embed: list[tuple[_NewDocument, int]],
    reusable: dict[str, _StoredChunk],
    embedder: Embedder,
    report: IngestReport,
    progress: Progress,
    batch_size: int,
) -> None:
    """Vectors for every pending chunk: copied when already embedded, else computed in batches."""
    for new in pending:
        new.vectors = _reused(new.ids, reusable, embedder.dimension)

    def embedded(count: int) -> None:
        report.chunks_embedded += count
        progress.chunks_embedded(count)

    texts = [embedding_text(new.texts[i]) for new, i in to_embed]
    for (new, i), vector in zip(
        to_embed, _encode(texts, embedder, batch_size, embedded), strict=True
    ):
        assert new.vectors is not None
        new.vectors[i] = vector


def _reused(ids: Sequence[str], reusable: dict[str, _StoredChunk], dimension: int) -> Vectors:
    """A row per id: the stored vector of those already embedded, zeros for the rest."""
    vectors = np.zeros((len(ids), dimension), dtype=np.float32)
    for i, stored_id in enumerate(ids):
        if stored_id in reusable:
            vectors[i] = np.asarray(reusable[stored_id].embedding, dtype=np.float32)
    return vectors


def _encode(
    texts: Sequence[str], embedder: Embedder, batch_size: int, embedded: Callable[[int], None]
) -> Vectors:
    """The texts' vectors, in their order, encoded in batches of texts of like length (a batch
    is padded to its longest text, and a manual's table rows run from three words to a
    paragraph); `embedded` hears how many after each batch."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    vectors = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        vectors[batch] = embedder.encode([texts[i] for i in batch])
        embedded(len(batch))
    return vectors


def says_something(facet: str, catalogue: Catalogue) -> bool:
    """A row whose label is more than a vehicle's name ("Prices: <model> Long Range" is about
    the vehicle, which every question about it names, not about a thing in the table)."""
    label = facet.split(": ", 1)[-1]
    rest = catalogue.neutralise(label, replacement=" ")
    return any(len(word) >= 3 for word in re.findall(r"[^\W\d_]+", rest))


def _embed_facets(
    pending: list[_NewDocument],
    to_embed: list[tuple[_NewDocument, int]],
    reusable: dict[str, _StoredChunk],
    embedder: Embedder,
    report: IngestReport,
    batch_size: int,
) -> None:
    """Vectors for every pending facet: copied when already embedded, else computed."""
    for new in pending:
        new.facet_vectors = _reused(new.facet_ids, reusable, embedder.dimension)

    def embedded(count: int) -> None:
        report.facets_embedded += count

    texts = [new.facet_texts[j] for new, j in to_embed]
    for (new, j), vector in zip(
        to_embed, _encode(texts, embedder, batch_size, embedded), strict=True
    ):
        assert new.facet_vectors is not None
        new.facet_vectors[j] = vector


def _decide_domains(
    new: _NewDocument,
    flag: str | None,
    classify: DomainClassifier | None,
    domains: Sequence[str],
) -> list[DomainDecision]:
    """Each chunk's domain; a decision for the report when it came from the content."""
    document = new.document
    declared: tuple[str, DomainOrigin] | None = (
        (flag, "flag")
        if flag
        else (document.domain, "front matter")
        if document.domain_origin == "front matter"
        else (document.domain, "folder")
        if document.domain_origin == "folder"
        else None
    )
    if declared is not None:
        new.domains = [declared[0]] * len(new.ids)
        new.origin = declared[1]
        return []

    def undecided(best: str, confidence: float) -> list[DomainDecision]:
        new.domains = [GENERAL] * len(new.ids)
        new.origin = "undecided"
        choices = tuple(domains)
        return [DomainDecision(document.source, best, "undecided", {}, confidence, choices)]

    assert new.vectors is not None
    if classify is None or not len(new.ids):
        return undecided(GENERAL, 0.0)
    labels = list(classify(new.vectors))
    mass: dict[str, float] = {}
    for route, confidence in labels:
        if route in domains:
            mass[route] = mass.get(route, 0.0) + confidence
    if not mass:
        return undecided(GENERAL, 0.0)
    top, top_mass = max(mass.items(), key=lambda kv: kv[1])
    mean = top_mass / len(labels)
    if mean < MIN_DOMAIN_CONFIDENCE and top_mass < 0.5 * sum(mass.values()) + 1e-9:
        return undecided(top, mean)
    new.origin = "content"
    if top_mass >= WHOLE_DOCUMENT_SHARE * sum(mass.values()):
        new.domains = [top] * len(new.ids)
        return [DomainDecision(document.source, top, "content", {top: len(new.ids)}, mean)]
    new.domains = [
        route if route in domains and confidence >= MIN_SECTION_CONFIDENCE else top
        for route, confidence in labels
    ]
    return [DomainDecision(document.source, top, "content", dict(Counter(new.domains)), mean)]


def _read(read: DocumentReader, path: Path, base: Path, domains: Sequence[str]) -> SourceDocument:
    """The file's document; `UnreadableDocument` whatever reading it raised (a reader's bug
    fails its file, not the batch)."""
    try:
        return read(path, base, domains)
    except UnreadableDocument:
        raise
    except Exception as exc:
        log.warning("reading %s failed", path, exc_info=exc)
        raise UnreadableDocument(reason_of(exc)) from exc


def catalogue_of(
    paths: Sequence[Path], domains: Sequence[str] = (), read: DocumentReader = load
) -> Catalogue:
    """The catalogue the documents under `paths` define, as an ingest of them alone would."""
    pending = []
    for root in paths:
        base, _ = _base_and_prefix(root, domains)
        for path in discover(root.resolve()):
            try:
                document = _read(read, path, base, domains)
            except UnreadableDocument:
                continue
            pending.append(_NewDocument(document, chunk_blocks(document.blocks)))
    return derive(_document_texts([], pending))


def _document_texts(kept: list[_StoredChunk], pending: list[_NewDocument]) -> list[DocumentText]:
    """What catalogue derivation reads: every document of the new version, in source order."""
    grouped: dict[str, list[_StoredChunk]] = {}
    for chunk in kept:
        if not is_facet(chunk.metadata):
            grouped.setdefault(str(chunk.metadata.get("source")), []).append(chunk)
    texts: dict[str, DocumentText] = {}
    for source, chunks in grouped.items():
        chunks.sort(key=lambda c: int(c.metadata.get("ordinal", 0)))
        first = chunks[0].metadata
        texts[source] = DocumentText(
            source=source,
            title=str(first.get("title", "")),
            headings=sorted(
                {h for c in chunks for h in str(c.metadata.get("heading", "")).split(" > ") if h}
            ),
            body="\n\n".join(body_of(c.document) for c in chunks),
            declared=Declared.model_validate_json(str(first.get("declared") or "{}")),
        )
    for new in pending:
        document = new.document
        texts[document.source] = DocumentText(
            source=document.source,
            title=document.title,
            headings=sorted({h for c in new.chunks for h in c.heading_path}),
            body=document.body,
            declared=document.declared,
        )
    return [texts[s] for s in sorted(texts)]


def _pages(chunk: Chunk) -> dict[str, int]:
    """The chunk's pages as metadata (Chroma keeps no nulls: absent when it has none)."""
    pages = {"page": chunk.page} if chunk.page is not None else {}
    if chunk.page_end is not None:
        pages["page_end"] = chunk.page_end
    return pages


def _write(
    draft: Draft, kept: list[_StoredChunk], pending: list[_NewDocument], catalogue: Catalogue
) -> None:
    """Every chunk of the new version, with the models it is about."""
    ids: list[str] = []
    documents: list[str] = []
    metadatas: list[dict[str, Any]] = []
    vectors: list[Any] = []
    doc_models: dict[str, list[str]] = {}

    def models_of(source: str, title: str, heading: str, body: str) -> str:
        if source not in doc_models:
            doc_models[source] = vehicle_models(catalogue, title, [], body)
        in_heading = catalogue.models_in(heading)
        return "|".join(in_heading or doc_models[source])

    bodies: dict[str, str] = {}
    for stored_chunk in kept:
        source = str(stored_chunk.metadata.get("source"))
        if not is_facet(stored_chunk.metadata):
            bodies[source] = bodies.get(source, "") + "\n" + body_of(stored_chunk.document)
    for stored_chunk in kept:
        metadata = dict(stored_chunk.metadata)
        source = str(metadata.get("source"))
        metadata["models"] = models_of(
            source,
            str(metadata.get("title", "")),
            str(metadata.get("heading", "")),
            bodies.get(source, ""),
        )
        ids.append(stored_chunk.id)
        documents.append(stored_chunk.document)
        metadatas.append(metadata)
        vectors.append(np.asarray(stored_chunk.embedding, dtype=np.float32))
    ingested_at = datetime.now(UTC).isoformat(timespec="seconds")
    for new in pending:
        document = new.document
        declared = document.declared.model_dump_json() if not document.declared.empty else ""
        assert new.vectors is not None
        chunk_metadata: list[dict[str, Any]] = []
        for i, chunk in enumerate(new.chunks):
            ids.append(new.ids[i])
            documents.append(new.texts[i])
            vectors.append(new.vectors[i])
            chunk_metadata.append(
                {
                    "source": document.source,
                    FILE: new.file,
                    "title": document.title,
                    "heading": chunk.heading,
                    "domain": new.domains[i],
                    "domain_origin": new.origin,
                    "content_hash": document.content_hash,
                    "chunk_hash": hashlib.sha256(new.texts[i].encode()).hexdigest()[:16],
                    "ordinal": chunk.ordinal,
                    **_pages(chunk),
                    "ingested_at": ingested_at,
                    "recipe": EMBEDDING_RECIPE,
                    "declared": declared,
                    "models": models_of(
                        document.source, document.title, chunk.heading, document.body
                    ),
                }
            )
            metadatas.append(chunk_metadata[-1])
        assert new.facet_vectors is not None
        for j, text in enumerate(new.facet_texts):
            parent = new.facet_chunks[j]
            ids.append(new.facet_ids[j])
            documents.append(text)
            vectors.append(new.facet_vectors[j])
            metadatas.append({**chunk_metadata[parent], FACET_OF: new.ids[parent]})
    if ids:
        draft.add(ids, np.asarray(vectors, dtype=np.float32), documents, metadatas)
