"""`orchestrator kb gaps`: the knowledge gaps report, read from the database this machine uses."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import numpy as np
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from orchestrator import db_url, knowledge_gaps
from orchestrator.cli.local_database import database_url
from orchestrator.errors import StartupError
from orchestrator.knowledge import knowledge_store
from orchestrator.knowledge_gaps import GapGroup, GapPassage, GapReport
from orchestrator.persistence import Database, db_engine
from orchestrator.persistence.gaps import WeakTurn
from orchestrator.settings import Settings

REASON_LABELS = {
    "no_answer": "no answer",
    "low_score": "low score",
    "thumbs_down": "thumbs down",
    "handoff": "hand-off",
    "rephrased": "asked again",
}


async def _weak_turns(
    url: URL, since: datetime, until: datetime, score_below: float
) -> list[WeakTurn]:
    async with db_engine.open_database(url) as engine:
        await db_engine.check_reachable(engine)
        try:
            return await Database(db_engine.session_factory(engine)).weak_turns(
                since=since, until=until, score_below=score_below
            )
        except DBAPIError as exc:
            raise StartupError(
                f"cannot read the conversations in {db_url.describe(url)} ({exc.orig})",
                "Run `orchestrator db upgrade`",
            ) from None


def build(settings: Settings, hours: int, now: datetime | None = None) -> GapReport:
    """The report over the last `hours`, each group searched again in the knowledge base when
    this machine has one."""
    until = now or datetime.now(UTC)
    since = until - timedelta(hours=hours)
    score_below = settings.gap_score_below
    turns = asyncio.run(_weak_turns(database_url(settings), since, until, score_below))
    if not turns:  # nothing to embed: no model to load
        empty = np.zeros((0, 1), dtype=np.float32)
        return knowledge_gaps.build_report(
            [], empty, since=since, until=until, score_below=score_below
        )
    from orchestrator import knowledge
    from rag.retriever import RetrievedChunk, Retriever

    if not (settings.chroma_url or settings.chroma_path.exists()):
        embedder = knowledge.embedder(settings)
        return knowledge_gaps.report_of(
            turns, encode=embedder.encode, since=since, until=until, score_below=score_below
        )
    store = knowledge_store(settings)
    embedder = knowledge.embedder(settings, precision=knowledge.precision_of(settings, store))
    retriever = Retriever(store, embedder)
    snapshot = retriever.current()

    def search(question: str) -> list[RetrievedChunk]:
        return retriever.search(
            question,
            k=knowledge_gaps.PASSAGES,
            min_score=settings.retrieval_min_score,
            snapshot=snapshot,
        )

    return knowledge_gaps.report_of(
        turns,
        encode=embedder.encode,
        since=since,
        until=until,
        score_below=score_below,
        neutralise=snapshot.catalogue.neutralise,
        search=search if snapshot.ids else None,
    )


def _passage(p: GapPassage) -> str:
    """`Title › section p. N (score)`: the heading's last part, as the console shows it."""
    title = p.title or p.source
    section = p.heading.split(" > ")[-1]
    where = f"{title} › {section}" if section and section != title else title
    page = f" p. {p.page}" if p.page is not None else ""
    score = f" ({p.score:.2f})" if p.score is not None else ""
    return f"{where}{page}{score}"


def _reasons(group: GapGroup) -> str:
    return "\n".join(f"{n} {REASON_LABELS[r]}" for r, n in group.reasons.items() if n)


def render(report: GapReport, out: Console, hours: int) -> None:
    """The report as a table: one row per group, biggest first; then the dialogue's failures."""
    _render_groups(report, out, hours)
    if report.dialogue_failures:
        out.print(
            f"Replies in the dialogue that went wrong ({len(report.dialogue_failures)}, newest "
            "first): failures of the conversation, not gaps in the knowledge",
            highlight=False,
        )
        for failure in report.dialogue_failures:
            out.print(f"  {failure.question}  ({failure.conversation_id})", highlight=False)


def _render_groups(report: GapReport, out: Console, hours: int) -> None:
    if not report.groups:
        out.print(
            f"No knowledge gaps in the last {hours} h: no answer said it found nothing, scored "
            f"below {report.score_below:g}, was rated down or went to a person.",
            highlight=False,
        )
        return
    table = Table(
        title=f"Knowledge gaps, last {hours} h: {report.questions} questions in "
        f"{len(report.groups)} groups (low score: below {report.score_below:g})",
        show_lines=True,
        title_justify="left",
    )
    table.add_column("#", justify="right")
    table.add_column("questions", justify="right")
    table.add_column("topic and examples", ratio=3)
    table.add_column("why", no_wrap=True)
    table.add_column("closest passages", ratio=2)
    for number, group in enumerate(report.groups, 1):
        topic = Text(group.label, style="bold")
        for example in group.examples[1:]:
            topic.append(f"\n{example.question}", style="dim")
        passages = Text("\n".join(_passage(p) for p in group.passages) or "none")
        if group.retrieved_now is not None:
            passages.append("\nsearched now:", style="dim italic")
            for p in group.retrieved_now or ():
                passages.append(f"\n{_passage(p)}", style="dim")
            if not group.retrieved_now:
                passages.append(" nothing", style="dim")
        table.add_row(
            str(number),
            f"{group.count}\n({group.conversations} conv.)",
            topic,
            _reasons(group),
            passages,
        )
    out.print(table)


def run(settings: Settings, hours: int, as_json: bool, out: Console) -> int:
    """Print the report (JSON, or a table); the exit code is 0."""
    report = build(settings, hours)
    if as_json:
        print(report.model_dump_json(indent=2))
    else:
        render(report, out, hours)
    return 0
