"""Diagnostic-code lookup: exact matches only, troubleshooting documents first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rag.lexical import identifiers
from rag.retriever import RetrievedChunk, Retriever, Snapshot


def lookup(
    retriever: Retriever, text: str, snapshot: Snapshot | None = None
) -> dict[str, list[RetrievedChunk]]:
    """Each code named in `text` with the passages that contain it exactly (maybe none)."""
    found: dict[str, list[RetrievedChunk]] = {}
    for code in identifiers(text):
        hits = retriever.search(
            code, k=3, prefer=["troubleshooting"], min_score=1.1, snapshot=snapshot
        )
        found[code] = [h for h in hits if h.exact_match]
    return found


def describe(found: Mapping[str, Sequence[RetrievedChunk]]) -> str | None:
    """A line for the answer about codes the knowledge base does not know."""
    unknown = [code for code, hits in found.items() if not hits]
    if not unknown:
        return None
    names = ", ".join(unknown)
    return (
        f"{names} is not in our code list. Please book a diagnostic check so a technician "
        "can read the full fault record."
    )
