"""Versions of the knowledge base: an ingest is live whole or not at all, never undoing another."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from rag.embeddings import SentenceTransformerEmbedder, Vectors
from rag.ingest import ingest
from rag.retriever import Retriever
from rag.store import ConcurrentIngest, KnowledgeStore, open_store
from tests.rag import DOMAINS


class FailingEmbedder:
    """The real model, failing after `after` texts: an ingest that breaks half-way."""

    def __init__(self, inner: SentenceTransformerEmbedder, after: int) -> None:
        self.inner, self.after, self.name = inner, after, inner.name
        self.texts = 0

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def encode(self, texts: Sequence[str]) -> Vectors:
        self.texts += len(texts)
        if self.texts > self.after:
            raise RuntimeError("the embedding model fell over")
        return self.inner.encode(texts)


@pytest.fixture
def store(tmp_path: Path) -> KnowledgeStore:
    return open_store(None, tmp_path / "chroma", "knowledge_base")


def _docs(root: Path, count: int, word: str) -> Path:
    """`count` documents named after `word` (a name another folder's file holds is refused)."""
    root.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (root / f"{word}{i}.md").write_text(
            f"---\ndomain: specs\n---\n# Note {i}\n\nThe {word} figure number {i} is {i * 7} kg.\n"
        )
    return root


def test_an_ingest_that_fails_half_way_leaves_the_previous_version_live(
    tmp_path: Path, store: KnowledgeStore, embedder: SentenceTransformerEmbedder
) -> None:
    first = _docs(tmp_path / "one", 3, "alpha")
    ingest([first], store, lambda: embedder, embedding_model=embedder.name, domains=DOMAINS)
    before = store.read()
    assert before is not None and len(before.ids) == 3

    second = _docs(tmp_path / "two", 40, "beta")
    broken = FailingEmbedder(embedder, after=20)
    with pytest.raises(RuntimeError, match="fell over"):
        ingest([second], store, lambda: broken, embedding_model=embedder.name, batch_size=8,
               domains=DOMAINS)  # fmt: skip

    after = store.read()
    assert after is not None
    assert after.pointer == before.pointer
    assert sorted(after.ids) == sorted(before.ids)
    assert store.versions() == [before.pointer.active]  # the half-written draft is gone


def test_turns_read_one_whole_version_while_another_is_written(
    tmp_path: Path, store: KnowledgeStore, embedder: SentenceTransformerEmbedder
) -> None:
    ingest([_docs(tmp_path / "one", 2, "alpha")], store, lambda: embedder,
           embedding_model=embedder.name, domains=DOMAINS)  # fmt: skip
    retriever = Retriever(store, embedder)
    old = retriever.current()
    draft = store.begin(embedder.name, embedder.dimension)
    draft.add(["x1"], np.zeros((1, embedder.dimension), np.float32), ["doc"], [{"source": "x"}])
    assert store.read() is not None and len(store.read().ids) == 2  # type: ignore[union-attr]
    retriever.refresh()
    assert retriever.current().revision == old.revision  # the draft is invisible
    store.publish(draft, None)
    retriever.refresh()
    assert retriever.current().ids == ["x1"]
    assert old.ids != ["x1"]  # a turn holding the old snapshot still reads the old version


def test_a_second_ingest_that_started_before_the_first_published_is_refused(
    tmp_path: Path, store: KnowledgeStore, embedder: SentenceTransformerEmbedder
) -> None:
    ingest([_docs(tmp_path / "one", 1, "alpha")], store, lambda: embedder,
           embedding_model=embedder.name, domains=DOMAINS)  # fmt: skip
    slow = store.begin(embedder.name, embedder.dimension)
    ingest([_docs(tmp_path / "two", 1, "beta")], store, lambda: embedder,
           embedding_model=embedder.name, domains=DOMAINS)  # fmt: skip
    live = store.pointer()
    with pytest.raises(ConcurrentIngest, match="run it again"):
        store.publish(slow, None)
    assert store.pointer() == live
    assert slow.name not in store.versions()


def test_old_versions_are_dropped_but_the_one_before_is_kept(
    tmp_path: Path, store: KnowledgeStore, embedder: SentenceTransformerEmbedder
) -> None:
    for i in range(4):
        ingest([_docs(tmp_path / f"r{i}", 1, f"round{i}")], store, lambda: embedder,
               embedding_model=embedder.name, domains=DOMAINS)  # fmt: skip
    versions = store.versions()
    assert len(versions) == 2
    assert store.pointer() is not None and store.pointer().active == versions[-1]  # type: ignore[union-attr]


def test_reset_drops_every_version(
    tmp_path: Path, store: KnowledgeStore, embedder: SentenceTransformerEmbedder
) -> None:
    ingest([_docs(tmp_path / "one", 1, "alpha")], store, lambda: embedder,
           embedding_model=embedder.name, domains=DOMAINS)  # fmt: skip
    store.reset()
    assert store.pointer() is None and store.versions() == [] and store.count() == 0
