"""Diagnostic-code lookup: exact matches only, the specialist's own documents first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from rag.codes import identifiers
from rag.embeddings import EncodeBatcher
from rag.retriever import RetrievedChunk, Retriever, Snapshot


async def embed_codes(encoder: EncodeBatcher, text: str) -> dict[str, NDArray[np.float32]]:
    """The embedding of each code named in `text`, through the encoder that batches the
    concurrent turns' texts: embedded one by one in `lookup`, they cost 5% of the server's CPU
    under load (py-spy), a model call each."""
    codes = identifiers(text)
    if not codes:
        return {}
    return dict(zip(codes, await encoder.encode(codes), strict=True))


def lookup(
    retriever: Retriever,
    text: str,
    snapshot: Snapshot | None = None,
    vectors: Mapping[str, NDArray[np.float32]] | None = None,
    prefer: Sequence[str] = (),
) -> dict[str, list[RetrievedChunk]]:
    """Each code named in `text` with the passages that contain it exactly (maybe none), those
    of the `prefer` domains first.

    `vectors` holds the codes' embeddings when the caller has them (see `embed_codes`); a
    code without one is embedded here, alone.
    """
    found: dict[str, list[RetrievedChunk]] = {}
    vectors = vectors or {}
    catalogue = (snapshot or retriever.current()).catalogue
    for code in catalogue.codes_in(text):
        hits = retriever.search(
            code,
            k=3,
            prefer=list(prefer),
            min_score=1.1,
            query_embedding=vectors.get(code),
            snapshot=snapshot,
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
