"""The maintenance node: service knowledge plus the appointment tools.

Offline, the action is read from the message by rules and the tool result is streamed as the
answer. With a language model, the model calls the tools itself; while it cannot be reached,
the offline mode's rules act and answer instead.
"""

from __future__ import annotations

import functools
import json
import time
from typing import Any

from langchain_core.messages import BaseMessage, ToolMessage
from langchain_core.tools import BaseTool
from langgraph.runtime import Runtime

from agents import model_reply
from agents.maintenance.actions import Requested, requested_action
from agents.maintenance.desk import AppointmentDesk
from agents.maintenance.prompts import SYSTEM
from agents.maintenance.schedule import service_type_from_text
from agents.maintenance.tools import make_tools, openai_tools
from agents.maintenance.when import parse_when
from agents.model_message import AnswerRequest, build_messages, echo_of
from agents.model_reply import ECHOED, UNREACHABLE, Written
from agents.specialist import answer, answer_request, generate, progress, retrieve, say, use_tool
from orchestrator.errors import MalformedToolCall, ModelUnreachable
from orchestrator.state import SpecialistInput
from orchestrator.turn_context import TurnContext

DEFAULT_SERVICE = "annual_service"
MAX_TOOL_ROUNDS = 3


def desk_for(context: TurnContext) -> AppointmentDesk:
    """The turn's customer's appointment desk (added to `users` on first booking)."""
    services = context.services
    return AppointmentDesk(
        services.sessions,
        services.settings,
        context.customer_id,
        services.clock,
        customer_name=context.customer_id,
    )


async def run_action(requested: Requested, message: str, context: TurnContext, agent: str) -> str:
    """Carry out the appointment action the message asks for; a message the customer can read.

    The same `AppointmentDesk` as the language model's tools, reported to the stream as the
    same tool calls: only reading the action, the service and the time from the message is the
    offline mode's own.
    """
    desk = desk_for(context)
    if requested.action == "list":
        return await use_tool(agent, "list_my_appointments", {}, desk.upcoming)
    if requested.action == "cancel":
        reference = requested.reference
        return await use_tool(
            agent, "cancel_appointment", {"reference": reference}, lambda: desk.cancel(reference)
        )
    service = service_type_from_text(message) or DEFAULT_SERVICE
    when = parse_when(message, desk.now(), desk.tz)
    if requested.action == "book" and when is not None and when.exact:
        exact = when
        return await use_tool(
            agent,
            "book_appointment",
            {"start_text": exact.start.isoformat(timespec="minutes"), "service_type": service},
            lambda: desk.book(exact, service),
        )
    window = when or parse_when("tomorrow", desk.now(), desk.tz)
    assert window is not None
    free = await use_tool(
        agent,
        "available_slots",
        {"date_text": window.start.date().isoformat(), "service_type": service},
        lambda: desk.free_times(window, service),
    )
    return f"{free}\nTell me which one you'd like and I'll book it."


async def _answer_with_tools(
    inp: SpecialistInput, context: TurnContext, request: AnswerRequest
) -> Written:
    """Stream the language model's answer, running the appointment tools it calls on the way.
    `ModelUnreachable` when it cannot be reached before it has said or done anything."""
    services = context.services
    agent = inp["agent"]
    if not services.model_health.worth_calling(time.monotonic()):
        raise ModelUnreachable("the language model was unreachable a moment ago")
    tools = make_tools(desk_for(context))
    by_name = {t.name: t for t in tools}
    model = model_reply.answering(services.answer_model.bind_tools(openai_tools(tools)), agent)
    messages: list[BaseMessage] = build_messages(SYSTEM, request, inp.get("history", []))
    await progress("generating", "Writing the answer…", agent)
    screen = await model_reply.screened(agent, echo_of(SYSTEM))
    spoken: list[str] = []
    streamed = model_reply.Streamed()
    for step in range(MAX_TOOL_ROUNDS):
        try:
            streamed = await model_reply.ask(model, messages, services.model_health, screen)
        except ModelUnreachable as exc:
            if step:  # the customer may have heard it, a tool may have run: no starting over
                raise exc.__cause__ or exc from None
            raise
        spoken.append(streamed.text)
        if streamed.echoed:
            written = await model_reply.in_own_words(services, messages, agent, ECHOED)
            return Written("".join(spoken[:-1]) + written.text, degraded=ECHOED)
        if not streamed.chunks:
            break
        # Merged once at the end: chunk by chunk, each sum is a new message that parses the
        # tool calls so far again (2% of the server's CPU under load, py-spy).
        reply = streamed.chunks[0] + streamed.chunks[1:]
        if reply.invalid_tool_calls:
            raise MalformedToolCall(json.dumps(reply.invalid_tool_calls, default=str)[:200])
        if not reply.tool_calls:
            break
        messages.append(reply)
        for call in reply.tool_calls:
            tool = by_name.get(call["name"])
            result = await use_tool(
                agent,
                call["name"],
                dict(call["args"]),
                None if tool is None else functools.partial(_invoke, tool, call["args"]),
                call_id=call["id"] or None,
            )
            messages.append(ToolMessage(result, tool_call_id=call["id"] or call["name"]))
    return Written("".join(spoken), truncated=streamed.finish_reason == model_reply.LENGTH)


async def _invoke(tool: BaseTool, args: dict[str, Any]) -> str:
    return str(await tool.ainvoke(args))


async def maintenance(inp: SpecialistInput, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    context = runtime.context
    chunks = await retrieve(inp, context)
    request = await answer_request(inp, context, chunks)
    degraded = None
    if context.services.llm:
        try:
            return answer(inp, context, await _answer_with_tools(inp, context, request), chunks)
        except ModelUnreachable:
            degraded = UNREACHABLE  # answered as the offline mode answers, tools and all
    requested = requested_action(inp["query"])
    if requested is not None:
        result = await run_action(requested, inp["query"], context, inp["agent"])
        request = AnswerRequest(question=inp["query"], tool_result=result)
        chunks = []
    if degraded:
        return answer(inp, context, await say(inp, context, request, degraded), chunks)
    written = await generate(inp, context, SYSTEM, request, inp.get("history", []))
    return answer(inp, context, written, chunks)
