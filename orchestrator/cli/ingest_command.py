"""`orchestrator ingest`: the knowledge manager's view of an ingest, with a progress bar."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from agents.registry import default_registry
from agents.wiring import build_router
from orchestrator import knowledge
from orchestrator.errors import StartupError
from orchestrator.knowledge import domain_classifier, knowledge_store, run_ingest
from orchestrator.settings import Settings
from rag import ingest as ingestion
from rag.embeddings import Embedder, space_name
from rag.store import ConcurrentIngest, EmbeddingModelMismatch

UNPLACED_SHOWN = 5  # documents named in the line about those a prune cannot place


def _shown(source: str, file: str) -> str:
    """A removed document as its file, from the working directory where it is below it, with
    its name too where the file's path does not end in it."""
    path = Path(file)
    with contextlib.suppress(ValueError):
        path = path.relative_to(Path.cwd())
    return path.as_posix() if file.endswith(f"/{source}") else f"{source} ({path.as_posix()})"


def _documents(n: int) -> str:
    return f"{n} document" if n == 1 else f"{n} documents"


def print_report(report: ingestion.IngestReport, console: Console, out: Console) -> None:
    """What an ingest did: failures, skipped files, domain decisions, the catalogue, a summary."""
    for source, reason in report.failed:
        console.print(f"[red]failed[/] {source}: {reason}", highlight=False)
    for source, reason in report.skipped:
        console.print(f"[yellow]skipped[/] {source}: {reason}", highlight=False)
    for _source, note in report.partly_read:
        console.print(f"[yellow]unread[/] {note}", highlight=False)
    for _source, note in report.read_by_ocr:
        console.print(f"[cyan]OCR[/] {note}", highlight=False)
    removed = "would remove" if report.dry_run else "removed"
    for source, file in report.pruned:
        console.print(f"{removed} {_shown(source, file)}", highlight=False)
    if report.unplaced:
        names = ", ".join(report.unplaced[:UNPLACED_SHOWN])
        more = len(report.unplaced) - UNPLACED_SHOWN
        names += f" and {more} more" if more > 0 else ""
        console.print(
            f"[yellow]kept[/] {_documents(len(report.unplaced))} ingested before ingest recorded "
            f"where each came from, so not pruned: {names}. Ingest their folder again to record "
            "it, or rebuild with --reset",
            highlight=False,
        )
    for decision in report.decisions:
        style = "yellow]warning" if decision.origin == "undecided" else "cyan]domain"
        console.print(f"[{style}[/] {decision.describe()}", highlight=False)
    if report.catalogue is not None:
        for conflict in report.catalogue.conflicts:
            console.print(f"[yellow]conflict[/] {conflict}", highlight=False)
        line = report.catalogue_line()
        if line:
            console.print(line, highlight=False)
    out.print(report.summary(), highlight=False)


def run(
    settings: Settings,
    paths: Sequence[Path],
    *,
    reset: bool,
    prune: bool,
    dry_run: bool,
    if_empty: bool = False,
    domain: str | None = None,
) -> int:
    """Ingest and print the report; the exit code is 1 if any file failed."""
    console = Console(stderr=True, soft_wrap=True)
    store = knowledge_store(settings)
    if if_empty and store.count() > 0:
        held = store.count()
        console.print(
            f"knowledge base already holds {held} chunk{'' if held == 1 else 's'}; nothing to do"
        )
        return 0
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
    )
    precision = knowledge.ingest_precision(settings, store, reset=reset)
    try:
        if not reset:
            store.check_model(space_name(settings.embedding_model, precision))
    except EmbeddingModelMismatch as exc:
        raise StartupError(str(exc).split(";")[0], "Re-ingest with --reset") from None

    def embedder() -> Embedder:
        return knowledge.embedder(settings, threads=0, precision=precision)  # alone: every core

    with Progress(*columns, console=console, transient=True) as bar:
        files = bar.add_task("files", total=None, rate="")
        chunks = bar.add_task("chunks embedded", total=None, rate="", visible=False)

        def chunk_rate(n: int) -> None:
            bar.update(chunks, advance=n, visible=True)
            task = bar.tasks[chunks]
            speed = task.speed or 0
            bar.update(chunks, rate=f"{speed:.0f} chunks/s")

        def file_rate(source: str) -> None:
            bar.update(files, advance=1)
            speed = bar.tasks[files].speed or 0
            bar.update(files, rate=f"{speed:.1f} files/s")

        hooks = ingestion.Progress(
            files_total=lambda n: bar.update(files, total=n),
            file_done=file_rate,
            chunks_embedded=chunk_rate,
        )
        try:
            report = run_ingest(
                settings,
                store,
                paths,
                embedder,
                domain_classifier(lambda: build_router(embedder())),
                domains=default_registry().domains,
                reset=reset,
                prune=prune,
                dry_run=dry_run,
                domain=domain,
                progress=hooks,
                precision=precision,
            )
        except EmbeddingModelMismatch as exc:
            raise StartupError(str(exc).split(";")[0], "Re-ingest with --reset") from None
        except ConcurrentIngest as exc:
            raise StartupError(str(exc).split(";")[0], "Run the ingest again") from None
    print_report(report, console, Console(soft_wrap=True))
    return 1 if report.failed else 0
