"""The knowledge gaps report: grouping by topic and what each group shows, without a database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from orchestrator.knowledge_gaps import (
    ENCODE_BATCH,
    build_report,
    group_by_topic,
    is_dialogue_reply,
    report_of,
    with_rephrases,
    with_retrieved_now,
)
from orchestrator.persistence.gaps import GapReason, Passage, WeakTurn
from rag.retriever import RetrievedChunk

NOW = datetime(2025, 5, 1, 12, tzinfo=UTC)


def turn(
    question: str,
    *reasons: GapReason,
    minutes_ago: int = 0,
    conversation: str = "c1",
    passages: Sequence[Passage] = (),
) -> WeakTurn:
    scores = [p.score for p in passages if p.score is not None]
    return WeakTurn(
        conversation_id=conversation,
        question=question,
        asked_at=NOW - timedelta(minutes=minutes_ago),
        answer_id=f"a-{question}",
        agents=("specs",),
        reasons=reasons or ("no_answer",),
        best_score=max(scores) if scores else None,
        passages=tuple(passages),
    )


def report(turns: Sequence[WeakTurn], vectors: np.ndarray):  # type: ignore[no-untyped-def]
    return build_report(turns, vectors, since=NOW - timedelta(days=7), until=NOW, score_below=0.4)


def vector(*values: float) -> list[float]:
    return list(values)


# ------------------------------------------------------------------ grouping, with the real model


@pytest.mark.slow
def test_paraphrases_group_together_and_an_unrelated_question_stands_apart(embedder) -> None:  # type: ignore[no-untyped-def]
    questions = [
        "How do I pair my phone with Bluetooth?",
        "What is the towing capacity of the Ridge?",
        "How can I connect my phone to the car over Bluetooth?",
    ]
    groups = group_by_topic(embedder.encode(questions))
    assert sorted(sorted(g) for g in groups) == [[0, 2], [1]]


@pytest.mark.slow
def test_questions_about_one_topic_for_different_models_are_one_gap(  # type: ignore[no-untyped-def]
    embedder, sample_catalogue
) -> None:
    questions = [
        "Is there a roof rack for the Ridge?",
        "How much can the Ridge tow?",
        "Can I fit a roof rack on the Aster?",
        "Does the Aster come in red?",
        "What colours is the Sable available in?",
    ]
    turns = [turn(q, minutes_ago=i) for i, q in enumerate(questions)]
    found = report_of(
        turns,
        encode=embedder.encode,
        since=NOW - timedelta(days=1),
        until=NOW,
        score_below=0.4,
        neutralise=sample_catalogue.neutralise,
    )
    topics = sorted(sorted(e.question for e in g.examples) for g in found.groups)
    assert topics == [
        ["Can I fit a roof rack on the Aster?", "Is there a roof rack for the Ridge?"],
        ["Does the Aster come in red?", "What colours is the Sable available in?"],
        ["How much can the Ridge tow?"],
    ]


# ------------------------------------------------------------------ grouping, on given vectors


def test_the_question_with_most_neighbours_seeds_a_group_and_leads_it() -> None:
    vectors = np.array(
        [
            vector(1, 0, 0),
            vector(0.8, 0.6, 0),  # near the first and the third
            vector(0.5, 0.87, 0),  # near the second only
            vector(0, 0, 1),
        ],
        dtype=np.float32,
    )
    # The seed and its neighbours, the closest to the rest of them first.
    assert group_by_topic(vectors, threshold=0.75) == [[1, 2, 0], [3]]


def test_grouping_is_deterministic_and_handles_no_questions() -> None:
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(60, 8)).astype(np.float32)
    first = group_by_topic(vectors, threshold=0.5)
    assert first == group_by_topic(vectors.copy(), threshold=0.5)
    assert sorted(i for g in first for i in g) == list(range(60))
    assert [len(g) for g in first] == sorted((len(g) for g in first), reverse=True)
    assert group_by_topic(np.zeros((0, 8), dtype=np.float32)) == []


# ------------------------------------------------------------------ what a group shows


def test_a_group_counts_its_questions_reasons_and_conversations() -> None:
    roof = Passage("accessories.md", "Accessories", "Roof", 0.31)
    roof_better = Passage("accessories.md", "Accessories", "Roof", 0.36)
    brochure = Passage("ridge.md", "Ridge", "Overview", 0.22)
    turns = [
        turn("Roof rack for the Ridge?", "low_score", passages=[roof, brochure]),
        turn("roof rack for the ridge", "low_score", "thumbs_down", minutes_ago=5),
        turn("Can I fit a roof rack?", "no_answer", "handoff", minutes_ago=9, conversation="c2"),
        turn("Any roof racks?", minutes_ago=20, passages=[roof_better]),
        turn("Do you offer financing?", minutes_ago=1, conversation="c3"),
    ]
    vectors = np.array([vector(1, 0)] * 4 + [vector(0, 1)], dtype=np.float32)

    found = report(turns, vectors)

    assert found.questions == 5 and len(found.groups) == 2
    roof_group, financing = found.groups
    assert roof_group.count == 4 and roof_group.conversations == 2
    assert roof_group.label == "Roof rack for the Ridge?"
    assert roof_group.reasons == {
        "no_answer": 2,
        "low_score": 2,
        "thumbs_down": 1,
        "handoff": 1,
        "rephrased": 0,
    }
    # The same question asked twice is one example; three at most.
    assert [e.question for e in roof_group.examples] == [
        "Roof rack for the Ridge?",
        "Can I fit a roof rack?",
        "Any roof racks?",
    ]
    assert roof_group.examples[1].reasons == ["no_answer", "handoff"]
    # Each passage once, with the best score any question got, best first.
    assert [(p.heading, p.score) for p in roof_group.passages] == [
        ("Roof", 0.36),
        ("Overview", 0.22),
    ]
    assert roof_group.best_score == 0.36
    assert roof_group.first_asked == NOW - timedelta(minutes=20)
    assert roof_group.last_asked == NOW
    assert financing.count == 1 and financing.passages == [] and financing.best_score is None
    assert financing.retrieved_now is None  # not searched


def test_groups_of_one_size_come_newest_first() -> None:
    turns = [turn("older", minutes_ago=30), turn("newer", minutes_ago=2)]
    vectors = np.array([vector(1, 0), vector(0, 1)], dtype=np.float32)
    assert [g.label for g in report(turns, vectors).groups] == ["newer", "older"]


def test_each_group_can_be_searched_again_in_the_live_knowledge_base() -> None:
    turns = [turn("Roof rack?"), turn("Financing?", minutes_ago=3)]
    vectors = np.array([vector(1, 0), vector(0, 1)], dtype=np.float32)
    chunk = RetrievedChunk(
        id="x", text="…", source="roof.md", title="Roof racks", heading="Fitting",
        domain="specs", score=0.81, page=3,
    )  # fmt: skip
    searched: list[str] = []

    def search(question: str) -> list[RetrievedChunk]:
        searched.append(question)
        return [chunk] if "Roof" in question else []

    found = with_retrieved_now(report(turns, vectors), search)
    assert searched == ["Roof rack?", "Financing?"]
    assert [p.model_dump() for p in found.groups[0].retrieved_now or []] == [
        {"source": "roof.md", "title": "Roof racks", "heading": "Fitting", "score": 0.81, "page": 3}
    ]
    assert found.groups[1].retrieved_now == []


def test_questions_are_embedded_in_small_batches_as_the_router_sees_them() -> None:
    turns = [turn(f"Question about the Ridge {i}?", minutes_ago=i) for i in range(ENCODE_BATCH + 5)]
    calls: list[list[str]] = []

    def encode(texts: Sequence[str]) -> np.ndarray:
        calls.append(list(texts))
        return np.ones((len(texts), 4), dtype=np.float32)

    found = report_of(
        turns,
        encode=encode,
        since=NOW - timedelta(days=1),
        until=NOW,
        score_below=0.4,
        neutralise=lambda text: text.replace("the Ridge", "the car"),
    )
    assert [len(c) for c in calls] == [ENCODE_BATCH, 5]
    assert calls[0][0] == "Question about the car 0?"
    assert [g.count for g in found.groups] == [ENCODE_BATCH + 5]


def test_a_report_needs_one_vector_per_question() -> None:
    with pytest.raises(ValueError, match="2 questions but 1 vectors"):
        report([turn("a"), turn("b")], np.ones((1, 2), dtype=np.float32))


@pytest.mark.parametrize(
    "message", ["09:00 please", "the second one", "yes", "Monday at 9", "ok, book it", "thanks"]
)
def test_a_reply_in_the_dialogue_is_told_from_a_question(message: str) -> None:
    assert is_dialogue_reply(message)


@pytest.mark.parametrize(
    "message", ["What does P0420 mean?", "and the rear?", "Can I get a sunroof?", "9am service?"]
)
def test_a_question_is_no_reply_in_the_dialogue(message: str) -> None:
    assert not is_dialogue_reply(message)


def test_a_question_asked_again_at_once_in_other_words_counts_as_rephrased(embedder) -> None:  # type: ignore[no-untyped-def]
    def asked(question: str, then: str, *reasons: GapReason) -> WeakTurn:
        return replace(turn(question), reasons=reasons, rephrased_as=then)

    turns = [
        asked("How far does the Aster go on a charge?", "What is the Aster's range?"),
        asked("What tyre pressure for the front?", "and the rear?"),  # a follow-up
        asked("How far does the Aster go?", "How far does the Ridge go?"),  # another vehicle
        asked("Can I tow with it?", "What does P0420 mean?", "no_answer"),
    ]
    neutral = {"Aster": "car", "Ridge": "car"}

    def neutralise(text: str) -> str:
        for name, word in neutral.items():
            text = text.replace(name, word)
        return text

    judged = with_rephrases(turns, embedder.encode, neutralise)
    assert [(t.question, t.reasons) for t in judged] == [
        ("How far does the Aster go on a charge?", ("rephrased",)),
        ("Can I tow with it?", ("no_answer",)),
    ]


def test_a_report_keeps_the_dialogue_s_failures_apart_from_the_knowledge_s_gaps() -> None:
    turns = [turn("09:00 please"), turn("Is there a sunroof?")]
    found = report_of(
        turns,
        encode=lambda texts: np.ones((len(texts), 2), dtype=np.float32),
        since=turns[0].asked_at,
        until=turns[0].asked_at,
        score_below=0.4,
    )
    assert [g.label for g in found.groups] == ["Is there a sunroof?"]
    assert [q.question for q in found.dialogue_failures] == ["09:00 please"]
