"""The knowledge gaps report over REST (staff): what the knowledge base could not answer."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from fastapi import APIRouter, Query

from api.deps import StaffUser, State
from orchestrator import knowledge_gaps
from orchestrator.knowledge_gaps import GapReport

router = APIRouter(prefix="/api/v1/knowledge", tags=["knowledge"])
DEFAULT_HOURS = 7 * 24
MAX_HOURS = 90 * 24


@router.get("/gaps", response_model=GapReport)
async def gaps(
    _: StaffUser,
    state: State,
    hours: int = Query(default=DEFAULT_HOURS, ge=1, le=MAX_HOURS),
) -> GapReport:
    """Questions answered with no answer, low scores, a thumbs-down or a hand-off, by topic."""
    services, settings = state.orchestrator.services, state.settings
    until = services.clock()
    since = until - timedelta(hours=hours)
    turns = await services.db.weak_turns(
        since=since, until=until, score_below=settings.gap_score_below
    )

    def report() -> GapReport:
        retriever = services.retriever
        snapshot = retriever.current()
        return knowledge_gaps.report_of(
            turns,
            encode=services.embedder.encode,
            since=since,
            until=until,
            score_below=settings.gap_score_below,
            neutralise=snapshot.catalogue.neutralise,
            search=lambda question: retriever.search(
                question,
                k=knowledge_gaps.PASSAGES,
                min_score=settings.retrieval_min_score,
                snapshot=snapshot,
            ),
        )

    return await asyncio.to_thread(report)
