"""Scoring a turn from what the client received: routes, cited sources, the fact, the page."""

from __future__ import annotations

from orchestrator.cli.answer_eval import (
    AnswerReport,
    Conversation,
    LabelledTurn,
    Received,
    first_sentence,
    score_turn,
)

PASSAGES = [
    {"n": 1, "source": "manual.pdf", "page": 128, "page_end": 129},
    {"n": 2, "source": "guide.md"},
    {"n": 3, "source": "manual.pdf"},
]


def _score(answer: str, page: int | None = 129) -> object:
    turn = LabelledTurn(
        message="q", routes=["specs"], source="manual.pdf", fact=["35 l"], page=page
    )
    conversation = Conversation(id="c", kind="specs", turns=[turn])
    return score_turn(conversation, 0, turn, Received(answer, ["specs"], PASSAGES))


def test_an_answer_citing_a_pdf_passage_with_its_page_cites_the_page() -> None:
    scored = _score("Tank: 35 l [1]")
    assert scored.paged is True and scored.right_page is True  # type: ignore[attr-defined]


def test_a_pdf_passage_without_a_page_fails_the_page_measure() -> None:
    scored = _score("Tank: 35 l [3]")
    assert scored.paged is False and scored.right_page is False  # type: ignore[attr-defined]


def test_answers_citing_no_paged_document_are_not_counted() -> None:
    scored = _score("Tank: 35 l [2]", page=None)
    assert scored.paged is None and scored.right_page is None  # type: ignore[attr-defined]
    report = AnswerReport(turns=[scored])  # type: ignore[list-item]
    assert report.summary()["page_cited"] is None


def test_the_first_sentence_ends_at_a_sentence_end_or_a_line() -> None:
    assert first_sentence("Fuel tank: 35 l [1]. Fill it often.") == "Fuel tank: 35 l."
    assert first_sentence("- First item [1]\n- Second") == "First item"
