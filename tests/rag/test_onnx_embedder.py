"""The embedding model on ONNX Runtime: exported once into a cache, the vectors torch gives.

A knowledge base embedded by one backend is searched with the other's query vectors, so the
two must agree: checked here against sentence-transformers itself, on short texts, long ones
(cut at the model's length) and batches that pad. That export quantised to int8 (a setting)
gives other vectors, near the float ones, which a text gets whatever it is embedded with."""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.embeddings import (
    DEFAULT_EMBEDDING_MODEL,
    Embedder,
    SentenceTransformerEmbedder,
    _model_location,
    load_embedder,
)
from rag.onnx_embedder import OnnxEmbedder, SentenceModel, pool
from rag.onnx_export import exported, fingerprint

BUNDLED = Path(_model_location(DEFAULT_EMBEDDING_MODEL))
TEXTS = [
    "How often should the oil be changed?",
    "tyre pressure",
    "Warning lamp " * 300,  # past the model's 256 tokens: both cut it at the same place
    "The Sable 1.5T needs its first service at 15,000 km or 12 months, whichever comes first.",
]


@pytest.mark.slow
def test_an_export_made_from_scratch_gives_the_vectors_of_sentence_transformers(
    tmp_path: Path,
) -> None:
    model = SentenceModel.read(BUNDLED)
    assert model is not None and model.pooling == "mean" and model.max_length == 256
    onnx_file = exported(model, tmp_path, DEFAULT_EMBEDDING_MODEL)
    assert onnx_file.parent == tmp_path and onnx_file.name.startswith("all-MiniLM-L6-v2-")
    assert list(tmp_path.iterdir()) == [onnx_file]  # no half-written file left behind
    made = onnx_file.stat().st_mtime_ns
    assert exported(model, tmp_path, DEFAULT_EMBEDDING_MODEL) == onnx_file
    assert onnx_file.stat().st_mtime_ns == made  # the second start reuses it

    ours = OnnxEmbedder(DEFAULT_EMBEDDING_MODEL, model, onnx_file, batch_size=3).encode(TEXTS)
    theirs = SentenceTransformerEmbedder(DEFAULT_EMBEDDING_MODEL).encode(TEXTS)
    assert ours.shape == theirs.shape == (len(TEXTS), 384)
    assert np.min(np.sum(ours * theirs, axis=1)) > 0.9999
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, rtol=1e-5)


def test_the_default_backend_is_onnx_runtime(embedder) -> None:  # type: ignore[no-untyped-def]
    assert isinstance(embedder, OnnxEmbedder)
    assert embedder.encode([]).shape == (0, embedder.dimension)


def _copy_of_model(tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    shutil.copytree(BUNDLED, folder, ignore=shutil.ignore_patterns("*.safetensors"))
    return folder


def test_only_models_it_reproduces_run_on_onnx(tmp_path: Path) -> None:
    folder = _copy_of_model(tmp_path)
    assert SentenceModel.read(folder) is not None
    pooling = folder / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text())
    config.update(pooling_mode_mean_tokens=False, pooling_mode_max_tokens=True)
    pooling.write_text(json.dumps(config))
    assert SentenceModel.read(folder) is None  # max pooling: not reproduced here
    config.update(pooling_mode_max_tokens=False, pooling_mode_cls_token=True)
    pooling.write_text(json.dumps(config))
    assert SentenceModel.read(folder) == SentenceModel(folder, 256, "cls")
    (folder / "modules.json").write_text('[{"path": "", "type": "x.Transformer"}]')
    assert SentenceModel.read(folder) is None
    assert SentenceModel.read(tmp_path / "nowhere") is None


def test_pooling_averages_only_real_tokens_and_gives_unit_vectors() -> None:
    hidden = np.array([[[1.0, 0.0], [3.0, 4.0], [100.0, 100.0]]], dtype=np.float32)
    mask = np.array([[1, 1, 0]])
    # The mean of the two real tokens is (2, 2); the padding's (100, 100) counts for nothing.
    np.testing.assert_allclose(pool(hidden, mask, "mean"), [[0.5**0.5, 0.5**0.5]], 1e-6)
    np.testing.assert_allclose(pool(hidden, mask, "cls"), [[1.0, 0.0]])


def test_a_model_with_no_onnx_form_falls_back_to_torch_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded: list[str] = []

    def sentence_transformers(name: str) -> str:  # stands in for loading torch
        loaded.append(name)
        return name

    monkeypatch.setattr("rag.embeddings.SentenceTransformerEmbedder", sentence_transformers)
    with caplog.at_level(logging.WARNING, logger="rag.embeddings"):
        embedder = load_embedder(str(tmp_path / "not-a-model"), "onnx", tmp_path, 0)
    assert loaded == [str(tmp_path / "not-a-model")] and embedder == loaded[0]
    assert "no ONNX form, using torch" in caplog.text


@pytest.fixture(scope="module")
def int8() -> Embedder:
    return load_embedder(cache_dir=Path(os.environ["MODEL_CACHE_DIR"]), precision="int8")


def test_the_int8_model_s_vectors_stay_near_the_float_ones(
    int8: Embedder,
    embedder,  # type: ignore[no-untyped-def]
) -> None:
    assert embedder.name == DEFAULT_EMBEDDING_MODEL  # float32 by default
    assert int8.name == f"{DEFAULT_EMBEDDING_MODEL}@int8"  # what a knowledge base records
    ours, theirs = int8.encode(TEXTS), embedder.encode(TEXTS)
    assert np.min(np.sum(ours * theirs, axis=1)) > 0.98
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, rtol=1e-5)


def test_an_int8_text_gets_the_same_vector_alone_and_in_any_batch(int8: Embedder) -> None:
    together = int8.encode(TEXTS)
    reversed_order = int8.encode(TEXTS[::-1])[::-1]
    for i, text in enumerate(TEXTS):
        np.testing.assert_array_equal(int8.encode([text])[0], together[i])
        np.testing.assert_array_equal(reversed_order[i], together[i])


def test_a_model_that_loses_too_much_at_int8_runs_as_float_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = SentenceModel.read(BUNDLED)
    assert model is not None
    float_file = f"{DEFAULT_EMBEDDING_MODEL}-{fingerprint(model)}.onnx"
    shutil.copy(Path(os.environ["MODEL_CACHE_DIR"]) / float_file, tmp_path / float_file)
    monkeypatch.setattr("rag.onnx_export.MIN_INT8_AGREEMENT", 1.01)  # no model can pass
    with caplog.at_level(logging.WARNING, logger="rag.embeddings"):
        embedder = load_embedder(cache_dir=tmp_path, threads=1, precision="int8")
    assert embedder.name == DEFAULT_EMBEDDING_MODEL  # float vectors, and named so
    assert "at int8 failed" in caplog.text and "int8 vectors differ" in caplog.text
    assert sorted(f.name for f in tmp_path.iterdir()) == [float_file]  # nothing half-made kept
