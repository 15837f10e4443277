"""The knowledge base as the service runs it: its store, the domain classifier, an ingest.

`rag` takes plain parameters; this module hands it the configured store and embedding model,
the router's own classifier for deciding a document's domain from its content, and the limits
files are read under. The CLI and the admin REST endpoint both ingest through `run_ingest`,
which reads the files in a child process (`rag.reader_process`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from orchestrator.errors import StartupError
from orchestrator.routing import SemanticRouter
from orchestrator.settings import Settings
from rag.embeddings import (
    Embedder,
    Precision,
    Vectors,
    load_embedder,
    space_model,
    space_name,
    space_precision,
)
from rag.glossary import TRADE, Glossary, read_groups, with_groups
from rag.ingest import EMBED_BATCH, DomainClassifier, IngestReport, Progress, ingest
from rag.reader_process import ReaderProcess
from rag.readers.limits import ReadingLimits
from rag.store import KnowledgeStore, open_store

log = logging.getLogger(__name__)


def knowledge_store(settings: Settings) -> KnowledgeStore:
    """The configured knowledge base: a Chroma server at CHROMA_URL, else the data dir."""
    return open_store(settings.chroma_url, settings.chroma_path, settings.chroma_collection)


def glossary(settings: Settings) -> Glossary:
    """The trade's terms, with the company's own from `GLOSSARY_PATH` when it is set."""
    if settings.glossary_path is None:
        return TRADE
    try:
        groups = read_groups(settings.glossary_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StartupError(
            f"cannot read the glossary {settings.glossary_path}: {exc}",
            "Fix GLOSSARY_PATH or the file (one group a line, terms separated by commas)",
        ) from exc
    return with_groups(groups)


def embedder(
    settings: Settings, threads: int | None = None, precision: Precision | None = None
) -> Embedder:
    """The configured embedding model, loaded once per process; `threads` overrides the
    service's (an ingest, alone on the machine, takes every core with 0), `precision`
    EMBEDDING_PRECISION (see `precision_of`)."""
    return load_embedder(
        settings.embedding_model,
        settings.embedding_backend,
        settings.models_dir.resolve(),
        settings.embedding_threads if threads is None else threads,
        precision or settings.embedding_precision,
    )


def precision_of(settings: Settings, store: KnowledgeStore) -> Precision:
    """The precision questions and new documents are embedded at: the knowledge base's own
    when it holds the configured model's vectors, so that they always match the stored ones;
    EMBEDDING_PRECISION for a new knowledge base (or one re-ingested with --reset)."""
    pointer = store.pointer()
    stored = pointer.embedding_model if pointer else None
    if stored is None or space_model(stored) != settings.embedding_model:
        return settings.embedding_precision
    precision = space_precision(stored)
    if precision != settings.embedding_precision:
        log.warning(
            "the knowledge base holds %s vectors; EMBEDDING_PRECISION=%s applies once it is "
            "re-ingested with `orchestrator ingest PATH --reset`",
            precision,
            settings.embedding_precision,
        )
    return precision


def ingest_precision(settings: Settings, store: KnowledgeStore, *, reset: bool) -> Precision:
    """What an ingest embeds at: the knowledge base's own, or EMBEDDING_PRECISION anew."""
    return settings.embedding_precision if reset else precision_of(settings, store)


def reading_limits(settings: Settings) -> ReadingLimits:
    """What one file may make before it is read (INGEST_MAX_*)."""
    return ReadingLimits(
        unpacked_mb=settings.ingest_max_unpacked_mb,
        unpack_ratio=settings.ingest_max_unpack_ratio,
        pdf_pages=settings.ingest_max_pdf_pages,
        chars=settings.ingest_max_chars,
        ocr_pages=settings.ingest_max_ocr_pages,
    )


def domain_classifier(router: Callable[[], SemanticRouter]) -> DomainClassifier:
    """Each section's domain as the router would route a question about it.

    The router is built on first use: an ingest that decides no domain from content never
    needs it.
    """
    built: list[SemanticRouter] = []

    def classify(vectors: Vectors) -> list[tuple[str, float]]:
        if not built:
            built.append(router())
        decisions = [built[0].classify(v) for v in vectors]
        return [(d.route, d.confidence) for d in decisions]

    return classify


def run_ingest(
    settings: Settings,
    store: KnowledgeStore,
    paths: Sequence[Path],
    embedder: Callable[[], Embedder],
    classify: DomainClassifier,
    *,
    domains: Sequence[str],
    reset: bool = False,
    prune: bool = False,
    dry_run: bool = False,
    domain: str | None = None,
    progress: Progress | None = None,
    batch_size: int = EMBED_BATCH,
    precision: Precision | None = None,
) -> IngestReport:
    """Ingest `paths` into the live knowledge base, publishing one new version (blocking).

    The files are read in one child process for the ingest, under the configured limits and
    INGEST_READER_MEMORY_MB: the memory reading takes goes back when it ends, and a file that
    would exhaust it fails alone. `domains`: the domains documents may belong to (every
    specialist's, `Registry.domains`).
    `precision`: the vectors `embedder` makes, when the caller has already decided them
    (`ingest_precision`).
    """
    precision = precision or ingest_precision(settings, store, reset=reset)
    limits = reading_limits(settings)
    with ReaderProcess(settings.ingest_reader_memory_mb, limits) as read:
        return ingest(
            list(paths),
            store,
            embedder,
            embedding_model=space_name(settings.embedding_model, precision),
            reset=reset,
            prune=prune,
            dry_run=dry_run,
            domain=domain,
            classify=classify,
            domains=domains,
            progress=progress,
            batch_size=batch_size,
            read=read,
        )
