"""`orchestrator ingest`: the knowledge manager's view of an ingest, with a progress bar."""

from __future__ import annotations

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

from orchestrator.errors import StartupError
from orchestrator.settings import Settings
from rag import ingest as ingestion
from rag.embeddings import load_embedder
from rag.store import EmbeddingModelMismatch, open_store


def run_ingest(
    settings: Settings,
    paths: Sequence[Path],
    *,
    reset: bool,
    prune: bool,
    dry_run: bool,
    if_empty: bool = False,
) -> int:
    """Ingest and print one summary line; the exit code is 1 if any file failed."""
    console = Console(stderr=True, soft_wrap=True)
    store = open_store(settings)
    if if_empty and store.count() > 0:
        console.print(f"knowledge base already holds {store.count()} chunks; nothing to do")
        return 0
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
    )
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
            report = ingestion.ingest(
                list(paths),
                store,
                lambda: load_embedder(settings.embedding_model),
                embedding_model=settings.embedding_model,
                reset=reset,
                prune=prune,
                dry_run=dry_run,
                progress=hooks,
            )
        except EmbeddingModelMismatch as exc:
            raise StartupError(str(exc).split(";")[0], "Re-ingest with --reset") from None
    for source, reason in report.failed:
        console.print(f"[red]failed[/] {source}: {reason}", highlight=False)
    Console(soft_wrap=True).print(report.summary(), highlight=False)
    return 1 if report.failed else 0
