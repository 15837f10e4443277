"""The numbers behind the console's metrics panel, computed from SQL over a time window."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import quantiles
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from orchestrator.models import (
    Conversation,
    ConversationStatus,
    Feedback,
    Message,
    MessageRole,
    MessageStatus,
    Rating,
    utcnow,
)
from orchestrator.persistence.staff import WAITING_FOR_PERSON


def _percentile(values: list[int], q: int) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return float(values[0])
    return float(quantiles(values, n=100, method="inclusive")[q - 1])


@dataclass
class Window:
    since: datetime
    bucket: timedelta
    buckets: int

    def index(self, moment: datetime) -> int:
        return min(int((moment - self.since) / self.bucket), self.buckets - 1)

    def labels(self) -> list[str]:
        """Each bucket by the time it ends (UTC), so that the last is now: a chart's time axis
        ends where the activity it shows does, not a bucket earlier."""
        return [(self.since + self.bucket * (i + 1)).strftime("%H:%M") for i in range(self.buckets)]


async def collect(session: AsyncSession, hours: int = 24, buckets: int = 24) -> dict[str, Any]:
    now = utcnow()
    window = Window(now - timedelta(hours=hours), timedelta(hours=hours) / buckets, buckets)
    answers = list(
        await session.scalars(
            select(Message).where(
                Message.role == MessageRole.assistant, Message.created_at >= window.since
            )
        )
    )
    created = list(
        await session.scalars(
            select(Conversation.created_at).where(Conversation.created_at >= window.since)
        )
    )
    ratings = list(
        await session.scalars(select(Feedback.rating).where(Feedback.created_at >= window.since))
    )
    satisfaction = list(
        await session.scalars(select(Rating.score).where(Rating.created_at >= window.since))
    )
    handoffs = await session.scalar(
        select(func.count())
        .select_from(Message)
        .where(
            Message.role == MessageRole.system,
            Message.created_at >= window.since,
            Message.content.like(f"{WAITING_FOR_PERSON}%"),
        )
    )
    waiting = await session.scalar(
        select(func.count())
        .select_from(Conversation)
        .where(
            Conversation.status == ConversationStatus.handoff,
            Conversation.assigned_staff_id.is_(None),
        )
    )
    with_staff = await session.scalar(
        select(func.count())
        .select_from(Conversation)
        .where(Conversation.assigned_staff_id.is_not(None))
    )

    turns_per = [0] * window.buckets
    conversations_per = [0] * window.buckets
    latencies: list[list[int]] = [[] for _ in range(window.buckets)]
    for answer in answers:
        i = window.index(answer.created_at)
        turns_per[i] += 1
        if answer.latency_ms is not None and answer.status == MessageStatus.complete:
            latencies[i].append(answer.latency_ms)
    for moment in created:
        conversations_per[window.index(moment)] += 1
    all_latencies = [v for bucket in latencies for v in bucket]
    errors = Counter(a.error_code for a in answers if a.error_code)
    routes = Counter((a.agents or ["unknown"])[0] for a in answers if a.agents)
    total = len(answers)
    positive = sum(1 for r in ratings if r > 0)
    new_conversations = len(created)
    return {
        "window": window,
        "series": {
            "conversations": conversations_per,
            "turns": turns_per,
            "p50": [_percentile(b, 50) for b in latencies],
            "p95": [_percentile(b, 95) for b in latencies],
        },
        "routes": dict(routes.most_common()),
        # Each code's share of the turns (a rate, like `error_rate`, which is their sum).
        "errors": {code: round(n / total, 4) for code, n in errors.most_common()},
        "totals": {
            "conversations": new_conversations,
            "turns": total,
            "waiting": waiting or 0,
            "with_staff": with_staff or 0,
            "p50_ms": round(_percentile(all_latencies, 50)),
            "p95_ms": round(_percentile(all_latencies, 95)),
            "error_rate": round(sum(errors.values()) / total, 4) if total else 0.0,
            "feedback_positive_rate": round(positive / len(ratings), 4) if ratings else 0.0,
            "feedback_count": len(ratings),
            # Satisfaction asked at close, 1 to 5: the mean, and how many answered.
            "csat": round(sum(satisfaction) / len(satisfaction), 2) if satisfaction else None,
            "csat_count": len(satisfaction),
            "handoff_rate": round((handoffs or 0) / new_conversations, 4)
            if new_conversations
            else 0.0,
        },
    }
