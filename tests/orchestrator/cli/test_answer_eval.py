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


def test_a_short_abbreviation_before_a_bracket_or_a_figure_ends_no_sentence() -> None:
    assert first_sentence("Oil capacity, qt. (Imp. qt., liter): Rear: 2.6 [1]. Then.") == (
        "Oil capacity, qt. (Imp. qt., liter): Rear: 2.6."
    )
    assert first_sentence("Use bulb No. 4651 [2]. It is sealed.") == "Use bulb No. 4651."
    assert first_sentence("It is 5 in. The next one.") == "It is 5 in."


def test_the_labelled_page_counts_as_retrieved_when_any_passage_holds_it() -> None:
    uncited = _score("Tank: 35 l [2]")  # cites the guide; the manual's page was handed over
    assert (uncited.right_page, uncited.page_retrieved) == (False, True)  # type: ignore[attr-defined]
    elsewhere = _score("Tank: 35 l [1]", page=7)
    assert elsewhere.page_retrieved is False  # type: ignore[attr-defined]


def _unanswerable(answer: str) -> object:
    turn = LabelledTurn(message="q", routes=["specs"], fact=[], answerable=False)
    conversation = Conversation(id="u", kind="unanswerable", turns=[turn])
    return score_turn(conversation, 0, turn, Received(answer, ["specs"], PASSAGES))


def test_a_question_no_document_answers_is_right_when_the_answer_says_so() -> None:
    said = _unanswerable("I couldn't find that in the manuals. The closest passages: [1]")
    quoted = _unanswerable("The battery is a 12 V lead-acid type [1].")
    assert said.right and not quoted.right  # type: ignore[attr-defined]
    answered = _score("I could not find the tank size [1]")
    report = AnswerReport(turns=[said, quoted, answered])  # type: ignore[list-item]
    summary = report.summary()
    assert summary["abstained_when_unanswerable"] == [1, 2]
    assert summary["abstained_when_answerable"] == [1, 1]
    assert report.fact == 0.0  # only the answerable turn has a fact to hold


def test_an_answerable_question_turned_away_as_outside_the_subject_counts_as_refused() -> None:
    turned_away = _score("Sorry, that's outside what I can help with. I can answer [1]")
    answered = _score("Tank: 35 l [1]")
    report = AnswerReport(turns=[turned_away, answered])  # type: ignore[list-item]
    assert report.summary()["abstained_when_answerable"] == [1, 2]
    unanswerable = _unanswerable("Sorry, that's outside what I can help with.")
    assert not unanswerable.right  # type: ignore[attr-defined]  # it did not say "couldn't find"
