"""The maintenance node: service knowledge plus the appointment tools.

Offline, the action is read from the message by rules and the tool result is streamed as the
answer. With a language model, the model calls the tools itself.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import AIMessageChunk, BaseMessage, ToolMessage
from langgraph.runtime import Runtime

from agents.context import AnswerRequest, build_messages
from agents.maintenance import booking
from agents.maintenance.actions import Requested, requested_action
from agents.maintenance.prompts import SYSTEM
from agents.maintenance.schedule import SERVICE_TYPES, format_slot, service_type_from_text
from agents.maintenance.tools import make_tools
from agents.maintenance.when import parse_when
from agents.offline_model import ExtractiveChatModel
from agents.specialist import answer, answer_request, generate, progress, retrieve
from orchestrator.context import TurnContext
from orchestrator.errors import MalformedToolCall
from orchestrator.events import ANSWER_TAG, agent_tag
from orchestrator.state import SpecialistInput

DEFAULT_SERVICE = "annual_service"
MAX_TOOL_ROUNDS = 3


async def run_action(requested: Requested, message: str, context: TurnContext) -> str:
    """Carry out an appointment action for the customer; a message they can read."""
    services = context.services
    settings = services.settings
    now = services.clock()
    tz = booking.service_timezone(settings)
    service = service_type_from_text(message) or DEFAULT_SERVICE
    service_name = SERVICE_TYPES[service].name
    async with services.sessions() as session:
        await booking.ensure_customer(session, context.customer_id, context.customer_id)
        await session.commit()
        if requested.action == "list":
            appointments = await booking.list_appointments(session, context.customer_id, now)
            if not appointments:
                return "You have no upcoming appointments."
            return "Your upcoming appointments:\n" + "\n".join(
                f"- {a.describe(tz)}" for a in appointments
            )
        if requested.action == "cancel":
            if requested.reference is None:
                appointments = await booking.list_appointments(session, context.customer_id, now)
                if len(appointments) != 1:
                    listing = "\n".join(f"- {a.describe(tz)}" for a in appointments)
                    return (
                        "Which appointment should I cancel? Please give its reference.\n" + listing
                        if appointments
                        else "You have no upcoming appointments to cancel."
                    )
                reference = appointments[0].id
            else:
                reference = requested.reference
            result = await booking.cancel(
                session,
                settings,
                customer_id=context.customer_id,
                appointment_id=reference,
                now=now,
            )
            return result.message
        when = parse_when(message, now, tz)
        if requested.action == "book" and when is not None and when.exact:
            outcome = await booking.book(
                session,
                settings,
                customer_id=context.customer_id,
                service_type=service,
                start=when.start,
                now=now,
            )
            if isinstance(outcome, booking.Booked):
                return outcome.message
            search = await booking.find_slots(session, settings, when, service, now, limit=3)
            options = ", ".join(
                format_slot(s, s + SERVICE_TYPES[service].duration, tz) for s in search.slots
            )
            return (
                f"{outcome.message} Free alternatives: {options}." if options else outcome.message
            )
        window = when or parse_when("tomorrow", now, tz)
        assert window is not None
        search = await booking.find_slots(session, settings, window, service, now, limit=5)
        if not search.slots:
            return f"I couldn't find a free {service_name.lower()} slot in the next four weeks."
        listing = "\n".join(
            f"- {format_slot(s, s + SERVICE_TYPES[service].duration, tz)}" for s in search.slots
        )
        lead = "Free" if search.in_window else "Nothing is free then. The nearest free"
        return (
            f"{lead} {service_name.lower()} slots:\n{listing}\n"
            "Tell me which one you'd like and I'll book it."
        )


async def _answer_with_tools(
    inp: SpecialistInput, context: TurnContext, request: AnswerRequest
) -> str:
    """Stream the language model's answer, running the appointment tools it calls on the way."""
    services = context.services
    tools = make_tools(
        services.sessions,
        services.settings,
        context.customer_id,
        services.clock,
        customer_name=context.customer_id,
    )
    by_name = {t.name: t for t in tools}
    model = services.answer_model.bind_tools(tools).with_config(
        tags=[ANSWER_TAG, agent_tag(inp["agent"])]
    )
    messages: list[BaseMessage] = build_messages(SYSTEM, request, inp.get("history", []))
    await progress("generating", "Writing the answer…", inp["agent"])
    spoken: list[str] = []
    for _ in range(MAX_TOOL_ROUNDS):
        reply: Any = None
        async for chunk in model.astream(messages):
            reply = chunk if reply is None else reply + chunk
            if isinstance(chunk.content, str):
                spoken.append(chunk.content)
        if not isinstance(reply, AIMessageChunk):
            break
        if reply.invalid_tool_calls:
            raise MalformedToolCall(json.dumps(reply.invalid_tool_calls, default=str)[:200])
        if not reply.tool_calls:
            break
        messages.append(reply)
        for call in reply.tool_calls:
            tool = by_name.get(call["name"])
            result = await tool.ainvoke(call["args"]) if tool else f"Unknown tool {call['name']}"
            messages.append(ToolMessage(str(result), tool_call_id=call["id"] or call["name"]))
    return "".join(spoken)


async def maintenance(inp: SpecialistInput, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    context = runtime.context
    chunks = await retrieve(inp, context, ["maintenance"])
    request = await answer_request(inp, context, chunks)
    if isinstance(context.services.answer_model, ExtractiveChatModel):
        requested = requested_action(inp["query"])
        if requested is not None:
            result = await run_action(requested, inp["query"], context)
            request = AnswerRequest(question=inp["query"], tool_result=result)
            chunks = []
        text = await generate(inp, context, SYSTEM, request, inp.get("history", []))
        return answer(inp, context, text, chunks)
    text = await _answer_with_tools(inp, context, request)
    return answer(inp, context, text, chunks)
