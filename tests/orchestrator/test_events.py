"""Graph events become one ordered stream of turn events."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from orchestrator.events import Progress, Routed, Sources, Token, TurnStream


def custom(name: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"event": "on_custom_event", "name": name, "data": data}


def token(agent: str, text: str, tags: list[str] | None = None) -> dict[str, Any]:
    return {
        "event": "on_chat_model_stream",
        "tags": tags if tags is not None else ["answer", f"agent:{agent}"],
        "data": {"chunk": SimpleNamespace(content=text)},
    }


def done(agent: str) -> dict[str, Any]:
    return {"event": "on_chain_end", "name": agent, "data": {}}


def routes(*agents: str) -> dict[str, Any]:
    return custom("routes", {"routes": [{"agent": a} for a in agents], "query": "q"})


def test_progress_sources_and_routes_map_to_their_events() -> None:
    stream = TurnStream()
    assert stream.feed(routes("specs")) == [Routed([{"agent": "specs"}], "q")]
    assert stream.feed(
        custom("progress", {"step": "rag_retrieval", "message": "m", "agent": "specs"})
    ) == [Progress("rag_retrieval", "m", "specs")]
    assert stream.feed(custom("sources", {"agent": "specs", "sources": [{"source": "a"}]})) == [
        Sources("specs", [{"source": "a"}])
    ]


def test_tokens_not_tagged_as_an_answer_are_never_sent() -> None:
    stream = TurnStream()
    stream.feed(routes("specs"))
    assert stream.feed(token("classify", "specs", tags=["router"])) == []
    assert stream.text == ""


def test_parallel_specialists_stream_one_after_the_other() -> None:
    stream = TurnStream()
    stream.feed(routes("troubleshooting", "maintenance"))
    out = []
    out += stream.feed(token("maintenance", "Booked"))
    out += stream.feed(token("troubleshooting", "Stop"))
    out += stream.feed(token("maintenance", " Monday."))
    out += stream.feed(token("troubleshooting", " safely."))
    out += stream.feed(done("troubleshooting"))
    out += stream.feed(done("maintenance"))
    assert [e.text for e in out if isinstance(e, Token)] == [
        "Stop",
        " safely.",
        "\n\nBooked",
        " Monday.",
    ]
    assert stream.text == "Stop safely.\n\nBooked Monday."


def test_finish_releases_held_tokens_in_routing_order() -> None:
    stream = TurnStream()
    stream.feed(routes("specs", "maintenance"))
    stream.feed(token("maintenance", "Later"))
    stream.feed(token("specs", "First"))
    released = stream.finish()
    assert [e.text for e in released if isinstance(e, Token)] == ["\n\nLater"]
    assert stream.text == "First\n\nLater"
