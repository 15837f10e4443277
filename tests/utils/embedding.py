"""The real embedding model, computing a batch it has computed before only once.

`build_services` embeds every specialist's route examples each time it runs (about a second on
a CPU), and the in-process tests build services once or twice per test. The model is
deterministic, so a batch seen before gets the vectors it got then; any other batch, a text
alone included, is embedded by the model.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from rag.embeddings import Embedder, Vectors


class RememberingEmbedder:
    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self._batches: dict[tuple[str, ...], Vectors] = {}

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def encode(self, texts: Sequence[str]) -> Vectors:
        batch = tuple(texts)
        if batch not in self._batches:
            self._batches[batch] = self.inner.encode(batch)
        return self._batches[batch].copy()  # the caller may change its copy


@functools.cache
def remembering(embedder: Embedder) -> RememberingEmbedder:
    """One remembering wrapper per model for the whole run."""
    return RememberingEmbedder(embedder)
