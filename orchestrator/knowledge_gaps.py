"""The knowledge gaps report: weak questions grouped by topic. No I/O: rows and vectors in.

Questions are grouped by the cosine similarity of their embeddings (the router's, with the
vehicle names made neutral, so "a roof rack for" one model and for another are one topic): the
question with the most neighbours above `GROUP_SIMILARITY` and those neighbours form a group,
then the next among the rest, until none is left. Deterministic: ties go to the first
question given (the rows come newest first).

Two readings come first. A question the customer asked again at once in other words (its
embedding within `REPHRASE_SIMILARITY` of the next question's, the same vehicles named) counts
as `rephrased`: the answer did not serve. And a weak turn whose message was a reply in the
dialogue ("09:00 please", "the second one", "yes") is a failure of the dialogue, not a gap in
the knowledge: such turns are listed apart (`dialogue_failures`), not grouped.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, Field

from orchestrator.persistence.gaps import REASONS, GapReason, Passage, WeakTurn
from rag.retriever import RetrievedChunk

# Paraphrases of one question score 0.7-0.8 with the default model; two questions about one
# car on different topics, 0.5.
GROUP_SIMILARITY = 0.6
EXAMPLES = 3
PASSAGES = 3
# Questions per embedding call: a turn waiting for the shared model waits for one batch at most.
ENCODE_BATCH = 64
# A question asked again in other words is a paraphrase, as grouping reads one ("How far does
# it go on a charge?" then "What is its range?": 0.64); a follow-up on another point of the
# topic ("What tyre pressure for the front?" then "and the rear?"), 0.30.
REPHRASE_SIMILARITY = GROUP_SIMILARITY
DIALOGUE_FAILURES = 20  # the newest a report lists
WORD = re.compile(r"[a-z0-9']+")
NAME_PART = re.compile(r"[a-z0-9]+")
# The words of a reply in a dialogue (choosing, agreeing, naming a time or a day), none of
# which asks the knowledge base anything.
DIALOGUE_WORDS = frozenset(
    """
    yes yeah yep yup ok okay sure please pls thanks thank you fine great good perfect works work
    sounds that this one ones the a an first second third fourth fifth last earlier later
    other either option number no nope not at on for me i i'll ill id i'd we let's lets do go
    with take book it please it's its and or then in morning afternoon evening noon midday am
    pm today tomorrow next week monday tuesday wednesday thursday friday saturday sunday mon
    tue tues wed thu thur thurs fri sat sun o'clock oclock half past quarter to is be would like
    """.split()  # noqa: SIM905
)
NUMBERISH = re.compile(r"^\d{1,2}(?:[:.]\d{2})?(?:am|pm|h|st|nd|rd|th)?$")


class GapPassage(BaseModel):
    source: str
    title: str
    heading: str
    score: float | None = Field(description="Cosine similarity to the question")
    page: int | None = None


class GapQuestion(BaseModel):
    question: str
    conversation_id: str
    asked_at: datetime
    reasons: list[GapReason]
    best_score: float | None


class GapGroup(BaseModel):
    """Questions on one topic the knowledge base answered badly."""

    label: str = Field(description="The group's most central question")
    count: int = Field(description="Questions asked")
    conversations: int
    reasons: dict[GapReason, int]
    best_score: float | None = Field(description="The best passage score any question got")
    first_asked: datetime
    last_asked: datetime
    examples: list[GapQuestion] = Field(description="Distinct questions, most central first")
    passages: list[GapPassage] = Field(description="The closest passages they got, best first")
    retrieved_now: list[GapPassage] | None = Field(
        default=None,
        description="What the knowledge base now live returns for the label (null: not searched)",
    )


class GapReport(BaseModel):
    """What the knowledge base could not answer over a time window, grouped by topic."""

    since: datetime
    until: datetime
    score_below: float
    questions: int
    groups: list[GapGroup]
    dialogue_failures: list[GapQuestion] = Field(
        default_factory=list,
        description='Replies in the dialogue that went wrong ("09:00 please" not understood), '
        "newest first: failures of the conversation, not gaps in the knowledge",
    )


def is_dialogue_reply(message: str) -> bool:
    """Whether a message only answers the dialogue (agrees, chooses, names a time or a day)."""
    words = WORD.findall(message.casefold().replace("’", "'"))
    return bool(words) and all(w in DIALOGUE_WORDS or NUMBERISH.match(w) for w in words)


def _named(text: str, neutralise: Callable[[str], str]) -> frozenset[str]:
    """The words of `text` that name a vehicle (what `neutralise` replaces; a possessive names
    the vehicle as its name alone does)."""
    return frozenset(NAME_PART.findall(text.casefold())) - frozenset(
        NAME_PART.findall(neutralise(text).casefold())
    )


def with_rephrases(
    turns: Sequence[WeakTurn],
    encode: Callable[[Sequence[str]], Vectors],
    neutralise: Callable[[str], str] = str,
    threshold: float = REPHRASE_SIMILARITY,
) -> list[WeakTurn]:
    """`turns` with `rephrased` added where the next question says the same in other words
    (about the same vehicles), and without those that have no reason left."""
    pairs = [
        i
        for i, t in enumerate(turns)
        if t.rephrased_as and _named(t.question, neutralise) == _named(t.rephrased_as, neutralise)
    ]
    similar: set[int] = set()
    if pairs:
        asked = _unit(encode([neutralise(turns[i].question) for i in pairs]))
        again = _unit(encode([neutralise(turns[i].rephrased_as or "") for i in pairs]))
        scores = (asked * again).sum(axis=1)
        similar = {i for i, score in zip(pairs, scores, strict=True) if score >= threshold}
    kept = []
    for i, turn in enumerate(turns):
        reasons = turn.reasons + (("rephrased",) if i in similar else ())
        if reasons:
            kept.append(replace(turn, reasons=tuple(r for r in REASONS if r in reasons)))
    return kept


def _unit(vectors: NDArray[Any]) -> NDArray[Any]:
    """Each row scaled to length 1 (a row of zeros left as it is)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit: NDArray[Any] = vectors / np.where(norms == 0, 1, norms)
    return unit


Vectors = NDArray[np.float32]


def group_by_topic(vectors: Vectors, threshold: float = GROUP_SIMILARITY) -> list[list[int]]:
    """Row indices of each topic, biggest first, each topic's most central question first."""
    count = len(vectors)
    if count == 0:
        return []
    unit = _unit(vectors)
    similarity = unit @ unit.T
    near = similarity >= threshold
    np.fill_diagonal(near, True)
    free = np.ones(count, dtype=bool)
    neighbours = near.sum(axis=1)
    groups = []
    while free.any():
        seed = int(np.argmax(np.where(free, neighbours, -1)))
        members = np.flatnonzero(free & near[seed])
        free[members] = False
        neighbours -= near[:, members].sum(axis=1)
        centrality = similarity[np.ix_(members, members)].mean(axis=1)
        order = sorted(range(len(members)), key=lambda i: (-centrality[i], members[i]))
        groups.append([int(members[i]) for i in order])
    return sorted(groups, key=lambda g: (-len(g), g[0]))


def _passage(p: Passage | RetrievedChunk) -> GapPassage:
    return GapPassage(source=p.source, title=p.title, heading=p.heading, score=p.score, page=p.page)


def closest_passages(turns: Sequence[WeakTurn], limit: int = PASSAGES) -> list[GapPassage]:
    """The distinct passages these questions got, each with its best score, best first."""
    best: dict[tuple[str, str, int | None], Passage] = {}
    for turn in turns:
        for p in turn.passages:
            key = (p.source, p.heading, p.page)
            known = best.get(key)
            if known is None or (p.score or 0.0) > (known.score or 0.0):
                best[key] = p
    ranked = sorted(best.values(), key=lambda p: (-(p.score or 0.0), p.source, p.heading))
    return [_passage(p) for p in ranked[:limit]]


def _same_question(text: str) -> str:
    return " ".join(text.casefold().split()).rstrip("?!. ")


def _question(turn: WeakTurn) -> GapQuestion:
    return GapQuestion(
        question=turn.question,
        conversation_id=turn.conversation_id,
        asked_at=turn.asked_at,
        reasons=list(turn.reasons),
        best_score=turn.best_score,
    )


def _group(turns: Sequence[WeakTurn]) -> GapGroup:
    """One group from its questions, most central first."""
    examples: list[GapQuestion] = []
    seen: set[str] = set()
    for turn in turns:
        key = _same_question(turn.question)
        if key in seen or len(examples) == EXAMPLES:
            continue
        seen.add(key)
        examples.append(_question(turn))
    reasons = Counter(reason for turn in turns for reason in turn.reasons)
    scores = [t.best_score for t in turns if t.best_score is not None]
    return GapGroup(
        label=turns[0].question,
        count=len(turns),
        conversations=len({t.conversation_id for t in turns}),
        reasons={reason: reasons[reason] for reason in REASONS},
        best_score=max(scores) if scores else None,
        first_asked=min(t.asked_at for t in turns),
        last_asked=max(t.asked_at for t in turns),
        examples=examples,
        passages=closest_passages(turns),
    )


def build_report(
    turns: Sequence[WeakTurn],
    vectors: Vectors,
    *,
    since: datetime,
    until: datetime,
    score_below: float,
    threshold: float = GROUP_SIMILARITY,
) -> GapReport:
    """The report of `turns` (newest first), grouped by topic on `vectors` (one per question)."""
    if len(turns) != len(vectors):
        raise ValueError(f"{len(turns)} questions but {len(vectors)} vectors")
    groups = [_group([turns[i] for i in members]) for members in group_by_topic(vectors, threshold)]
    groups.sort(key=lambda g: (-g.count, -g.last_asked.timestamp(), g.label))
    return GapReport(
        since=since, until=until, score_below=score_below, questions=len(turns), groups=groups
    )


def with_retrieved_now(
    report: GapReport,
    search: Callable[[str], Sequence[RetrievedChunk]],
    limit: int = PASSAGES,
) -> GapReport:
    """The report with each group's label searched again in the knowledge base now live, so a
    gap an ingest has since filled shows it."""
    groups = [
        group.model_copy(
            update={"retrieved_now": [_passage(c) for c in list(search(group.label))[:limit]]}
        )
        for group in report.groups
    ]
    return report.model_copy(update={"groups": groups})


def report_of(
    turns: Sequence[WeakTurn],
    *,
    encode: Callable[[Sequence[str]], Vectors],
    since: datetime,
    until: datetime,
    score_below: float,
    neutralise: Callable[[str], str] = str,
    search: Callable[[str], Sequence[RetrievedChunk]] | None = None,
) -> GapReport:
    """The report of `turns`: each question embedded as the router embeds it (`neutralise`),
    grouped, and each group searched again when `search` is given (blocking)."""

    def batched(texts: Sequence[str]) -> Vectors:
        batches = [encode(texts[i : i + ENCODE_BATCH]) for i in range(0, len(texts), ENCODE_BATCH)]
        return np.vstack(batches) if batches else np.zeros((0, 1), dtype=np.float32)

    weak = with_rephrases(turns, batched, neutralise)
    dialogue = [t for t in weak if is_dialogue_reply(t.question)]
    knowledge = [t for t in weak if not is_dialogue_reply(t.question)]
    vectors = batched([neutralise(turn.question) for turn in knowledge])
    report = build_report(knowledge, vectors, since=since, until=until, score_below=score_below)
    report.dialogue_failures = [_question(t) for t in dialogue[:DIALOGUE_FAILURES]]
    return report if search is None else with_retrieved_now(report, search)
