"""The embedding model on ONNX Runtime: the vectors sentence-transformers gives (cosine to them
above 0.99999), for about a third of its CPU per query and none of torch's start-up; or, from
the int8 form of the same export, vectors near those for less again (`rag.onnx_export`).

Only tokenizers, onnxruntime and numpy are imported here; the model file comes from
`rag.onnx_export`, which needs torch once, when the file is first made."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.embeddings import Vectors

INPUTS = ("input_ids", "attention_mask", "token_type_ids")


@dataclass(frozen=True)
class SentenceModel:
    """What a sentence-transformers folder says about turning tokens into one vector."""

    folder: Path
    max_length: int
    pooling: str  # "mean" or "cls"

    @classmethod
    def read(cls, folder: Path) -> SentenceModel | None:
        """The folder's model when it is one this runtime reproduces: a transformer, mean or
        CLS pooling, and (optionally) normalisation; None for anything else."""
        try:
            modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
            kinds = [str(module["type"]).rsplit(".", 1)[-1] for module in modules]
            pooling_dir = next(
                folder / str(m["path"]) for m in modules if str(m["type"]).endswith("Pooling")
            )
            pooling = json.loads((pooling_dir / "config.json").read_text(encoding="utf-8"))
            sbert = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError, StopIteration):
            return None
        if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
            return None
        modes = {key for key, on in pooling.items() if key.startswith("pooling_mode") and on}
        mode = {"pooling_mode_mean_tokens": "mean", "pooling_mode_cls_token": "cls"}.get(
            next(iter(modes)) if len(modes) == 1 else ""
        )
        if mode is None or not (folder / "tokenizer.json").is_file():
            return None
        return cls(folder, int(sbert.get("max_seq_length") or 512), mode)


def pool(hidden: Vectors, mask: np.ndarray, mode: str) -> Vectors:
    """One unit-length vector per row of token states, as sentence-transformers pools them."""
    if mode == "cls":
        pooled = hidden[:, 0]
    else:
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return np.asarray(pooled / np.clip(norms, 1e-12, None), dtype=np.float32)


# Texts a model run takes. Small runs are cheaper per text on a CPU: a run's activations
# (batch x tokens x 1,536 floats in the feed-forward layers) fit the caches only when the
# batch is small. The sample's chunks, 2026-11-25, one thread: 15.0 CPU-ms each in runs of 1,
# 15.7 of 4, 19.4 of 16, 40.6 of 64; on both cores (an ingest) 82, 117, 100 and 49 chunks/s.
# Questions cost the same in any run (4.7-4.8 CPU-ms); the vectors are the same (cosine
# 0.9999998).
RUN_TEXTS = 4


class OnnxEmbedder:
    """`rag.embeddings.Embedder` over an exported model; `encoded` counts texts embedded."""

    def __init__(
        self, name: str, model: SentenceModel, onnx_file: Path, threads: int = 1,
        batch_size: int = RUN_TEXTS,
    ) -> None:  # fmt: skip
        import onnxruntime
        from tokenizers import Tokenizer

        self.name = name
        self.batch_size = batch_size
        self.encoded = 0
        self._pooling = model.pooling
        self._tokenizer = Tokenizer.from_file(str(model.folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(model.max_length)
        self._tokenizer.enable_padding()
        options = onnxruntime.SessionOptions()
        if threads > 0:  # idle ORT threads spin and compete with the event loop
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(
            str(onnx_file), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._dimension = int(self.encode(["dimension"]).shape[1])
        self.encoded = 0

    @property
    def dimension(self) -> int:
        return self._dimension

    def encode(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # Longest first, as sentence-transformers batches: texts of like length share a batch,
        # so little of it is padding; the rows go back to the callers' order at the end.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        size = self.batch_size
        rows = [
            self._batch([texts[i] for i in order[start : start + size]])
            for start in range(0, len(order), size)
        ]
        vectors = np.empty((len(texts), rows[0].shape[1]), dtype=np.float32)
        vectors[order] = np.concatenate(rows)
        self.encoded += len(texts)
        return vectors

    def _batch(self, texts: Sequence[str]) -> Vectors:
        encodings = self._tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        (hidden,) = self._session.run(
            ["last_hidden_state"], {k: v for k, v in feed.items() if k in self._inputs}
        )
        return pool(hidden, mask, self._pooling)
