"""The maintenance node: service knowledge plus the appointment tools.

With a language model that calls tools (`orchestrator.model_abilities`), the model calls them
itself. Otherwise the rules read the action from the message (`actions`; a reply to the free
times offered last, from `offers`) and carry it out through the same desk: offline, the tool's
result is the answer; with a model that cannot call tools, the model words it, and its wording
is said only if it keeps what the tool said (`wording`). While the model cannot be reached,
the offline mode's rules act and answer.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Sequence
from typing import Any

import openai
from langchain_core.messages import AIMessage, AnyMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.tools import BaseTool
from langgraph.runtime import Runtime

from agents import model_reply
from agents.maintenance import wording
from agents.maintenance.actions import Requested, requested_action
from agents.maintenance.desk import AppointmentDesk
from agents.maintenance.offers import Pick, moving_in, offer_in, picked
from agents.maintenance.prompts import SYSTEM, SYSTEM_WITHOUT_TOOLS, WORDING
from agents.maintenance.schedule import service_type_from_text
from agents.maintenance.tools import make_tools, openai_tools
from agents.maintenance.when import When, parse_when
from agents.model_message import AnswerRequest, echo_of, render
from agents.model_reply import ECHOED, UNREACHABLE, Written
from agents.prompt_fit import Prompt
from agents.specialist import answer, answer_request, generate, progress, retrieve, say, use_tool
from orchestrator import model_abilities
from orchestrator.emit import emit
from orchestrator.errors import IncompleteAnswer, MalformedToolCall, ModelUnreachable
from orchestrator.prompt_echo import EchoScreen
from orchestrator.screen import Chain
from orchestrator.state import SpecialistInput
from orchestrator.turn_context import Services, TurnContext

log = logging.getLogger(__name__)

DEFAULT_SERVICE = "annual_service"
MAX_TOOL_ROUNDS = 3


class ToolsFailed(Exception):
    """The model's first request with tools failed as a server that cannot call tools fails,
    before anything was said or done: the rules act instead."""


def desk_for(context: TurnContext) -> AppointmentDesk:
    """The turn's customer's appointment desk (added to `users` on first booking); one that
    changes nothing for a reply drafted for staff."""
    services = context.services
    return AppointmentDesk(
        services.sessions,
        services.settings,
        context.customer_id,
        services.clock,
        customer_name=context.customer_id,
        drafting=context.drafting,
    )


async def run_action(
    requested: Requested,
    message: str,
    context: TurnContext,
    agent: str,
    offered_service: str | None = None,
) -> str:
    """Carry out the appointment action the message asks for; a message the customer can read.

    The same `AppointmentDesk` as the language model's tools, reported to the stream as the
    same tool calls: only reading the action, the service and the time from the message is the
    rules' own. A booking that names no service is for the one last offered, if any.
    """
    desk = desk_for(context)
    if requested.action == "list":
        return await use_tool(agent, "list_my_appointments", {}, desk.upcoming)
    if requested.action == "cancel":
        reference = requested.reference
        return await use_tool(
            agent, "cancel_appointment", {"reference": reference}, lambda: desk.cancel(reference)
        )
    if requested.action == "move":
        return await _move(
            agent, desk, requested.reference, parse_when(message, desk.now(), desk.tz)
        )
    service = service_type_from_text(message) or offered_service or DEFAULT_SERVICE
    when = parse_when(message, desk.now(), desk.tz)
    if requested.action == "book" and when is not None and when.exact:
        return await _book(agent, desk, when, service)
    window = when or parse_when("tomorrow", desk.now(), desk.tz)
    assert window is not None
    free = await use_tool(
        agent,
        "available_slots",
        {"date_text": window.start.date().isoformat(), "service_type": service},
        lambda: desk.free_times(window, service),
    )
    return f"{free}\nTell me which one you'd like and I'll book it."


async def _book(agent: str, desk: AppointmentDesk, exact: When, service: str) -> str:
    return await use_tool(
        agent,
        "book_appointment",
        {"start_text": exact.start.isoformat(timespec="minutes"), "service_type": service},
        lambda: desk.book(exact, service),
    )


async def _move(agent: str, desk: AppointmentDesk, reference: str | None, when: When | None) -> str:
    start_text = (
        when.start.isoformat(timespec="minutes")
        if when is not None and when.exact
        else (when.start.date().isoformat() if when is not None else None)
    )
    return await use_tool(
        agent,
        "move_appointment",
        {"reference": reference, "start_text": start_text},
        lambda: desk.move(reference, when),
    )


def answers(history: Sequence[AnyMessage]) -> list[str]:
    """The answers the customer got, the last first."""
    said = (m.content for m in reversed(history) if isinstance(m, AIMessage))
    return [text for text in said if isinstance(text, str)]


async def act(inp: SpecialistInput, context: TurnContext) -> AnswerRequest | None:
    """Do what the message asks by the rules: the request for its answer (the tool's result,
    or our question back), or None when it asks for no appointment action. A reply to the
    times offered in the last answer books the one it picks; a booking that names no service
    is for the service offered last."""
    desk, query, agent = desk_for(context), inp["query"], inp["agent"]
    requested = requested_action(query)
    if requested is not None and requested.action != "book":
        result = await run_action(requested, query, context, agent)
        return AnswerRequest(question=query, tool_result=result)
    now, tz = desk.now(), desk.tz
    offers = [offer_in(text, now, tz) for text in answers(inp.get("history", []))]
    pick: Pick | None = picked(query, offers[0], now, tz) if offers and offers[0] else None
    if pick is not None and pick.which_day:
        return AnswerRequest(question=query, reply=pick.which_day)
    if pick is not None and pick.start is not None:
        exact = When(pick.start, pick.start, exact=True)
        moves = moving_in(answers(inp.get("history", []))[0])
        if moves is not None:
            result = await _move(agent, desk, moves, exact)
        else:
            result = await _book(agent, desk, exact, pick.service)
        return AnswerRequest(question=query, tool_result=result)
    if requested is None:
        return None
    offered = next((offer.service for offer in offers if offer), None)
    result = await run_action(requested, query, context, agent, offered)
    return AnswerRequest(question=query, tool_result=result)


async def _answer_with_tools(
    inp: SpecialistInput, context: TurnContext, request: AnswerRequest
) -> Written:
    """Stream the language model's answer, running the appointment tools it calls on the way.
    `ModelUnreachable` when it cannot be reached before it has said or done anything;
    `ToolsFailed` when its first request fails as one to a model that cannot call tools."""
    services = context.services
    agent = inp["agent"]
    if not services.model_health.worth_calling(time.monotonic()):
        raise ModelUnreachable("the language model was unreachable a moment ago")
    tools = make_tools(desk_for(context))
    by_name = {t.name: t for t in tools}
    # `tool_choice` said outright: a server that reads no default (llama-cpp-python's) would
    # otherwise ignore the tools.
    bound = services.answer_model.bind_tools(openai_tools(tools), tool_choice="auto")
    model = model_reply.answering(bound, agent)
    prompt = Prompt(SYSTEM, request, tuple(inp.get("history", [])))
    messages: list[BaseMessage] = prompt.messages(None)

    def first(budget: int | None) -> list[BaseMessage]:
        """The first request, fitted to the model's window; later ones add to what it sent."""
        nonlocal messages
        messages = prompt.messages(budget)
        return messages

    await progress("generating", "Writing the answer…", agent)
    screen = await model_reply.screened(agent, echo_of(SYSTEM))
    spoken: list[str] = []
    streamed = model_reply.Streamed()
    for step in range(MAX_TOOL_ROUNDS):
        try:
            streamed = await model_reply.ask(
                model,
                first if step == 0 else list(messages),
                services.model_health,
                screen,
                services.model_budget,
                services.model_gate,
                agent,
            )
            reply = streamed.chunks[0] + streamed.chunks[1:] if streamed.chunks else None
            if reply is not None and reply.invalid_tool_calls:
                calls = json.dumps(reply.invalid_tool_calls, default=str)[:200]
                raise MalformedToolCall(calls)
        except ModelUnreachable as exc:
            if step:  # the customer may have heard it, a tool may have run: no starting over
                raise exc.__cause__ or exc from None
            raise
        except Exception as exc:
            reason = model_abilities.tools_failure(exc)
            if step or streamed.text or reason is None:
                raise
            _tools_failed(context, reason)
            raise ToolsFailed(reason) from exc
        spoken.append(streamed.text)
        if streamed.echoed:
            written = await model_reply.in_own_words(services, messages, agent, ECHOED)
            return Written("".join(spoken[:-1]) + written.text, degraded=ECHOED)
        # Merged once, above: chunk by chunk, each sum is a new message that parses the tool
        # calls so far again (2% of the server's CPU under load, py-spy).
        if reply is None or not reply.tool_calls or streamed.looped:
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
    return Written("".join(spoken), truncated=streamed.cut_short)


def _tools_failed(context: TurnContext, reason: str) -> None:
    abilities = context.services.model_abilities
    log.warning("a request with tools failed (%s): the rules act on this turn", reason)
    if abilities.failed_in_turn(reason):
        model_abilities.log_tools(abilities)


async def _invoke(tool: BaseTool, args: dict[str, Any]) -> str:
    return str(await tool.ainvoke(args))


async def _worded(inp: SpecialistInput, context: TurnContext, request: AnswerRequest) -> Written:
    """The model's wording of the tool's result, streamed a sentence at a time while it keeps
    to what the tool said (`wording.WordingScreen`). Where it strays, fails or leaves out a
    fact, the result itself follows what went out, marked `degraded` with why."""
    services, agent = context.services, inp["agent"]
    result = request.tool_result or ""
    await progress("generating", "Writing the answer…", agent)
    health = services.model_health
    if not health.worth_calling(time.monotonic()):
        said = [HumanMessage(render(request))]
        return await model_reply.in_own_words(services, said, agent, UNREACHABLE)
    prompt = Prompt(WORDING, request, tuple(inp.get("history", [])))
    make = functools.partial(_wording_screen, result)
    await emit("screen", {"agent": agent, "make": make})
    screen = make()  # the turn's stream reads the answer through one made alike
    try:
        await model_reply.ask(
            model_reply.answering(services.answer_model, agent),
            prompt.messages,
            health,
            screen,
            services.model_budget,
            services.model_gate,
            agent,
        )
    except ModelUnreachable:  # before anything came
        return await _result_after(services, screen.said, request, agent, UNREACHABLE)
    except (openai.APIError, IncompleteAnswer) as exc:
        log.warning("the model could not word a tool's result: %r", exc)
        return await _result_after(services, screen.said, request, agent, wording.UNWORDED)
    before = screen.said
    if not screen.stopped:
        worded = before + screen.flush()  # as the turn's stream flushes it when this ends
        if worded.strip() and wording.keeps(worded, result):
            return Written(worded)
    return await _result_after(services, before, request, agent, wording.CHANGED)


def _wording_screen(result: str) -> Chain:
    return Chain((EchoScreen(echo_of(WORDING)), wording.WordingScreen(result)))


async def _result_after(
    services: Services, said: str, request: AnswerRequest, agent: str, why: str
) -> Written:
    """The tool's result, in full, after what of the wording went out (whole sentences that
    kept to it)."""
    reply = AnswerRequest(question=request.question, tool_result=request.tool_result)
    written = await model_reply.in_own_words(services, [HumanMessage(render(reply))], agent, why)
    return Written(said + written.text, degraded=why)


async def maintenance(inp: SpecialistInput, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    context = runtime.context
    services = context.services
    chunks = await retrieve(inp, context)
    request = await answer_request(inp, context, chunks)
    degraded = None
    if services.llm and services.model_abilities.offered:
        try:
            return answer(inp, context, await _answer_with_tools(inp, context, request), chunks)
        except ModelUnreachable:
            degraded = UNREACHABLE  # answered as the offline mode answers, tools and all
        except ToolsFailed:
            pass  # the rules act, the model words
    acted = await act(inp, context)
    if acted is not None:
        request, chunks = acted, []
    if degraded or (acted is not None and acted.reply):
        written = await say(inp, context, request, degraded)
    elif not services.llm:
        written = await generate(inp, context, SYSTEM, request, inp.get("history", []))
    elif acted is not None:
        written = await _worded(inp, context, request)
    else:
        history = inp.get("history", [])
        written = await generate(inp, context, SYSTEM_WITHOUT_TOOLS, request, history)
    return answer(inp, context, written, chunks)
