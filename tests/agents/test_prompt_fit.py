"""A specialist's prompt fitted to the model's window: what the answer needs least gives way
first, and nothing is cut while the window is unknown."""

from __future__ import annotations

from langchain_core.messages import AIMessage, HumanMessage

from agents.model_message import AnswerRequest, render
from agents.prompt_fit import Prompt, cost, fit
from rag.retriever import RetrievedChunk

SYSTEM = "You answer questions about vehicles from the passages."


def passage(n: int, words: int = 120) -> RetrievedChunk:
    text = " ".join(f"fact{n}-{i}" for i in range(words))
    return RetrievedChunk(
        id=f"c{n}",
        text=text,
        source="m.md",
        title="Manual",
        heading=f"H{n}",
        domain="specs",
        score=1 - n / 10,
    )


REQUEST = AnswerRequest(
    question="What oil does it take?",
    sources=[passage(1), passage(2), passage(3)],
    numbers=[1, 2, 3],
    tool_result="Booked: Monday 30 November at 09:00, reference A1B2C3.",
)
HISTORY = [
    HumanMessage("first question"),
    AIMessage("a long earlier answer " * 60),
    HumanMessage("second question"),
    AIMessage("a short answer"),
]


def test_with_no_window_known_nothing_is_cut() -> None:
    request, history = fit(SYSTEM, REQUEST, HISTORY, None)
    assert request == REQUEST and history == HISTORY


def test_a_prompt_that_fits_is_sent_whole() -> None:
    whole = cost(SYSTEM, REQUEST, HISTORY)
    assert fit(SYSTEM, REQUEST, HISTORY, whole) == (REQUEST, HISTORY)


def test_earlier_answers_are_shortened_before_anything_else_goes() -> None:
    whole = cost(SYSTEM, REQUEST, HISTORY)
    request, history = fit(SYSTEM, REQUEST, HISTORY, whole - 50)
    assert request == REQUEST
    assert len(history) == 4 and history[1].content.endswith("…")
    assert len(str(history[1].content)) <= 301


def test_then_the_oldest_exchanges_go_whole() -> None:
    without_history = cost(SYSTEM, REQUEST, [])
    request, history = fit(SYSTEM, REQUEST, HISTORY, without_history + 30)
    assert request == REQUEST
    assert [m.content for m in history] == ["second question", "a short answer"]


def test_then_the_lowest_ranked_passages_then_the_last_ones_tail() -> None:
    one_passage = cost(
        SYSTEM,
        AnswerRequest(**{**REQUEST.__dict__, "sources": REQUEST.sources[:1], "numbers": [1]}),
        [],
    )
    request, history = fit(SYSTEM, REQUEST, HISTORY, one_passage - 40)
    assert history == []
    assert [s.id for s in request.sources] == ["c1"] and list(request.numbers) == [1]
    assert request.sources[0].text.endswith("…")
    assert cost(SYSTEM, request, history) <= one_passage - 40


def test_the_question_and_a_tools_result_are_never_cut() -> None:
    request, _ = fit(SYSTEM, REQUEST, HISTORY, 10)
    rendered = render(request)
    assert "What oil does it take?" in rendered
    assert "Booked: Monday 30 November at 09:00, reference A1B2C3." in rendered


def test_a_prompt_is_made_for_the_budget_it_is_given() -> None:
    prompt = Prompt(SYSTEM, REQUEST, tuple(HISTORY))
    assert len(prompt.messages(None)) == 6
    assert len(prompt.messages(cost(SYSTEM, REQUEST, []))) == 2
