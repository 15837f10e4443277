"""The Chroma collection that holds the knowledge base: embedded or a Chroma server."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlparse

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings

from orchestrator.settings import Settings

BATCH = 1000


class EmbeddingModelMismatch(Exception):
    """The collection was built with another embedding model than the one configured."""


def open_client(settings: Settings) -> ClientAPI:
    """PersistentClient in the data dir, or an HttpClient when CHROMA_URL is set."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        parsed = urlparse(settings.chroma_url)
        return chromadb.HttpClient(
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or (443 if parsed.scheme == "https" else 8000),
            ssl=parsed.scheme == "https",
            settings=chroma_settings,
        )
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)


class KnowledgeStore:
    """The knowledge-base collection, with the embedding model it was built with."""

    def __init__(self, client: ClientAPI, name: str) -> None:
        self.client = client
        self.name = name
        self._collection: Collection | None = None

    def collection(self) -> Collection | None:
        if self._collection is None:
            try:
                self._collection = self.client.get_collection(self.name, embedding_function=None)
            except Exception:
                return None
        return self._collection

    def ensure(self, model: str, dimension: int) -> Collection:
        """The collection, created for `model` if missing; refused if built with another model."""
        existing = self.collection()
        if existing is not None:
            self.check_model(model, dimension)
            return existing
        self._collection = self.client.get_or_create_collection(
            self.name,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={
                "embedding_model": model,
                "embedding_dimension": dimension,
                "revision": str(time.time_ns()),
            },
            embedding_function=None,
        )
        return self._collection

    def check_model(self, model: str, dimension: int | None = None) -> None:
        """Raise EmbeddingModelMismatch unless the collection was built with `model`."""
        existing = self.collection()
        if existing is None:
            return
        metadata = existing.metadata or {}
        stored_model = metadata.get("embedding_model")
        stored_dim = metadata.get("embedding_dimension")
        if stored_model != model or (dimension is not None and stored_dim != dimension):
            raise EmbeddingModelMismatch(
                f"the knowledge base was embedded with '{stored_model}' ({stored_dim} dimensions) "
                f"but EMBEDDING_MODEL is '{model}'"
                + (f" ({dimension} dimensions)" if dimension else "")
                + "; re-ingest with `orchestrator ingest PATH --reset`"
            )

    def revision(self) -> str | None:
        """Changes whenever the contents change, in this process or another."""
        try:
            collection = self.client.get_collection(self.name, embedding_function=None)
        except Exception:
            return None
        self._collection = collection
        return str((collection.metadata or {}).get("revision"))

    def bump_revision(self) -> None:
        collection = self.collection()
        if collection is not None:
            metadata = dict(collection.metadata or {})
            metadata["revision"] = str(time.time_ns())
            collection.modify(metadata=metadata)

    def count(self) -> int:
        collection = self.collection()
        return collection.count() if collection is not None else 0

    def reset(self) -> None:
        if self.collection() is not None:
            self.client.delete_collection(self.name)
        self._collection = None

    def all_metadata(self) -> dict[str, dict[str, Any]]:
        """Chunk id → metadata for the whole collection."""
        collection = self.collection()
        if collection is None:
            return {}
        result: dict[str, dict[str, Any]] = {}
        total = collection.count()
        for offset in range(0, total, BATCH * 5):
            page = collection.get(include=["metadatas"], limit=BATCH * 5, offset=offset)
            for chunk_id, metadata in zip(page["ids"], page["metadatas"] or [], strict=True):
                result[chunk_id] = dict(metadata or {})
        return result

    def snapshot(self) -> tuple[list[str], list[str], list[dict[str, Any]], Any]:
        """Ids, documents, metadata and embeddings of every chunk (for the lexical index)."""
        collection = self.collection()
        ids: list[str] = []
        documents: list[str] = []
        metadatas: list[dict[str, Any]] = []
        embeddings: list[Any] = []
        if collection is None:
            return ids, documents, metadatas, embeddings
        total = collection.count()
        for offset in range(0, total, BATCH * 5):
            page = collection.get(
                include=["documents", "metadatas", "embeddings"], limit=BATCH * 5, offset=offset
            )
            ids.extend(page["ids"])
            documents.extend(page["documents"] or [])
            metadatas.extend(dict(m or {}) for m in page["metadatas"] or [])
            page_embeddings = page["embeddings"]
            if page_embeddings is not None:
                embeddings.extend(page_embeddings)
        return ids, documents, metadatas, embeddings

    def upsert(
        self, ids: list[str], embeddings: Any, documents: list[str], metadatas: list[dict[str, Any]]
    ) -> None:
        collection = self.collection()
        assert collection is not None
        for start in range(0, len(ids), BATCH):
            end = start + BATCH
            collection.upsert(
                ids=ids[start:end],
                embeddings=embeddings[start:end],
                documents=documents[start:end],
                metadatas=metadatas[start:end],  # type: ignore[arg-type]
            )

    def update_metadata(self, ids: list[str], metadatas: list[dict[str, Any]]) -> None:
        collection = self.collection()
        assert collection is not None
        for start in range(0, len(ids), BATCH):
            collection.update(
                ids=ids[start : start + BATCH],
                metadatas=metadatas[start : start + BATCH],  # type: ignore[arg-type]
            )

    def delete(self, ids: list[str]) -> None:
        collection = self.collection()
        if collection is None:
            return
        for start in range(0, len(ids), BATCH):
            collection.delete(ids=ids[start : start + BATCH])


def open_store(settings: Settings) -> KnowledgeStore:
    return KnowledgeStore(open_client(settings), settings.chroma_collection)
