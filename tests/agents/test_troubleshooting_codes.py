"""The code lookup: the same passages whether the codes come embedded by the turn's encoder."""

from __future__ import annotations

from agents.troubleshooting import codes
from rag.embeddings import EncodeBatcher
from rag.retriever import Retriever

QUESTION = "My dashboard shows P0A80 and also U0100 and P0300, what do they mean?"


async def test_codes_embedded_together_find_what_codes_embedded_alone_find(
    retriever: Retriever,
) -> None:
    vectors = await codes.embed_codes(EncodeBatcher(retriever.embedder), QUESTION)
    assert set(vectors) == {"P0A80", "P0300", "U0100"}
    together = codes.lookup(retriever, QUESTION, vectors=vectors)
    alone = codes.lookup(retriever, QUESTION)
    assert {c: [h.id for h in hits] for c, hits in together.items()} == {
        c: [h.id for h in hits] for c, hits in alone.items()
    }
    assert together["P0A80"]
    assert await codes.embed_codes(EncodeBatcher(retriever.embedder), "no codes here") == {}
