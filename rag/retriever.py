"""Hybrid retrieval: cosine ranking fused with BM25, over one loaded version of the knowledge base.

The live version is loaded whole into memory (vectors, BM25 index, catalogue) as an immutable
`Snapshot`, and reloaded when another ingest publishes: a turn takes one snapshot and reads it
to the end, so an ingest that lands mid-turn never mixes two versions into one answer.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel

from rag.catalogue import Catalogue
from rag.chunking import facet_label
from rag.codes import identifiers
from rag.embeddings import Embedder
from rag.glossary import TRADE, Glossary, Wording
from rag.ingest import FACET_OF, body_of, is_facet
from rag.lexical import LexicalIndex
from rag.off_subject import PROBES
from rag.store import KnowledgeStore

log = logging.getLogger(__name__)

RRF_K = 60
NEAR_DUPLICATE = 0.97
# How often the live version is checked for a newer one (a read of one collection's metadata).
REFRESH_EVERY_S = 0.5
# A passage of the preferred domain(s) gets this much added to its cosine similarity, so that
# another domain's passage is chosen only when it matches clearly better.
PREFERRED_DOMAIN_BONUS = 0.08


class RetrievedChunk(BaseModel):
    """One retrieved passage with everything a citation needs."""

    id: str
    text: str
    source: str
    title: str
    heading: str
    domain: str
    score: float
    exact_match: bool = False
    models: list[str] = []
    page: int | None = None  # the page the passage starts on, for a document with pages
    page_end: int | None = None  # the page it ends on, when that is another


@dataclass(frozen=True)
class Snapshot:
    """One version of the knowledge base, loaded and indexed; never changes once built."""

    revision: str | None
    catalogue: Catalogue
    ids: list[str]
    documents: list[str]
    upper_documents: list[str]
    metadatas: list[dict[str, Any]]
    embeddings: NDArray[np.float32]
    domains: NDArray[np.str_]
    models: list[frozenset[str]]
    lexical: LexicalIndex
    # Facets: a vector for each row of a chunk's tables, found as the chunk it belongs to.
    facet_embeddings: NDArray[np.float32] = field(
        default_factory=lambda: np.zeros((0, 0), np.float32)
    )
    facet_parents: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    # A passage that ends by announcing what follows ("…with a few simple steps:"), and the
    # passage of the same section that follows it: read together.
    following: dict[int, int] = field(default_factory=dict)
    glossary: Glossary = TRADE  # the terms `wording` counts
    # How near everyday requests on other subjects come to it (`rag.off_subject`): the nearest
    # one's closest passage, cosine; 0 until `Retriever` measures it as it loads the version.
    off_subject: float = 0.0

    @classmethod
    def empty(cls, dimension: int) -> Snapshot:
        return cls.build(None, Catalogue(), [], [], [], np.zeros((0, dimension), np.float32))

    @classmethod
    def build(
        cls,
        revision: str | None,
        catalogue: Catalogue,
        ids: list[str],
        documents: list[str],
        metadatas: list[dict[str, Any]],
        embeddings: NDArray[np.float32],
        glossary: Glossary = TRADE,
    ) -> Snapshot:
        chunks = [i for i, m in enumerate(metadatas) if not is_facet(m)]
        if len(chunks) < len(ids):
            position = {ids[i]: n for n, i in enumerate(chunks)}
            facets = [i for i, m in enumerate(metadatas) if is_facet(m) and m[FACET_OF] in position]
            facet_embeddings = embeddings[facets]
            # What a row is about apart from the vehicles it names (a row labelled with a
            # variant's name is no row a question about that variant names).
            row_labels = [
                catalogue.neutralise(
                    facet_label(documents[i], str(metadatas[i].get("heading") or "")),
                    replacement=" ",
                )
                for i in facets
            ]
            facet_parents = np.asarray(
                [position[metadatas[i][FACET_OF]] for i in facets], dtype=np.int64
            )
            ids = [ids[i] for i in chunks]
            documents = [documents[i] for i in chunks]
            metadatas = [metadatas[i] for i in chunks]
            embeddings = embeddings[chunks]
        else:
            facet_embeddings = np.zeros((0, embeddings.shape[1]), np.float32)
            row_labels = []
            facet_parents = np.zeros(0, np.int64)
        upper = [d.upper() for d in documents]
        return cls(
            revision=revision,
            catalogue=catalogue.model_copy(update={"designations": designations(upper, metadatas)}),
            ids=ids,
            documents=documents,
            upper_documents=upper,
            metadatas=metadatas,
            embeddings=embeddings,
            domains=np.asarray([m.get("domain", "") for m in metadatas], dtype=np.str_),
            models=[
                frozenset(filter(None, str(m.get("models") or "").split("|"))) for m in metadatas
            ],
            lexical=LexicalIndex(documents, row_labels, facet_parents.tolist()),
            facet_embeddings=facet_embeddings,
            facet_parents=facet_parents,
            following=_following(documents, metadatas),
            glossary=glossary,
        )

    @cached_property
    def wording(self) -> Wording:
        """Which of the trade's terms for one thing these documents use (counted on first use;
        `Retriever` does it as it loads a version)."""
        return Wording.of(self.documents, self.glossary)

    def closest(self, vector: NDArray[np.float32]) -> float:
        """How close the passage (or table row) nearest in meaning to `vector` is: cosine, 0
        for an empty knowledge base."""
        best = float((self.embeddings @ vector).max()) if len(self.ids) else 0.0
        if len(self.facet_parents):
            best = max(best, float((self.facet_embeddings @ vector).max()))
        return best

    def about(self, models: Sequence[str]) -> NDArray[np.bool_]:
        """Chunks that are about one of `models`, or about no model in particular."""
        wanted = set(models)
        return np.asarray([not m or bool(m & wanted) for m in self.models], dtype=bool)


def _top(scores: NDArray[np.float32], n: int) -> list[int]:
    """Positions of the `n` highest finite scores, best first."""
    n = min(n, int(np.isfinite(scores).sum()))
    if n <= 0:
        return []
    top = np.argpartition(-scores, n - 1)[:n]
    return [int(i) for i in top[np.argsort(-scores[top])]]


def _holding_codes(
    snapshot: Snapshot, codes: Sequence[str], mask: NDArray[np.bool_], most: int
) -> set[int]:
    """The passages that quote one of `codes` ("P0420", "K7M"), each code counted only where
    `most` passages or fewer hold it: a code that most passages hold (the model's designation
    in every heading, "CT125" in "CT125A") names the document, not a passage."""
    found: set[int] = set()
    for code in codes:
        holding = {i for i, text in enumerate(snapshot.upper_documents) if mask[i] and code in text}
        if len(holding) <= most:
            found |= holding
    return found


def _fuse(rankings: Sequence[tuple[Sequence[int], float]]) -> dict[int, float]:
    """Weighted reciprocal-rank fusion of several rankings of snapshot positions."""
    fused: dict[int, float] = {}
    for ranking, weight in rankings:
        for rank, position in enumerate(ranking):
            fused[position] = fused.get(position, 0.0) + weight / (RRF_K + rank + 1)
    return fused


class Retriever:
    """Top-k passages for a query from the live version of the knowledge base."""

    def __init__(
        self, store: KnowledgeStore, embedder: Embedder, glossary: Glossary = TRADE
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.glossary = glossary
        self._snapshot: Snapshot | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()
        self._probes: NDArray[np.float32] | None = None

    def current(self) -> Snapshot:
        """The live version, reloaded first if another ingest has published since (blocking).

        If the store cannot be read, the version already loaded goes on serving.
        """
        now = time.monotonic()
        with self._lock:
            snapshot = self._snapshot
            if snapshot is not None and now - self._checked_at < REFRESH_EVERY_S:
                return snapshot
            self._checked_at = now
            try:
                revision = self.store.revision()
                if snapshot is None or snapshot.revision != revision:
                    self.store.check_model(self.embedder.name, self.embedder.dimension)
                    self._snapshot = snapshot = self._load()
            except Exception:
                if snapshot is None:
                    raise
                log.warning(
                    "could not reload the knowledge base; serving %s",
                    snapshot.revision,
                    exc_info=True,
                )
            return snapshot

    @property
    def catalogue(self) -> Catalogue:
        return self.current().catalogue

    def _load(self) -> Snapshot:
        version = self.store.read()
        if version is None:
            return Snapshot.empty(self.embedder.dimension)
        matrix = (
            np.asarray(version.embeddings, dtype=np.float32)
            if len(version.embeddings)
            else np.zeros((0, self.embedder.dimension), dtype=np.float32)
        )
        catalogue = (
            Catalogue.model_validate_json(version.catalogue) if version.catalogue else Catalogue()
        )
        snapshot = Snapshot.build(
            version.pointer.revision,
            catalogue,
            version.ids,
            version.documents,
            version.metadatas,
            matrix,
            self.glossary,
        )
        snapshot = replace(snapshot, off_subject=self._off_subject(snapshot))
        # Counted now, in the thread that loads, rather than by the first question on the
        # event loop (a tenth of a second for a manual of 300 pages).
        _ = snapshot.wording
        log.info("knowledge base %s loaded: %d chunks", snapshot.revision, len(snapshot.ids))
        return snapshot

    def _off_subject(self, snapshot: Snapshot) -> float:
        """How near the everyday requests of `rag.off_subject` come to the snapshot."""
        if self._probes is None:
            self._probes = self.embedder.encode(list(PROBES))
        return max(snapshot.closest(vector) for vector in self._probes)

    def refresh(self) -> int:
        """Reload from the store now; returns the number of chunks."""
        with self._lock:
            self._checked_at = 0.0
            self._snapshot = None
        return len(self.current().ids)

    def embed(self, text: str) -> NDArray[np.float32]:
        return self.embedder.encode([text])[0]

    def search(
        self,
        query: str,
        *,
        k: int = 4,
        domains: Sequence[str] | None = None,
        prefer: Sequence[str] = (),
        models: Sequence[str] = (),
        min_score: float = 0.0,
        query_embedding: NDArray[np.float32] | None = None,
        snapshot: Snapshot | None = None,
    ) -> list[RetrievedChunk]:
        """The best `k` distinct passages; exact identifier matches are never dropped.

        `domains` restricts the search; `prefer` only favours those domains, so a passage
        elsewhere wins when it matches clearly better; `models` leaves out passages about
        other models (passages about no model in particular stay).
        """
        snapshot = snapshot or self.current()
        if not snapshot.ids or k <= 0:
            return []
        vector = self.embed(query) if query_embedding is None else query_embedding
        mask = np.ones(len(snapshot.ids), dtype=bool)
        if domains:
            mask &= np.isin(snapshot.domains, list(domains))
        if models:
            mask &= snapshot.about(models)
        if not mask.any():
            return []
        preferred = (
            np.isin(snapshot.domains, list(prefer))
            if prefer
            else np.zeros(len(snapshot.ids), dtype=bool)
        )
        pool = max(k * 5, 20)
        # Every chunk's vector is already in memory (BM25 and de-duplication need the snapshot),
        # so exact cosine over the masked matrix beats a filtered Chroma query: ~1 ms at 10k.
        similarity = snapshot.embeddings @ vector
        if len(snapshot.facet_parents):
            # A chunk is as close as the closest of its rows.
            np.maximum.at(similarity, snapshot.facet_parents, snapshot.facet_embeddings @ vector)
        ranked = similarity + PREFERRED_DOMAIN_BONUS * preferred
        vector_ranking = _top(np.where(mask, ranked, -np.inf), pool)

        lexical = snapshot.lexical.scores(query) * np.where(preferred, 1.25, 1.0)
        lexical_scores = np.where(mask, lexical, 0.0)
        lexical_ranking = [
            int(i) for i in np.argsort(-lexical_scores)[:pool] if lexical_scores[i] > 0
        ]

        exact = _holding_codes(snapshot, snapshot.catalogue.codes_in(query), mask, pool)
        fused = _fuse(
            [(vector_ranking, 1.0), (lexical_ranking, 2.0 if exact else 1.0), (sorted(exact), 2.0)]
        )
        ordered = sorted(fused, key=lambda i: (i in exact, fused[i]), reverse=True)

        chosen: list[int] = []

        def repeats(position: int) -> bool:
            """A near duplicate of a passage already chosen."""
            vector = snapshot.embeddings[position]
            return any(
                float(vector @ snapshot.embeddings[other]) >= NEAR_DUPLICATE for other in chosen
            )

        for position in ordered:
            if position not in exact and similarity[position] < min_score:
                continue
            if repeats(position):
                continue
            chosen.append(position)
            if len(chosen) == k:
                break
        # The closest passage anywhere keeps a place: a domain's bonus may favour its own
        # passages, not bury the one that matches best (a capacities table filed as specs,
        # asked about by maintenance). So does a passage the question quotes ("the display
        # says check fuel tank cap"): a long list of messages is far in meaning from a
        # question about one of them; and a passage holding a table row the question names
        # ("…engine oil … at an oil change with filter"), which a long table hides from BM25.
        # Each takes the last place no exact match or other keeper holds.
        keepers = [int(np.argmax(np.where(mask, similarity, -np.inf)))]
        keepers += [i for i in snapshot.lexical.quoted(query) if mask[i]]
        keepers += [i for i in snapshot.lexical.named_rows(query) if mask[i]]
        kept: set[int] = set()
        for best in keepers:
            if not chosen or best in chosen:
                kept.add(best)
                continue
            if similarity[best] < min_score or repeats(best):
                continue
            if len(chosen) < k:
                chosen.append(best)
            elif replaceable := [
                i for i, p in enumerate(chosen) if p not in exact and p not in kept
            ]:
                chosen[replaceable[-1]] = best
            kept.add(best)
        carried = {snapshot.following[p] for p in chosen if p in snapshot.following}
        return [
            self._result(snapshot, i, float(similarity[i]), i in exact)
            for i in chosen
            if i not in carried
        ]

    @staticmethod
    def _result(snapshot: Snapshot, i: int, score: float, exact: bool) -> RetrievedChunk:
        metadata = snapshot.metadatas[i]
        text = body_of(snapshot.documents[i])
        page_end = _page(metadata.get("page_end"))
        if (after := snapshot.following.get(i)) is not None:
            text = f"{text}\n\n{body_of(snapshot.documents[after])}"
            after_meta = snapshot.metadatas[after]
            last = _page(after_meta.get("page_end")) or _page(after_meta.get("page"))
            first = _page(metadata.get("page"))
            if last is not None and first is not None and last > (page_end or first):
                page_end = last
        return RetrievedChunk(
            id=snapshot.ids[i],
            text=text,
            source=str(metadata.get("source", "")),
            title=str(metadata.get("title", "")),
            heading=str(metadata.get("heading", "")),
            domain=str(metadata.get("domain", "")),
            score=round(score, 4),
            exact_match=exact,
            models=sorted(snapshot.models[i]),
            page=_page(metadata.get("page")),
            page_end=page_end,
        )


def designations(upper_documents: Sequence[str], metadatas: Sequence[dict[str, Any]]) -> list[str]:
    """Identifiers of the documents' titles that stand in more than half the passages (a
    passage carries its title): they name what the documents are about ("1989 FJ62 Owner's
    Manual"), and a question naming one quotes no code. A code a document is about, in a
    collection of others, stands in few passages."""
    titles = {str(m.get("title") or "") for m in metadatas}
    named = {code for title in titles for code in identifiers(title)}
    half = len(upper_documents) / 2
    return sorted(c for c in named if sum(c in d for d in upper_documents) > half)


def _following(documents: Sequence[str], metadatas: Sequence[dict[str, Any]]) -> dict[int, int]:
    """Each passage that ends with a colon, and the next passage of its section."""
    position = {(m.get("source"), m.get("ordinal")): i for i, m in enumerate(metadatas)}
    found = {}
    for i, metadata in enumerate(metadatas):
        ordinal = metadata.get("ordinal")
        if not isinstance(ordinal, int) or not body_of(documents[i]).rstrip().endswith(":"):
            continue
        after = position.get((metadata.get("source"), ordinal + 1))
        if after is not None and metadatas[after].get("heading") == metadata.get("heading"):
            found[i] = after
    return found


def _page(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
