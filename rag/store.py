"""The knowledge base in Chroma: versioned collections behind one pointer, embedded or a server.

An ingest never changes the collection that turns read. It writes a complete new version
(`<name>-v<time>`), then flips the pointer (the metadata of the collection `<name>`) to it in
one write. So a turn sees the old knowledge base or the new one, never half of an ingest; an
ingest that fails half-way leaves the old one in use; and a process that reads through an
embedded Chroma opens each version fresh, instead of trusting an in-memory index that another
process has since written to (Chroma's "Error finding id").
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.collection_configuration import CreateHNSWConfiguration
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings

from rag.embeddings import space_model, space_precision

BATCH = 1000
PAGE = 5000
VERSION_MARK = "-v"


# The retriever reads every vector of a version into memory and searches them exactly (cosine
# over the matrix, `rag.retriever`); nothing queries Chroma's HNSW graph. Chroma builds one for
# every collection all the same, which was half the time of writing a version (6,000 chunks:
# 3.6 s against 1.8 s with this graph), so it is built as cheaply as Chroma allows. Query a
# collection through Chroma and this must go back to Chroma's defaults.
GRAPH: CreateHNSWConfiguration = {"space": "cosine", "ef_construction": 10, "max_neighbors": 4}


class EmbeddingModelMismatch(Exception):
    """The knowledge base was built with another embedding model than the one configured."""


class ConcurrentIngest(Exception):
    """Another ingest published a new version while this one was being written."""


class StoreUnavailable(Exception):
    """The vector store could not be read."""


def open_client(chroma_url: str | None, path: Path) -> ClientAPI:
    """An HttpClient for a Chroma server at `chroma_url`, else a PersistentClient at `path`."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if chroma_url:
        parsed = urlparse(chroma_url)
        return chromadb.HttpClient(
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or (443 if parsed.scheme == "https" else 8000),
            ssl=parsed.scheme == "https",
            settings=chroma_settings,
        )
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


@dataclass(frozen=True)
class Pointer:
    """Which version is live, and what it was embedded with."""

    active: str
    revision: str
    embedding_model: str | None
    embedding_dimension: int | None


@dataclass(frozen=True)
class StoredVersion:
    """Everything one version holds, read in one go."""

    pointer: Pointer
    ids: list[str]
    documents: list[str]
    metadatas: list[dict[str, Any]]
    embeddings: list[Any]
    catalogue: str | None  # JSON, as the ingest wrote it


@dataclass
class Draft:
    """A version being written; invisible to readers until published."""

    collection: Collection
    based_on: str | None  # the pointer revision the ingest started from
    embedding_model: str
    embedding_dimension: int

    @property
    def name(self) -> str:
        return self.collection.name

    def add(
        self, ids: list[str], embeddings: Any, documents: list[str], metadatas: list[dict[str, Any]]
    ) -> None:
        for start in range(0, len(ids), BATCH):
            end = start + BATCH
            self.collection.add(
                ids=ids[start:end],
                embeddings=embeddings[start:end],
                documents=documents[start:end],
                metadatas=metadatas[start:end],  # type: ignore[arg-type]
            )


class KnowledgeStore:
    """The pointer collection `name` and the versions it points to."""

    def __init__(self, client: ClientAPI, name: str) -> None:
        self.client = client
        self.name = name

    def _get(self, name: str) -> Collection | None:
        try:
            return self.client.get_collection(name, embedding_function=None)
        except Exception:
            return None

    def pointer(self) -> Pointer | None:
        """The live version, or None when nothing was ever ingested."""
        collection = self._get(self.name)
        if collection is None:
            return None
        metadata = collection.metadata or {}
        dimension = metadata.get("embedding_dimension")
        return Pointer(
            # A collection written before versions existed holds its chunks itself.
            active=str(metadata.get("active") or self.name),
            revision=str(metadata.get("revision")),
            embedding_model=(
                str(metadata["embedding_model"]) if metadata.get("embedding_model") else None
            ),
            embedding_dimension=int(dimension) if isinstance(dimension, int) else None,
        )

    def revision(self) -> str | None:
        """Changes whenever a new version is published, by this process or another."""
        pointer = self.pointer()
        return pointer.revision if pointer else None

    def check_model(self, model: str, dimension: int | None = None) -> None:
        """Raise EmbeddingModelMismatch unless the knowledge base holds the vectors `model`
        makes (a space name: `rag.embeddings.space_name`)."""
        pointer = self.pointer()
        if pointer is None or pointer.embedding_model is None:
            return
        stored, stored_dim = pointer.embedding_model, pointer.embedding_dimension
        if stored != model and space_model(stored) == space_model(model):
            raise EmbeddingModelMismatch(
                f"the knowledge base holds {space_precision(stored)} vectors of "
                f"'{space_model(stored)}' but the embedder makes {space_precision(model)} ones; "
                "re-ingest with `orchestrator ingest PATH --reset`"
            )
        if stored != model or (dimension is not None and stored_dim != dimension):
            raise EmbeddingModelMismatch(
                f"the knowledge base was embedded with '{pointer.embedding_model}' "
                f"({stored_dim} dimensions) but EMBEDDING_MODEL is '{space_model(model)}'"
                + (f" ({dimension} dimensions)" if dimension else "")
                + "; re-ingest with `orchestrator ingest PATH --reset`"
            )

    def count(self) -> int:
        """Chunks in the live version."""
        pointer = self.pointer()
        collection = self._get(pointer.active) if pointer else None
        return collection.count() if collection is not None else 0

    def catalogue(self) -> str | None:
        """The live version's catalogue (JSON), without reading its chunks."""
        pointer = self.pointer()
        collection = self._get(pointer.active) if pointer else None
        value = (collection.metadata or {}).get("catalogue") if collection is not None else None
        return str(value) if value else None

    def read(self) -> StoredVersion | None:
        """The live version, whole; None when nothing was ever ingested."""
        pointer = self.pointer()
        if pointer is None:
            return None
        collection = self._get(pointer.active)
        if collection is None:
            raise StoreUnavailable(f"version {pointer.active} is missing")
        ids: list[str] = []
        documents: list[str] = []
        metadatas: list[dict[str, Any]] = []
        embeddings: list[Any] = []
        total = collection.count()
        for offset in range(0, total, PAGE):
            page = collection.get(
                include=["documents", "metadatas", "embeddings"], limit=PAGE, offset=offset
            )
            ids.extend(page["ids"])
            documents.extend(page["documents"] or [])
            metadatas.extend(dict(m or {}) for m in page["metadatas"] or [])
            page_embeddings = page["embeddings"]
            if page_embeddings is not None:
                embeddings.extend(page_embeddings)
        catalogue = (collection.metadata or {}).get("catalogue")
        return StoredVersion(
            pointer=pointer,
            ids=ids,
            documents=documents,
            metadatas=metadatas,
            embeddings=embeddings,
            catalogue=str(catalogue) if catalogue else None,
        )

    # --- writing -----------------------------------------------------------------------------

    def begin(self, model: str, dimension: int) -> Draft:
        """A new, empty version to write into."""
        pointer = self.pointer()
        collection = self.client.create_collection(
            f"{self.name}{VERSION_MARK}{time.time_ns()}",
            configuration={"hnsw": GRAPH},
            metadata={"embedding_model": model, "embedding_dimension": dimension},
            embedding_function=None,
        )
        return Draft(collection, pointer.revision if pointer else None, model, dimension)

    def publish(self, draft: Draft, catalogue: str | None) -> str:
        """Make `draft` the live version in one write; returns the new revision.

        Refused with ConcurrentIngest when another ingest published since `draft` began, so
        that one ingest never silently undoes another.
        """
        metadata: dict[str, Any] = dict(draft.collection.metadata or {})
        if catalogue is not None:
            metadata["catalogue"] = catalogue
        draft.collection.modify(metadata=metadata)
        previous = self.pointer()
        if (previous.revision if previous else None) != draft.based_on:
            self.discard(draft)
            raise ConcurrentIngest(
                "another ingest changed the knowledge base while this one ran; run it again"
            )
        revision = str(time.time_ns())
        pointer_metadata = {
            "active": draft.name,
            "revision": revision,
            "embedding_model": draft.embedding_model,
            "embedding_dimension": draft.embedding_dimension,
        }
        self.client.get_or_create_collection(
            self.name, metadata=pointer_metadata, embedding_function=None
        ).modify(metadata=pointer_metadata)
        self._drop_old_versions(keep={draft.name, previous.active if previous else ""})
        return revision

    def discard(self, draft: Draft) -> None:
        """Drop a version that will not be published."""
        with contextlib.suppress(Exception):
            self.client.delete_collection(draft.name)

    def versions(self) -> list[str]:
        """Names of every version collection, published or not, oldest first."""
        prefix = f"{self.name}{VERSION_MARK}"
        return sorted(n for n in _names(self.client.list_collections()) if n.startswith(prefix))

    def _drop_old_versions(self, keep: set[str]) -> None:
        """Keep the live version and the one before it (a process may still be reading it)."""
        for name in self.versions():
            if name not in keep:
                with contextlib.suppress(Exception):
                    self.client.delete_collection(name)

    def reset(self) -> None:
        """Drop the pointer and every version."""
        for name in [*self.versions(), self.name]:
            with contextlib.suppress(Exception):
                self.client.delete_collection(name)


def open_store(chroma_url: str | None, path: Path, collection: str) -> KnowledgeStore:
    return KnowledgeStore(open_client(chroma_url, path), collection)


def _names(items: Sequence[Any]) -> list[str]:
    return [getattr(item, "name", str(item)) for item in items]
