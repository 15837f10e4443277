"""The sample knowledge base, ingested for real once per run and cloned into fresh stores."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import KNOWLEDGE_BASE, Context, log


@dataclass(frozen=True)
class Chunks:
    ids: list[str]
    documents: list[str]
    metadatas: list[dict[str, Any]]
    vectors: np.ndarray
    catalogue: str | None = None  # as the ingest published it


def settings_for(data_dir: Path, **overrides: Any) -> Any:
    """Settings for a temp data dir: embedded Chroma, SQLite, offline answers, no .env."""
    from orchestrator.settings import Settings

    values: dict[str, Any] = {"chroma_url": None, "database_url": None, "openai_api_key": None}
    values.update(overrides)
    return Settings(data_dir=data_dir, _env_file=None, **values)


def sample_chunks(ctx: Context) -> Chunks:
    """Every chunk of `knowledge_base/` as `rag.ingest.ingest` stores it (cached per run)."""
    cached = ctx.cache.get("sample_chunks")
    if cached is None:
        from agents.registry import default_registry
        from orchestrator.knowledge import knowledge_store
        from rag.ingest import ingest

        store = knowledge_store(settings_for(ctx.workdir / "sample-kb"))
        embedder = ctx.embedder
        report = ingest(
            [KNOWLEDGE_BASE],
            store,
            lambda: embedder,
            embedding_model=embedder.name,
            domains=default_registry().domains,
        )
        if report.failed:
            raise RuntimeError(f"the sample knowledge base did not ingest: {report.failed}")
        version = store.read()
        assert version is not None
        ids = version.ids
        cached = Chunks(
            ids,
            version.documents,
            version.metadatas,
            np.asarray(version.embeddings, dtype=np.float32),
            version.catalogue,
        )
        ctx.cache["sample_chunks"] = cached
        ctx.cache["sample_seconds_per_chunk"] = report.elapsed_s / max(len(ids), 1)
        log(f"sample knowledge base ingested: {len(ids)} chunks in {report.elapsed_s:.1f}s")
    return cached


def clone_into(store: Any, embedder: Any, chunks: Chunks) -> None:
    """Publish the chunks, as ingest left them, as the store's live version (no embedding)."""
    draft = store.begin(embedder.name, embedder.dimension)
    draft.add(list(chunks.ids), chunks.vectors, list(chunks.documents), list(chunks.metadatas))
    store.publish(draft, chunks.catalogue)
