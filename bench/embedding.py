"""The embedding model as it runs: ONNX Runtime at float32 (the default), at int8, and torch.

Same run, same texts, same thread count as the service (`EMBEDDING_THREADS`, 1): CPU per
query, CPU per chunk in ingest-sized batches, the agreement of the vectors (float ONNX with
torch; int8 with float), and the time a fresh process takes to load the model (a server
start, an ingest)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import REPO, Context, Figure, Result, Scenario, log, median

NAME = "embedding"
LABELLED = REPO / "tests" / "data" / "routing_labelled.jsonl"
LOAD = """
import sys, time
t = time.perf_counter()
from pathlib import Path
from rag.embeddings import load_embedder
load_embedder(backend=sys.argv[1], cache_dir=Path(sys.argv[2]), threads=1).encode(["warm"])
print(time.perf_counter() - t)
"""


def _cpu_ms_per_text(encode: Any, batches: list[list[str]]) -> float:
    texts = sum(len(b) for b in batches)
    start = time.process_time()
    for batch in batches:
        encode(batch)
    return (time.process_time() - start) * 1000 / texts


def _load_s(backend: str, cache: Path) -> float:
    out = subprocess.run(
        [sys.executable, "-c", LOAD, backend, str(cache)],
        cwd=REPO, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(out.stdout.split()[-1])


def run(ctx: Context) -> Result:
    from bench.corpus import search_texts
    from rag.embeddings import SentenceTransformerEmbedder, limit_threads, load_embedder

    cache = ctx.workdir / "models"
    int8 = load_embedder(cache_dir=cache, threads=1, precision="int8")
    onnx = load_embedder(cache_dir=cache, threads=1)  # the default
    torch = SentenceTransformerEmbedder(onnx.name)
    limit_threads(1)  # as the service runs it
    questions = [json.loads(line)["message"] for line in LABELLED.read_text().splitlines()]
    chunks = search_texts(REPO / "knowledge_base")  # what an ingest embeds
    rounds = 1 if ctx.quick else 3
    embedders = {"int8": int8.encode, "onnx": onnx.encode, "torch": torch.encode}
    per_query: dict[str, list[float]] = {name: [] for name in embedders}
    per_chunk: dict[str, list[float]] = {name: [] for name in embedders}
    for encode in embedders.values():  # warm-up
        encode(questions[:8])
    for r in range(rounds):
        for backend, encode in embedders.items():  # interleaved, so all see the same load
            per_query[backend].append(_cpu_ms_per_text(encode, [[q] for q in questions]))
            batches = [chunks[i : i + 64] for i in range(0, len(chunks), 64)]
            per_chunk[backend].append(_cpu_ms_per_text(encode, batches))
        last = {name: f"{values[-1]:.2f}" for name, values in per_query.items()}
        log(f"{NAME}: round {r + 1}/{rounds}, CPU-ms per query {last}")
    texts = questions + chunks
    float_vectors = onnx.encode(texts)
    agreement = float(np.min(np.sum(float_vectors * torch.encode(texts), axis=1)))
    int8_agreement = float(np.min(np.sum(int8.encode(texts) * float_vectors, axis=1)))
    loads = {
        b: median(_load_s(b, cache) for _ in range(1 if ctx.quick else 3))
        for b in ("onnx", "torch")
    }
    command = ctx.command(NAME)
    q = {name: median(values) for name, values in per_query.items()}
    c = {name: median(values) for name, values in per_chunk.items()}

    def versus(
        name: str, unit: str, value: float, baseline: float, most: float, against: str = "torch"
    ) -> Figure:
        """A figure against the same model's on `against`, met when at most `most` times it."""
        return Figure(
            name=name,
            value=value,
            unit=unit,
            baseline=baseline,
            baseline_label={
                "torch": "the same model on torch (sentence-transformers)",
                "float": "the same model on ONNX Runtime, float32",
            }[against],
            ratio=value / baseline,
            ratio_label=f"÷ {against}",
            target=f"≤ {most:g}×",
            met=value <= most * baseline,
            command=command,
        )

    def cosine(name: str, value: float, least: float) -> Figure:
        return Figure(
            name=name, value=value, unit="", baseline=1.0, baseline_label="identical vectors",
            ratio=value, ratio_label="cosine", target=f"≥ {least:g}", met=value >= least,
            command=command,
        )  # fmt: skip

    per_query_name = f"Embedding CPU per query ({len(questions)} different questions, 1 thread)"
    per_chunk_name = f"Embedding CPU per chunk ({len(chunks)} sample chunks, batches of 64)"
    figures = [
        versus(f"{per_query_name}, int8 (a setting)", "ms", q["int8"], q["onnx"], 0.6, "float"),
        versus(f"{per_chunk_name}, int8 (a setting)", "ms", c["int8"], c["onnx"], 0.6, "float"),
        versus(f"{per_query_name}, ONNX float32", "ms", q["onnx"], q["torch"], 0.5),
        versus(f"{per_chunk_name}, ONNX float32", "ms", c["onnx"], c["torch"], 1),
        cosine(
            "Least cosine, ONNX float32 against torch (questions and chunks)", agreement, 0.9999
        ),
        cosine("Least cosine, int8 against float32 (questions and chunks)", int8_agreement, 0.98),
        versus(
            "Model load in a fresh process (imports, model, first encode), ONNX",
            "s",
            loads["onnx"],
            loads["torch"],
            0.5,
        ),
    ]
    return Result(
        figures=figures,
        details={"per_query_ms": per_query, "per_chunk_ms": per_chunk, "load_s": loads},
        method=(
            "The default (the float ONNX export), the same export quantised to int8 (one text "
            "a run) and torch in one process, interleaved per round: `time.process_time()` "
            "around encoding every routing question alone, then the sample knowledge base's "
            "chunks in batches of 64, with one thread each (the service's default), after a "
            "warm-up. The ONNX files are made in the run's work dir first (not timed). "
            "Load: a fresh `python -c` per backend, from the first import to the first vector."
        ),
    )


SCENARIO = Scenario(
    name=NAME,
    title="Embedding backends",
    run=run,
    summary=(
        "ONNX at float32 (the default) against torch, int8 against float32: CPU per query "
        "and per chunk, agreement, load time."
    ),
)
