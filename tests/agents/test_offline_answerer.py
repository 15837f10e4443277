"""The offline answerer: the prompt format, extraction, and streaming like a chat model."""

from __future__ import annotations

from typing import Any

from agents import extraction
from agents.context import AnswerRequest, build_messages, parse, render
from agents.offline_model import ExtractiveChatModel, tokens
from rag.retriever import RetrievedChunk

TABLE = """| Figure | Aster Performance | Ridge Hybrid | Sable 2.0T GT |
|---|---|---|---|
| Combined power | 310 kW | 210 kW | 150 kW |
| Torque | 660 Nm | 500 Nm | 350 Nm |"""


def chunk(text: str, n: int = 1) -> RetrievedChunk:
    return RetrievedChunk(
        id=f"c{n}", text=text, source="specs/model-comparison.md", title="Kestrel Model Comparison",
        heading="Performance", domain="specs", score=0.8,
    )  # fmt: skip


def test_multi_line_sections_survive_the_round_trip() -> None:
    request = AnswerRequest(
        question="Which slots\nare free?",
        tool_result="Free slots:\n- Monday 09:00",
        vehicle="Ridge",
        sources=[chunk("First line.\n\nSecond line.")],
    )
    parsed = parse(render(request))
    assert parsed.question == "Which slots\nare free?"
    assert parsed.tool_result == "Free slots:\n- Monday 09:00"
    assert parsed.vehicle == "Ridge"
    assert parsed.sources == [
        (1, "Kestrel Model Comparison", "Performance", "First line.\n\nSecond line.")
    ]


def test_a_table_row_answers_with_its_column_names() -> None:
    units = extraction.split_units(TABLE, 1, 0)
    assert units[0].text == (
        "Combined power — Aster Performance: 310 kW; Ridge Hybrid: 210 kW; Sable 2.0T GT: 150 kW"
    )


def test_a_named_model_keeps_only_its_column() -> None:
    units = extraction.split_units(TABLE, 1, 0, focus="Ridge")
    assert [u.text for u in units] == [
        "Combined power — Ridge Hybrid: 210 kW",
        "Torque — Ridge Hybrid: 500 Nm",
    ]


def test_a_sentence_is_about_the_vehicle_its_paragraph_named(sample_catalogue: Any) -> None:
    body = (
        "Kestrel Ridge Hybrid: 230 kPa front and rear when unladen. When laden or towing, "
        "250 kPa front and 290 kPa rear.\n\n"
        "Kestrel Ridge Hybrid Tow Pack: 240 kPa front and rear when unladen. When laden or "
        "towing, 280 kPa front and 380 kPa rear."
    )
    units = extraction.candidates([(1, "Tyres", "Tyre pressures", body)], "Ridge Hybrid",
                                  sample_catalogue)  # fmt: skip
    texts = [u.text for u in units]
    assert "When laden or towing, 250 kPa front and 290 kPa rear." in texts
    assert not any("380 kPa" in t for t in texts)


def test_safety_sentences_are_recognised() -> None:
    assert extraction.Unit("Stop safely and switch the vehicle off.", 1, 0, 0).safety
    assert extraction.Unit("Do not charge the vehicle.", 1, 0, 0).safety
    assert not extraction.Unit("Book a diagnostic check.", 1, 0, 0).safety


def test_tokens_concatenate_to_the_text_exactly() -> None:
    text = "- Line one [1]\n- Line  two [2]\n"
    assert "".join(tokens(text)) == text


def test_the_model_streams_the_answer_and_cites_it(embedder: Any) -> None:
    model = ExtractiveChatModel(embedder=embedder)
    messages = build_messages(
        "system",
        AnswerRequest(
            question="What is the Ridge's combined power?", sources=[chunk(TABLE)], vehicle="Ridge"
        ),
    )
    pieces = [c.content for c in model.stream(messages)]
    assert len(pieces) > 3
    answer = "".join(str(p) for p in pieces)
    assert answer == model.invoke(messages).content
    assert "210 kW" in answer and "[1]" in answer and "310 kW" not in answer


def test_a_fixed_reply_is_given_as_is(embedder: Any) -> None:
    model = ExtractiveChatModel(embedder=embedder)
    reply = model.invoke(
        build_messages("s", AnswerRequest(question="hi", reply="Hello!\nHow can I help?"))
    )
    assert reply.content == "Hello!\nHow can I help?"
