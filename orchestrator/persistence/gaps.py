"""Questions the knowledge base answered badly, over a time window: the knowledge manager's rows.

A question counts when its answer says it found nothing (`no_answer`: the offline answerer's
"I couldn't find an answer…", a language model's wording of it, the out-of-scope reply, or a
specialist's answer with neither sources nor tools), when every passage it got scored below
the threshold (`low_score`), when the customer rated the answer down (`thumbs_down`), or when
the conversation went to a person after it (`handoff`). A hand-off is charged to the last
question before it that a specialist answered: asking for a person is not itself a gap. A
question the customer asked again at once, in other words (`rephrased`), is read here with the
question that followed it (`rephrased_as`); whether it says the same is the report's to judge
(`orchestrator.knowledge_gaps`), with the questions' embeddings.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Select, and_, exists, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from orchestrator.models import Feedback, Message, MessageRole, MessageStatus, StaffAction
from orchestrator.persistence.staff import WAITING_FOR_PERSON
from orchestrator.routing import GENERAL

GapReason = Literal["no_answer", "low_score", "thumbs_down", "handoff", "rephrased"]
REASONS: tuple[GapReason, ...] = ("no_answer", "low_score", "thumbs_down", "handoff", "rephrased")
# A question asked again within this many seconds of the one before may be a rephrase of it.
REPHRASE_S = 120
# The newest weak questions a report reads; older ones in the window are left out.
MAX_TURNS = 2000

# How answers say that the knowledge base held nothing for the question: in the first person or
# of the documents, so that a quoted passage ("if the car cannot find your phone") is no match.
CANNOT_ANSWER = re.compile(
    r"\bI(?: was|'m| am)? (?:couldn't|could not|can't|cannot|wasn't able to|unable to|"
    r"not able to) (?:find|locate)\b"
    r"|\bI (?:don't|do not) have (?:any |enough |specific )?(?:information|details|data)\b"
    r"|\b(?:knowledge base|documents?|sources?|context|documentation)(?: provided)? "
    r"(?:doesn't|does not|don't|do not) (?:have|contain|include|mention|cover|say)\b"
    r"|\boutside (?:of )?what I can help with\b",
    re.IGNORECASE,
)


def says_it_cannot_answer(text: str) -> bool:
    """The answer says that it found nothing to answer with."""
    return bool(CANNOT_ANSWER.search(text.replace("\u2019", "'")))


@dataclass(frozen=True)
class Passage:
    """One passage an answer was given, as its `sources` stored it."""

    source: str
    title: str
    heading: str
    score: float | None
    page: int | None = None


@dataclass(frozen=True)
class WeakTurn:
    """A question and why its answer counts as a gap (every reason that applies)."""

    conversation_id: str
    question: str
    asked_at: datetime
    answer_id: str
    agents: tuple[str, ...]
    reasons: tuple[GapReason, ...]
    best_score: float | None
    passages: tuple[Passage, ...]
    rephrased_as: str | None = None  # the customer's next question, asked at once after it


def passages_of(sources: Sequence[dict[str, Any]] | None) -> tuple[Passage, ...]:
    """The stored `sources` of an answer as passages (malformed entries are skipped)."""
    found = []
    for ref in sources or ():
        if not isinstance(ref, dict):
            continue
        score, page = ref.get("score"), ref.get("page")
        found.append(
            Passage(
                source=str(ref.get("source") or ""),
                title=str(ref.get("title") or ""),
                heading=str(ref.get("heading") or ""),
                score=float(score) if isinstance(score, int | float) else None,
                page=page if isinstance(page, int) and not isinstance(page, bool) else None,
            )
        )
    return tuple(found)


def asked_a_specialist(agents: Sequence[str]) -> bool:
    """The question went to the knowledge base (not only to the general reply)."""
    return any(agent != GENERAL for agent in agents)


def answer_reasons(
    text: str,
    *,
    status: str,
    agents: Sequence[str],
    passages: Sequence[Passage],
    used_tools: bool,
    rated_down: bool,
    score_below: float,
) -> set[GapReason]:
    """Why this answer counts as a gap, from the answer alone (hand-offs are found apart)."""
    reasons: set[GapReason] = set()
    if rated_down:
        reasons.add("thumbs_down")
    if status != MessageStatus.complete:
        return reasons  # a failed or cancelled turn is an incident, not a gap in the knowledge
    if says_it_cannot_answer(text):
        reasons.add("no_answer")
    if not asked_a_specialist(agents):
        return reasons
    scores = [p.score for p in passages if p.score is not None]
    if not passages and not used_tools:
        reasons.add("no_answer")
    elif scores and max(scores) < score_below:
        reasons.add("low_score")
    return reasons


@dataclass
class _Turn:
    conversation_id: str
    question: str
    asked_at: datetime
    answer_id: str
    agents: tuple[str, ...]
    passages: tuple[Passage, ...]
    reasons: set[GapReason]
    next_question: str | None = None


def _pair_next_questions(turns: Sequence[_Turn]) -> None:
    """Give each question the next one of its conversation asked within `REPHRASE_S`."""
    last: dict[str, _Turn] = {}
    for turn in turns:  # in the order asked
        earlier = last.get(turn.conversation_id)
        if earlier is not None and (turn.asked_at - earlier.asked_at).total_seconds() <= REPHRASE_S:
            earlier.next_question = turn.question
        last[turn.conversation_id] = turn


async def _answered_questions(
    session: AsyncSession,
    since: datetime,
    until: datetime,
    score_below: float,
    conversations: Select[str] | None,
) -> list[_Turn]:
    question, answer = aliased(Message), aliased(Message)
    rated_down = exists().where(Feedback.message_id == answer.id, Feedback.rating < 0)
    within = () if conversations is None else (question.conversation_id.in_(conversations),)
    rows = await session.execute(
        select(
            question.conversation_id,
            question.content,
            question.created_at,
            answer.id,
            answer.content,
            answer.status,
            answer.agents,
            answer.sources,
            answer.tools,
            rated_down.label("rated_down"),
        )
        .join(
            answer,
            and_(
                answer.conversation_id == question.conversation_id,
                answer.turn_id == question.turn_id,
                answer.role == MessageRole.assistant,
            ),
        )
        .where(
            question.role == MessageRole.user,
            question.created_at >= since,
            question.created_at < until,
            *within,
        )
        .order_by(question.created_at, question.id)
    )
    turns = []
    for conv, asked, asked_at, answer_id, text, status, agents, sources, tools, down in rows:
        passages = passages_of(sources)
        routed = tuple(str(a) for a in agents or ())
        reasons = answer_reasons(
            text,
            status=status,
            agents=routed,
            passages=passages,
            used_tools=bool(tools),
            rated_down=bool(down),
            score_below=score_below,
        )
        turns.append(_Turn(conv, asked, asked_at, answer_id, routed, passages, reasons))
    return turns


async def _handoffs(
    session: AsyncSession, since: datetime, conversations: Select[str] | None
) -> list[tuple[str, datetime]]:
    """When conversations went to a person: asked for one, or taken over by staff."""
    waiting = select(Message.conversation_id, Message.created_at).where(
        Message.role == MessageRole.system,
        Message.content.like(f"{WAITING_FOR_PERSON}%"),
        Message.created_at >= since,
    )
    taken = select(StaffAction.conversation_id, StaffAction.created_at).where(
        StaffAction.action == "takeover", StaffAction.created_at >= since
    )
    if conversations is not None:
        waiting = waiting.where(Message.conversation_id.in_(conversations))
        taken = taken.where(StaffAction.conversation_id.in_(conversations))
    rows = await session.execute(union_all(waiting, taken))
    return [(conversation_id, at) for conversation_id, at in rows if at is not None]


def _charge_handoffs(turns: list[_Turn], handoffs: Sequence[tuple[str, datetime]]) -> None:
    """Add `handoff` to the last question a specialist answered before each hand-off."""
    asked: dict[str, list[_Turn]] = defaultdict(list)
    for turn in turns:  # in the order asked
        if asked_a_specialist(turn.agents):
            asked[turn.conversation_id].append(turn)
    for conversation_id, at in handoffs:
        candidates = asked.get(conversation_id, [])
        before = bisect_right([t.asked_at for t in candidates], at)
        if before:
            candidates[before - 1].reasons.add("handoff")


async def weak_turns(
    session: AsyncSession,
    *,
    since: datetime,
    until: datetime,
    score_below: float,
    limit: int = MAX_TURNS,
    conversations: Select[str] | None = None,
) -> list[WeakTurn]:
    """The questions asked in [since, until) whose answers count as gaps, newest first, and
    those followed at once by another question (`rephrased_as`; no reason of their own yet:
    `knowledge_gaps.with_rephrases` judges them). With `conversations` (a query of their
    ids), only theirs."""
    turns = await _answered_questions(session, since, until, score_below, conversations)
    _charge_handoffs(turns, await _handoffs(session, since, conversations))
    _pair_next_questions(turns)
    weak = [turn for turn in reversed(turns) if turn.reasons or turn.next_question][:limit]
    return [
        WeakTurn(
            conversation_id=turn.conversation_id,
            question=turn.question,
            asked_at=turn.asked_at,
            answer_id=turn.answer_id,
            agents=turn.agents,
            reasons=tuple(reason for reason in REASONS if reason in turn.reasons),
            best_score=max((p.score for p in turn.passages if p.score is not None), default=None),
            passages=turn.passages,
            rephrased_as=turn.next_question,
        )
        for turn in weak
    ]
