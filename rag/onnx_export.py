"""Export a sentence-transformers model's transformer to ONNX, once, offline, into a cache.

The file is named by a fingerprint of the weights it came from, so a changed model is exported
again and never mixed up with an old file. An export is checked before it is kept: its vectors
must match torch's on a few sentences, or the caller falls back to torch.

`quantized` makes the int8 form of an export (dynamic quantisation, per channel): about 2.1
times less CPU per text on this project's machines, vectors within cosine 0.978 of the float
ones. Those are other vectors: a knowledge base records which it was embedded with
(`rag.embeddings.space_name`)."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from rag.onnx_embedder import INPUTS, SentenceModel, pool

log = logging.getLogger(__name__)

OPSET = 17
# Sentences of different lengths, so the check covers padding inside a batch.
PROBES = (
    "How often should the engine oil be changed?",
    "Tyre pressure",
    "If the warning lamp stays on after the engine starts, stop in a safe place and have the "
    "system checked by a dealer before driving on; do not add coolant to a hot engine.",
)


MIN_INT8_AGREEMENT = 0.98


class ExportFailed(Exception):
    """The model could not be exported, or the export does not reproduce torch's vectors."""


def fingerprint(model: SentenceModel) -> str:
    """A short digest of what the export depends on: config, tokenizer and weights' identity."""
    digest = hashlib.sha256()
    for name in ("config.json", "tokenizer.json", "sentence_bert_config.json"):
        with contextlib.suppress(OSError):
            digest.update((model.folder / name).read_bytes())
    for weights in sorted(model.folder.glob("*.safetensors")) + sorted(model.folder.glob("*.bin")):
        stat = weights.stat()
        digest.update(f"{weights.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    digest.update(f"opset{OPSET}:{model.pooling}:{model.max_length}".encode())
    return digest.hexdigest()[:16]


def exported(model: SentenceModel, cache_dir: Path, name: str) -> Path:
    """The ONNX file of the model called `name` in `cache_dir`, exported now if it is not
    there yet."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "model"
    target = cache_dir / f"{stem}-{fingerprint(model)}.onnx"
    if target.is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    log.info("exporting the embedding model to ONNX (once): %s", target)
    handle, temporary = tempfile.mkstemp(dir=cache_dir, suffix=".onnx.part")
    os.close(handle)
    try:
        _export(model, Path(temporary))
        os.replace(temporary, target)  # atomic: another process never reads half a file
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    return target


def quantized(model: SentenceModel, float_file: Path) -> Path:
    """The int8 form of `float_file`, the model's export, beside it, made now if it is not
    there yet and checked against it before it is kept."""
    target = float_file.with_name(f"{float_file.stem}-int8.onnx")
    if target.is_file():
        return target
    log.info("quantising the embedding model to int8 (once): %s", target)
    handle, temporary = tempfile.mkstemp(dir=float_file.parent, suffix=".onnx.part")
    os.close(handle)
    try:
        _quantize(model, float_file, Path(temporary))
        os.replace(temporary, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    return target


def _quantize(model: SentenceModel, float_file: Path, path: Path) -> None:
    try:
        import onnxruntime
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise ExportFailed(f"cannot quantise without {exc.name}") from exc
    try:
        with _root_logger_quiet():  # a line per tensor, and advice to pre-process
            quantize_dynamic(
                float_file, path, per_channel=True, weight_type=QuantType.QInt8
            )  # fmt: skip
    except Exception as exc:
        raise ExportFailed(f"ONNX Runtime could not quantise the model: {exc}") from exc
    # Per channel keeps the vectors close (cosine 0.99 and up on the benchmark's questions;
    # per tensor fell to 0.95); a model that loses more is not used at int8.
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model.folder / "tokenizer.json"))
    tokenizer.enable_padding()
    encodings = tokenizer.encode_batch(list(PROBES))
    ids = np.array([e.ids for e in encodings], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
    feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    vectors = []
    for file in (float_file, path):
        session = onnxruntime.InferenceSession(str(file), providers=["CPUExecutionProvider"])
        names = {i.name for i in session.get_inputs()}
        inputs = {k: v for k, v in feed.items() if k in names}
        (hidden,) = session.run(["last_hidden_state"], inputs)
        vectors.append(pool(hidden, mask, model.pooling))
    agreement = float(np.min(np.sum(vectors[0] * vectors[1], axis=1)))
    if agreement < MIN_INT8_AGREEMENT:
        raise ExportFailed(f"int8 vectors differ from float ones (cosine {agreement:.3f})")


@contextlib.contextmanager
def _root_logger_quiet() -> Iterator[None]:
    """Messages logged on the root logger itself (not a module's) are dropped for the block."""

    def keep(record: logging.LogRecord) -> bool:
        return record.name != "root"

    root = logging.getLogger()
    root.addFilter(keep)
    try:
        yield
    finally:
        root.removeFilter(keep)


def _export(model: SentenceModel, path: Path) -> None:
    try:
        import onnxruntime
        import torch
        from transformers import AutoModel, AutoTokenizer
    except ImportError as exc:
        raise ExportFailed(f"cannot export without {exc.name}") from exc

    class LastHiddenState(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor,
        ) -> torch.Tensor:
            out = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            hidden: torch.Tensor = out.last_hidden_state
            return hidden

    transformer = AutoModel.from_pretrained(str(model.folder), attn_implementation="eager")
    transformer.eval()
    tokenizer = AutoTokenizer.from_pretrained(str(model.folder))
    batch = tokenizer(list(PROBES), padding=True, truncation=True, return_tensors="pt")
    batch.setdefault("token_type_ids", torch.zeros_like(batch["input_ids"]))
    args = tuple(batch[name] for name in INPUTS)
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "last_hidden_state")}
    try:  # TorchScript export (dynamo=False): the newer exporter needs onnxscript too
        with torch.no_grad(), warnings.catch_warnings():  # its deprecation and trace notes
            warnings.simplefilter("ignore")
            # torch's own vectors first: exporting leaves the module traced
            expected = transformer(**{name: batch[name] for name in INPUTS}).last_hidden_state
            torch.onnx.export(
                LastHiddenState(transformer), args, str(path), input_names=list(INPUTS),
                output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=OPSET,
                dynamo=False,
            )  # fmt: skip
    except Exception as exc:
        raise ExportFailed(f"torch could not export the model: {exc}") from exc
    # The check: ONNX Runtime's vectors against torch's, batch padding included.
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    mask = batch["attention_mask"].numpy()
    (hidden,) = session.run(["last_hidden_state"], {n: batch[n].numpy() for n in INPUTS})
    ours, theirs = pool(hidden, mask, model.pooling), pool(expected.numpy(), mask, model.pooling)
    agreement = float(np.min(np.sum(ours * theirs, axis=1)))
    if agreement < 0.9999:
        raise ExportFailed(f"the export's vectors differ from torch's (cosine {agreement:.5f})")
