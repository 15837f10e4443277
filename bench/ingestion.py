"""Ingestion throughput against the raw embedding model's encode, and unchanged re-ingest."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import Context, Figure, Result, Scenario, log, median, timed
from bench.corpus import search_texts, write_corpus
from bench.kb import settings_for

NAME = "ingestion"
FULL_CHUNKS = 2000
QUICK_CHUNKS = 150
REINGESTS = 3
ROUNDS = 1  # two rounds took 5 of make bench's 15 minutes; they agreed within 3%
# On a loaded machine one round of 2,000 chunks can take minutes; a second round is only run
# when the first fitted in this many seconds, to keep `make bench` under 15 minutes.
SECOND_ROUND_IF_UNDER_S = 200.0


def _clocked(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall seconds (perf_counter), this process's CPU seconds (all threads), fn()'s result."""
    cpu = time.process_time()
    wall, out = timed(fn)
    return wall, time.process_time() - cpu, out


def _ingest(root: Path, store: Any, embedder: Any) -> tuple[float, float, Any]:
    from agents.registry import default_registry
    from rag.ingest import ingest

    domains = default_registry().domains
    return _clocked(
        lambda: ingest(
            [root], store, lambda: embedder, embedding_model=embedder.name, domains=domains
        )
    )


def _raw_encode(embedder: Any, texts: list[str]) -> tuple[float, float]:
    """The bare model: the product's embedder encoding every text in one call (its own
    batches), with nothing of an ingest around it."""
    wall, cpu, _ = _clocked(lambda: embedder.encode(texts))
    return wall, cpu


MANUAL_PAGES = 300
QUICK_MANUAL_PAGES = 30


def _manual(ctx: Context, embedder: Any) -> tuple[Figure, dict[str, Any], list[str]]:
    """One PDF owner's manual of several hundred pages (bench.manual_pdf), ingested into a
    fresh store, against the raw encode of exactly the texts it embeds."""
    from agents.registry import default_registry
    from bench.manual_pdf import write_manual
    from orchestrator.knowledge import knowledge_store
    from rag.documents import load

    root = ctx.workdir / "ingest-manual"
    root.mkdir(parents=True, exist_ok=True)
    manual = write_manual(
        root / "owners-manual.pdf", pages=QUICK_MANUAL_PAGES if ctx.quick else MANUAL_PAGES
    )
    read_s, read_cpu, _ = _clocked(lambda: load(manual.path, root, default_registry().domains))
    texts = search_texts(root)
    log(f"{NAME}: a PDF manual of {manual.pages} pages, {len(texts)} chunks; read {read_s:.1f}s")
    raw_s, raw_cpu = _raw_encode(embedder, texts)
    store = knowledge_store(settings_for(ctx.workdir / "ingest-manual-data"))
    ingest_s, ingest_cpu, report = _ingest(root, store, embedder)
    if report.failed or report.chunks_embedded + report.facets_embedded != len(texts):
        raise RuntimeError(f"manual ingest embedded {report.chunks_embedded} of {len(texts)}")
    log(f"{NAME}: manual ingest {ingest_s:.1f}s, raw encode {raw_s:.1f}s")
    n = len(texts)
    ratio = raw_s / ingest_s
    figure = Figure(
        name=f"Ingest throughput, one PDF manual ({manual.pages} pages, {n} chunks)",
        value=n / ingest_s,
        unit="chunks/s",
        baseline=n / raw_s,
        baseline_label="raw embedder.encode, same chunks, batch 64",
        ratio=ratio,
        ratio_label="ingest ÷ raw",
        target="≥ 0.9×",
        met=ratio >= 0.9,
        command=ctx.command(NAME),
    )
    details = {
        "pages": manual.pages,
        "chunks": n,
        "read_s": round(read_s, 3),
        "read_cpu_s": round(read_cpu, 3),
        "ingest_s": round(ingest_s, 3),
        "ingest_cpu_s": round(ingest_cpu, 3),
        "raw_encode_s": round(raw_s, 3),
        "raw_encode_cpu_s": round(raw_cpu, 3),
    }
    notes = []
    if ratio < 0.9:
        notes.append(
            f"PDF manual ingest is {ratio:.2f}× raw encode (target 0.9×): reading its "
            f"{manual.pages} pages took {read_s:.1f}s of the {ingest_s:.1f}s."
        )
    return figure, details, notes


def run(ctx: Context) -> Result:
    from orchestrator.knowledge import knowledge_store

    embedder = ctx.embedder
    target = QUICK_CHUNKS if ctx.quick else FULL_CHUNKS
    rounds = 1 if ctx.quick else ROUNDS
    corpus = write_corpus(ctx.workdir / "ingest-corpus", target)
    texts = search_texts(corpus.root)
    log(f"{NAME}: corpus of {corpus.files} files, {len(texts)} chunks ({corpus.variants} variants)")

    log(f"{NAME}: warming up")
    warm = texts[: 16 if ctx.quick else 64]
    embedder.encode(warm)
    _raw_encode(embedder, warm)

    first: list[float] = []
    raw: list[float] = []
    again: list[float] = []
    pairs: list[float] = []  # per-round throughput ratio, ingest ÷ raw
    cpu_pairs: list[float] = []  # the same ratio in process CPU time, which load disturbs less
    loads: list[float] = []  # 1-min load average after each round
    speedups: list[float] = []  # per-round first ÷ median re-ingest
    started = time.perf_counter()
    for r in range(rounds):
        if r and time.perf_counter() - started > SECOND_ROUND_IF_UNDER_S:
            log(f"{NAME}: round 1 took {time.perf_counter() - started:.0f}s; one round only")
            rounds = r
            break
        order = ("ingest", "raw") if r % 2 == 0 else ("raw", "ingest")
        round_first = round_raw = first_cpu = raw_cpu = 0.0
        round_again: list[float] = []
        for step in order:
            if step == "raw":
                round_raw, raw_cpu = _raw_encode(embedder, texts)
                log(f"{NAME}: round {r + 1}/{rounds} raw encode {round_raw:.1f}s")
                continue
            store = knowledge_store(settings_for(ctx.workdir / f"ingest-data-{r}"))
            round_first, first_cpu, report = _ingest(corpus.root, store, embedder)
            if report.failed or report.chunks_embedded + report.facets_embedded != len(texts):
                raise RuntimeError(
                    f"ingest embedded {report.chunks_embedded} of {len(texts)} chunks, "
                    f"failed {report.failed[:3]}"
                )
            log(f"{NAME}: round {r + 1}/{rounds} first ingest {round_first:.1f}s")
            for _ in range(REINGESTS):
                seconds, _, again_report = _ingest(corpus.root, store, embedder)
                if again_report.chunks_embedded or again_report.unchanged != corpus.files:
                    raise RuntimeError(f"re-ingest was not a no-op: {again_report.summary()}")
                round_again.append(seconds)
            log(f"{NAME}: round {r + 1}/{rounds} re-ingest {median(round_again) * 1000:.0f}ms")
        first.append(round_first)
        raw.append(round_raw)
        again.extend(round_again)
        pairs.append(round_raw / round_first)
        cpu_pairs.append(raw_cpu / first_cpu)
        loads.append(round(os.getloadavg()[0], 2))
        speedups.append(round_first / median(round_again))

    manual_figure, manual_details, manual_notes = _manual(ctx, embedder)

    n = len(texts)
    ingest_rate, raw_rate = n / median(first), n / median(raw)
    throughput_ratio, speedup = median(pairs), median(speedups)
    command = ctx.command(NAME)
    figures = [
        Figure(
            name=f"Ingest throughput ({n} chunks, fresh Chroma)",
            value=ingest_rate,
            unit="chunks/s",
            baseline=raw_rate,
            baseline_label="raw embedder.encode, same chunks, batch 64",
            ratio=throughput_ratio,
            ratio_label="ingest ÷ raw",
            target="≥ 0.9×",
            met=throughput_ratio >= 0.9,
            command=command,
        ),
        Figure(
            name=f"Unchanged re-ingest ({corpus.files} files)",
            value=median(again),
            unit="s",
            baseline=median(first),
            baseline_label="first ingest of the same files",
            ratio=speedup,
            ratio_label="first ÷ re-ingest",
            target="≥ 20×",
            met=speedup >= 20,
            command=command,
        ),
    ]
    figures.append(manual_figure)
    notes = list(manual_notes)
    cpu_ratio = median(cpu_pairs)
    spread = max(pairs) / min(pairs) if min(pairs) > 0 else 1.0
    if throughput_ratio < 0.9 and (cpu_ratio >= 0.9 or spread > 1.2):
        notes.append(
            f"Ingest throughput is {throughput_ratio:.2f}× raw encode by wall clock (target "
            f"0.9×), but {cpu_ratio:.2f}× by this process's CPU time; per-round wall ratios "
            f"{', '.join(f'{x:.2f}' for x in pairs)} with 1-min load averages "
            f"{', '.join(map(str, loads))}. Other processes slowed one side of a round more "
            "than the other; re-run on a quieter machine before concluding."
        )
    elif spread > 1.2:
        notes.append(
            f"Ingest throughput: the per-round wall-clock ratios disagree "
            f"({', '.join(f'{x:.2f}' for x in pairs)}, 1-min load averages "
            f"{', '.join(map(str, loads))}); by this process's CPU time they are "
            f"{', '.join(f'{x:.2f}' for x in cpu_pairs)}. Other processes slowed one side of a "
            f"round, so read the {throughput_ratio:.2f}× figure as ≈{cpu_ratio:.2f}×."
        )
    if throughput_ratio < 0.9 and cpu_ratio < 0.9:
        notes.append(
            f"Ingest throughput is {throughput_ratio:.2f}× raw encode (target 0.9×), by wall "
            "clock and CPU time alike. Likely causes, to confirm with a profile "
            "(`pyinstrument -m bench --only ingestion`): what ingest does besides embedding "
            "(reading and chunking the files, deriving the catalogue, choosing the table rows "
            "to embed as facets, Chroma upserts, the BM25 index), and embedding chunks and "
            "rows in two passes where the baseline encodes all texts in one call. (Batches are "
            "sorted by length as the baseline's are: 0.82× / PDF 0.75× before, one run each.)"
        )
    if speedup < 20:
        notes.append(f"Unchanged re-ingest is only {speedup:.1f}× faster than the first ingest.")
    return Result(
        figures=figures,
        notes=notes,
        details={
            "chunks": n,
            "files": corpus.files,
            "variants": corpus.variants,
            "rounds": rounds,
            "first_ingest_s": [round(x, 3) for x in first],
            "raw_encode_s": [round(x, 3) for x in raw],
            "reingest_s": [round(x, 4) for x in again],
            "throughput_ratio_per_round": [round(x, 4) for x in pairs],
            "cpu_time_ratio_per_round": [round(x, 4) for x in cpu_pairs],
            "load_average_1min_after_round": loads,
            "speedup_per_round": [round(x, 2) for x in speedups],
            "manual": manual_details,
        },
        method=(
            f"A corpus of {corpus.files} files / {n} chunks is generated from the real "
            "`knowledge_base/` (variant 0 is the original; each further variant renames the "
            "models, trims and market, scales every free-standing number and shuffles the "
            "Markdown sections, so every chunk text is distinct). Each round ingests it with "
            "`rag.ingest.ingest` into a fresh embedded Chroma in a temp data dir (embedder "
            "loaded beforehand, not timed), re-ingests it unchanged "
            f"{REINGESTS}×, and times the baseline: the embedder's `encode` on exactly the "
            "texts ingest embeds (title/heading line + chunk), batch size 64, normalised. "
            f"{rounds} round(s), alternating which of the two goes first; ratios are the median "
            "of the per-round ratios. Each block is also timed in process CPU time (all threads), "
            "which other processes disturb less, as a cross-check in the JSON. Then one PDF "
            f"owner's manual of about {MANUAL_PAGES} pages (`bench/manual_pdf.py`: the sample's "
            "variants set in two columns with a running header, page-number footer, headings, "
            "bulleted lists and ruled tables) is ingested into a fresh store, reading the PDF "
            "included, against the raw encode of exactly the texts that ingest embeds."
        ),
    )


SCENARIO = Scenario(
    name=NAME,
    title="Ingestion",
    run=run,
    summary="Full ingest throughput vs raw encode; unchanged re-ingest vs first ingest.",
)
