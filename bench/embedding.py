"""The embedding model on its two backends: ONNX Runtime (the default) against torch.

Same run, same texts, same thread count as the service (`EMBEDDING_THREADS`, 1): CPU per
query, CPU per chunk in ingest-sized batches, the agreement of the two backends' vectors,
and the time a fresh process takes to load the model (a server start, an ingest)."""

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
    onnx = load_embedder(backend="onnx", cache_dir=cache, threads=1)
    torch = SentenceTransformerEmbedder(onnx.name)
    limit_threads(1)  # as the service runs it
    questions = [json.loads(line)["message"] for line in LABELLED.read_text().splitlines()]
    chunks = search_texts(REPO / "knowledge_base")  # what an ingest embeds
    rounds = 1 if ctx.quick else 3
    per_query: dict[str, list[float]] = {"onnx": [], "torch": []}
    per_chunk: dict[str, list[float]] = {"onnx": [], "torch": []}
    embedders = {"onnx": onnx.encode, "torch": torch.encode}
    for encode in embedders.values():  # warm-up
        encode(questions[:8])
    for r in range(rounds):
        for backend, encode in embedders.items():  # interleaved, so both see the same load
            per_query[backend].append(_cpu_ms_per_text(encode, [[q] for q in questions]))
            batches = [chunks[i : i + 64] for i in range(0, len(chunks), 64)]
            per_chunk[backend].append(_cpu_ms_per_text(encode, batches))
        log(f"{NAME}: round {r + 1}/{rounds}, per query {per_query['onnx'][-1]:.2f} ms (onnx) "
            f"vs {per_query['torch'][-1]:.2f} ms (torch)")  # fmt: skip
    texts = questions + chunks
    agreement = float(np.min(np.sum(onnx.encode(texts) * torch.encode(texts), axis=1)))
    loads = {b: median(_load_s(b, cache) for _ in range(1 if ctx.quick else 3)) for b in embedders}
    command = ctx.command(NAME)
    q_onnx, q_torch = median(per_query["onnx"]), median(per_query["torch"])
    c_onnx, c_torch = median(per_chunk["onnx"]), median(per_chunk["torch"])

    def versus(name: str, unit: str, onnx_value: float, torch_value: float, most: float) -> Figure:
        """ONNX's figure against torch's, met when it is at most `most` times it."""
        return Figure(
            name=name,
            value=onnx_value,
            unit=unit,
            baseline=torch_value,
            baseline_label="the same model on torch (sentence-transformers)",
            ratio=onnx_value / torch_value,
            ratio_label="onnx ÷ torch",
            target=f"≤ {most:g}×",
            met=onnx_value <= most * torch_value,
            command=command,
        )

    figures = [
        versus(
            f"Embedding CPU per query ({len(questions)} different questions, 1 thread)",
            "ms",
            q_onnx,
            q_torch,
            0.5,
        ),
        versus(
            f"Embedding CPU per chunk ({len(chunks)} sample chunks, batches of 64)",
            "ms",
            c_onnx,
            c_torch,
            1,
        ),
        Figure(
            name="Least cosine between the backends' vectors (questions and chunks)",
            value=agreement,
            unit="",
            baseline=1.0,
            baseline_label="identical vectors",
            ratio=agreement,
            ratio_label="cosine",
            target="≥ 0.9999",
            met=agreement >= 0.9999,
            command=command,
        ),
        versus(
            "Model load in a fresh process (imports, model, first encode)",
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
            "Both backends in one process, interleaved per round: `time.process_time()` "
            "around encoding every routing question alone, then the sample knowledge base's "
            "chunks in batches of 64, with one thread each (the service's default), after a "
            "warm-up. The ONNX file is exported into the run's work dir first (not timed). "
            "Load: a fresh `python -c` per backend, from the first import to the first vector."
        ),
    )


SCENARIO = Scenario(
    name=NAME,
    title="Embedding backends",
    run=run,
    summary="ONNX Runtime against torch: CPU per query and per chunk, agreement, load time.",
)
