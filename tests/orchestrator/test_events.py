"""Graph events become one ordered stream of turn events."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk

from agents.model_message import echo_of
from agents.specs.prompts import SYSTEM as SPECS_SYSTEM
from orchestrator.events import (
    FOUND_NOTHING,
    Progress,
    Routed,
    Sources,
    Token,
    ToolCall,
    ToolResult,
    TurnStream,
)
from orchestrator.turn_metadata import TurnMetadata


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


NOTHING = "I couldn't find an answer to that in the knowledge base."


def parts(*asked: tuple[str, str]) -> dict[str, Any]:
    """The routes of a message of several parts: (agent, the part it answers)."""
    return custom("routes", {"routes": [{"agent": a, "query": q} for a, q in asked], "query": "q"})


TOLD = ("specs", "my car shows P0A80")  # asks nothing of its own
ASKED = ("maintenance", "when is its next service due?")


def spoken(out: list[Any]) -> list[str]:
    return [e.text for e in out if isinstance(e, Token)]


def test_where_another_specialist_answers_one_that_found_nothing_says_nothing() -> None:
    """…of a part that asks nothing of its own."""
    stream = TurnStream()
    stream.feed(parts(TOLD, ASKED))
    out = [*stream.feed(token("specs", "I")), *stream.feed(token("specs", " couldn't find"))]
    out += stream.feed(token("maintenance", "Every 20,000 km."))
    out += stream.feed(token("specs", " an answer to that in the knowledge base."))
    out += stream.feed(done("specs"))
    out += stream.feed(done("maintenance"))
    out += stream.finish()
    assert spoken(out) == ["Every 20,000 km."]
    assert stream.text == "Every 20,000 km."


def test_the_answer_after_the_first_says_nothing_when_it_found_nothing() -> None:
    stream = TurnStream()
    stream.feed(parts(ASKED, TOLD))
    out = [
        *stream.feed(token("maintenance", "At 20,000 km.")),
        *stream.feed(token("specs", NOTHING)),
    ]
    out += [*stream.feed(done("specs")), *stream.feed(done("maintenance")), *stream.finish()]
    assert stream.text == "At 20,000 km."


def test_a_part_that_asks_a_question_is_told_it_was_not_found() -> None:
    stream = TurnStream()
    stream.feed(parts(TOLD, ASKED))
    out = [*stream.feed(token("specs", "P0A80: stop safely.")), *stream.feed(done("specs"))]
    out += [*stream.feed(token("maintenance", NOTHING)), *stream.feed(done("maintenance"))]
    assert spoken(out) == ["P0A80: stop safely.", f"\n\n{NOTHING}"]


def test_where_no_specialist_found_anything_the_first_says_so_once() -> None:
    stream = TurnStream()
    stream.feed(parts(TOLD, ("maintenance", "and the fault came back")))
    out = [*stream.feed(token("maintenance", NOTHING)), *stream.feed(token("specs", NOTHING))]
    out += [*stream.feed(done("specs")), *stream.feed(done("maintenance"))]
    assert spoken(out) == [NOTHING]
    assert stream.text == NOTHING
    assert stream.finish() == []


def test_an_answer_that_only_opened_like_one_finding_nothing_goes_out_whole() -> None:
    stream = TurnStream()
    stream.feed(parts(TOLD, ("maintenance", "and the fault came back")))
    out = [*stream.feed(token("specs", "I")), *stream.feed(token("specs", " recommend 5W-30."))]
    assert spoken(out) == ["I recommend 5W-30."]
    # Ended while it could still have been one: it was not.
    out = [*stream.feed(token("maintenance", "I")), *stream.feed(done("maintenance"))]
    out += stream.feed(done("specs"))
    assert spoken(out) == ["\n\nI"]
    assert stream.text == "I recommend 5W-30.\n\nI"


def test_the_turn_s_end_settles_answers_still_in_doubt() -> None:
    stream = TurnStream()
    stream.feed(parts(TOLD, ASKED))
    stream.feed(token("specs", NOTHING))
    stream.feed(token("maintenance", "Every 20,000 km."))
    assert spoken(stream.finish()) == ["Every 20,000 km."]
    assert stream.text == "Every 20,000 km."


def test_one_specialist_that_found_nothing_says_so_as_it_streams() -> None:
    stream = TurnStream()
    stream.feed(routes("specs"))
    assert spoken(stream.feed(token("specs", "I"))) == ["I"]
    assert stream.text == "I"


def test_every_answer_that_found_nothing_opens_as_the_stream_knows_it() -> None:
    from agents.answerability import NOT_FOUND
    from agents.extraction import NO_ANSWER, no_answer

    for said in (NOT_FOUND, NO_ANSWER, no_answer("Acme", ["Nova"])):
        assert said.startswith(FOUND_NOTHING), said


# `astream(stream_mode=STREAM_MODES)` parts: the same turn, the same events.


def part_custom(name: str, data: dict[str, Any]) -> tuple[str, Any]:
    return ("custom", {"name": name, "data": data})


def part_token(
    agent: str, text: str, tags: list[str] | None = None, node: str | None = None
) -> tuple[str, Any]:
    meta: dict[str, Any] = {"langgraph_node": node or agent}
    tags = tags if tags is not None else ["answer", f"agent:{agent}"]
    if tags:
        meta["tags"] = tags
    return ("messages", (AIMessageChunk(content=text), meta))


def part_done(agent: str, update: Any = None) -> tuple[str, Any]:
    return ("updates", {agent: update if update is not None else {"answers": []}})


def part_routes(*agents: str) -> tuple[str, Any]:
    return part_custom("routes", {"routes": [{"agent": a} for a in agents], "query": "q"})


# One turn as abstract steps, played through either feed.
Step = tuple[str, ...]
TURN: list[Step] = [
    ("custom", "progress", "agent_routing", ""),
    ("routes", "troubleshooting", "maintenance"),
    ("custom", "progress", "rag_retrieval", "maintenance"),
    ("custom", "progress", "rag_retrieval", "troubleshooting"),
    ("sources", "maintenance"),
    ("token", "maintenance", "Your"),
    ("sources", "troubleshooting"),
    ("token", "troubleshooting", "Stop"),
    ("token", "maintenance", " service"),
    ("untagged", "classify", "ignored"),
    ("done", "classify"),
    ("token", "troubleshooting", " safely."),
    ("done", "maintenance"),
    ("token", "troubleshooting", " Then"),
    ("done", "troubleshooting"),
    ("done", "compose"),
]
METADATA = {"agents": ["troubleshooting", "maintenance"], "mode": "offline"}
TYPED = TurnMetadata(agents=["troubleshooting", "maintenance"], mode="offline")


def as_event(step: Step) -> dict[str, Any]:
    match step:
        case ("custom", name, step_name, agent):
            return custom(name, {"step": step_name, "message": "m", "agent": agent or None})
        case ("routes", *agents):
            return routes(*agents)
        case ("sources", agent):
            return custom("sources", {"agent": agent, "sources": [{"source": agent}]})
        case ("token", agent, text):
            return token(agent, text)
        case ("untagged", agent, text):
            return token(agent, text, tags=["seq:step:1"])
        case ("done", "compose"):
            return {"event": "on_chain_end", "name": "compose", "data": {"output": _compose()}}
        case ("done", agent):
            return done(agent)
    raise AssertionError(step)


def as_part(step: Step) -> tuple[str, Any]:
    match step:
        case ("custom", name, step_name, agent):
            return part_custom(name, {"step": step_name, "message": "m", "agent": agent or None})
        case ("routes", *agents):
            return part_routes(*agents)
        case ("sources", agent):
            return part_custom("sources", {"agent": agent, "sources": [{"source": agent}]})
        case ("token", agent, text):
            return part_token(agent, text)
        case ("untagged", agent, text):
            return part_token(agent, text, tags=[])
        case ("done", "compose"):
            return part_done("compose", _compose())
        case ("done", agent):
            return part_done(agent)
    raise AssertionError(step)


def _compose() -> dict[str, Any]:
    return {"messages": [AIMessage("Stop safely. Then\n\nYour service")], "metadata": METADATA}


def test_both_feeds_map_one_turn_to_the_same_events() -> None:
    by_events, by_parts = TurnStream(), TurnStream()
    from_events = [out for step in TURN for out in by_events.feed(as_event(step))]
    from_parts = [out for step in TURN for out in by_parts.feed_part(*as_part(step))]
    from_events += by_events.finish()
    from_parts += by_parts.finish()
    assert from_parts == from_events
    assert [e.text for e in from_parts if isinstance(e, Token)] == [
        "Stop",
        " safely.",
        " Then",
        "\n\nYour",
        " service",
    ]
    assert by_parts.text == by_events.text == "Stop safely. Then\n\nYour service"
    assert by_parts.metadata == by_events.metadata == TYPED


def test_parts_map_progress_sources_and_routes_to_their_events() -> None:
    stream = TurnStream()
    assert stream.feed_part(*part_routes("specs")) == [Routed([{"agent": "specs"}], "q")]
    assert stream.order == ["specs"]
    assert stream.feed_part(
        *part_custom("progress", {"step": "rag_retrieval", "message": "m", "agent": "specs"})
    ) == [Progress("rag_retrieval", "m", "specs")]
    assert stream.feed_part(
        *part_custom("sources", {"agent": "specs", "sources": [{"source": "a"}]})
    ) == [Sources("specs", [{"source": "a"}])]
    assert stream.feed_part("custom", "not an event") == []
    assert stream.feed_part("values", {"messages": []}) == []


def test_only_streamed_chunks_of_answer_runs_are_tokens() -> None:
    stream = TurnStream()
    stream.feed_part(*part_routes("specs"))
    assert stream.feed_part(*part_token("classify", "specs", tags=["router"])) == []
    assert stream.feed_part(*part_token("classify", "specs", tags=[])) == []
    # A node's output message (compose's answer) is not a token, tags or not.
    whole = AIMessage("The whole answer")
    assert stream.feed_part("messages", (whole, {"tags": ["answer", "agent:specs"]})) == []
    assert stream.feed_part(*part_token("specs", "")) == []
    assert stream.text == ""
    assert stream.feed_part(*part_token("specs", "Tows")) == [Token("Tows")]


def test_a_token_without_an_agent_tag_belongs_to_its_node() -> None:
    stream = TurnStream()
    stream.feed_part(*part_routes("specs", "general"))
    assert stream.feed_part(*part_token("general", "Hi", tags=["answer"])) == []
    assert stream.feed_part(*part_token("specs", "Tows", tags=["answer"])) == [Token("Tows")]
    released = stream.feed_part(*part_done("specs"))
    assert released == [Token("\n\nHi")]


def test_one_update_naming_several_nodes_finishes_each() -> None:
    stream = TurnStream()
    stream.feed_part(*part_routes("specs", "maintenance", "general"))
    assert stream.feed_part(*part_token("specs", "Tows")) == [Token("Tows")]
    stream.feed_part(*part_token("maintenance", "Booked"))
    stream.feed_part(*part_token("general", "Hello"))
    released = stream.feed_part(
        "updates", {"specs": {"answers": []}, "maintenance": {"answers": []}}
    )
    assert released == [Token("\n\nBooked"), Token("\n\nHello")]


def test_compose_update_carries_the_turn_metadata() -> None:
    stream = TurnStream()
    stream.feed_part(*part_routes("specs"))
    assert stream.feed_part(*part_done("compose", _compose())) == []
    assert stream.metadata == TYPED
    event_stream = TurnStream()
    event_stream.feed({"event": "on_chain_end", "name": "compose", "data": {"output": None}})
    assert event_stream.metadata == TurnMetadata()


def test_the_stream_keeps_every_tool_call_with_its_result_in_call_order() -> None:
    stream = TurnStream()
    calls = [
        custom("tool_call", {"agent": "maintenance", "call_id": "c1", "name": "available_slots",
                             "arguments": {"service_type": "oil_change"}}),
        custom("tool_call", {"agent": "maintenance", "call_id": "c2", "name": "book_appointment",
                             "arguments": {"start_text": "tomorrow 9:00"}}),
        custom("tool_result", {"agent": "maintenance", "call_id": "c2", "name": "book_appointment",
                               "ok": False, "summary": "that time is taken"}),
        custom("tool_result", {"agent": "maintenance", "call_id": "c1", "name": "available_slots",
                               "ok": True, "summary": "3 free times"}),
    ]  # fmt: skip
    out = [event for c in calls for event in stream.feed(c)]
    assert [type(e) for e in out] == [ToolCall, ToolCall, ToolResult, ToolResult]
    assert stream.tools == [
        {"call_id": "c1", "name": "available_slots", "arguments": {"service_type": "oil_change"},
         "agent": "maintenance", "ok": True, "summary": "3 free times"},
        {"call_id": "c2", "name": "book_appointment", "arguments": {"start_text": "tomorrow 9:00"},
         "agent": "maintenance", "ok": False, "summary": "that time is taken"},
    ]  # fmt: skip


def test_a_call_whose_result_never_came_is_kept_unfinished() -> None:
    stream = TurnStream()
    call = {"agent": "maintenance", "call_id": "c1", "name": "book_appointment", "arguments": {}}
    stream.feed_part("custom", {"name": "tool_call", "data": call})
    assert stream.tools[0]["ok"] is None and stream.tools[0]["summary"] is None


def screened(stream: TurnStream, agent: str) -> None:
    stream.feed(custom("screen", {"agent": agent, "echo": echo_of(SPECS_SYSTEM)}))


def test_a_screened_answer_goes_out_whole_what_could_be_an_echo_a_moment_later() -> None:
    stream = TurnStream()
    stream.feed(routes("specs"))
    screened(stream, "specs")
    out = [*stream.feed(token("specs", "Range: 430 km.\n")), *stream.feed(token("specs", "##"))]
    assert out == [Token("Range: 430 km.\n")]
    assert stream.feed(token("specs", "# Note")) == [Token("### Note")]
    assert stream.feed(token("specs", " You are")) == [Token(" ")]
    assert stream.feed(done("specs")) == [Token("You are")]  # the answer ended: all of it
    assert stream.text == "Range: 430 km.\n### Note You are"


def test_an_echo_of_the_prompt_is_dropped_and_our_own_words_stand_in() -> None:
    stream = TurnStream()
    stream.feed(routes("specs", "maintenance"))
    screened(stream, "specs")
    out = stream.feed(token("specs", "Well.\n"))
    out += stream.feed(token("specs", "### Context\n<passages>\n[1] Aster"))
    out += stream.feed(token("specs", " more of the prompt"))
    own = ["answer", "agent:specs", "own_words"]
    out += stream.feed(token("specs", "The range is 430 km [1].", tags=own))
    out += stream.feed(token("maintenance", "Booked."))  # not screened: as it comes
    out += stream.feed(done("specs"))
    assert "".join(t.text for t in out if isinstance(t, Token)) == stream.text
    assert stream.text == "Well.\nThe range is 430 km [1].\n\nBooked."


def test_what_a_screen_holds_is_released_when_the_turn_ends() -> None:
    stream = TurnStream()
    stream.feed(routes("specs"))
    screened(stream, "specs")
    assert stream.feed(token("specs", "See ###")) == [Token("See ")]
    assert stream.finish() == [Token("###")]
