"""The graph's own nodes: classify (route and fan out) and compose (merge the answers)."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage
from langgraph.runtime import Runtime
from langgraph.types import Command, Send

from orchestrator.emit import emit
from orchestrator.followups import (
    ANAPHORA,
    continues_previous,
    retrieval_query,
    standalone_query,
    vehicle_named,
    with_topic_before,
)
from orchestrator.model_health import unreachable
from orchestrator.routing import (
    GENERAL,
    REST,
    Intent,
    RouteDecision,
    asked_at,
    consistent_routes,
    intents,
    names_a_display_message,
    names_a_fault_code,
    split_clauses,
    to_fault_route,
)
from orchestrator.state import Route, SpecialistInput, TurnState
from orchestrator.turn_context import TurnContext
from rag.off_subject import in_scope_floor

HISTORY_TURNS = 6
FOLLOW_UP_CONFIDENCE = 0.6
# A message like no routing example whose closest passage is at least this close (cosine) is
# about the knowledge base's subject, or less close where everyday requests on other subjects
# come less near it (`rag.off_subject`): on the tuning half's manuals, questions a manual
# answers reached 0.76 where messages off every subject (a recipe, a stain, a dealership's
# address) stayed under 0.49 against every manual.
IN_SCOPE_PASSAGE = 0.6


def answered(messages: list[AnyMessage]) -> list[AnyMessage]:
    """The conversation a specialist is shown: each exchange whose answer failed, was
    cancelled or was cut short left out, question and all (sent back, a runaway or broken
    answer is imitated, and it fills a small model's window)."""
    kept: list[AnyMessage] = []
    for message in messages:
        if isinstance(message, AIMessage) and not whole_answer(message):
            while kept and not isinstance(kept[-1], AIMessage):
                kept.pop()
            continue
        kept.append(message)
    return kept


def whole_answer(message: AIMessage) -> bool:
    """Whether an answer in the checkpoint was given whole (`compose` and the turn's end mark
    the others)."""
    meta = message.response_metadata
    return not meta.get("truncated") and meta.get("status", "complete") == "complete"


def _text(message: AnyMessage) -> str:
    return message.content if isinstance(message.content, str) else str(message.content)


async def _llm_routes(
    context: TurnContext, query: str, brand: str | None, scores: dict[str, float]
) -> list[str] | None:
    """Ask the language model when the router is unsure; None if it cannot say, or says
    nothing the semantic router's `scores` bear out (`routing.consistent_routes`)."""
    model = context.services.router_llm
    health = context.services.model_health
    if model is None or not health.worth_calling(time.monotonic()):
        return None
    if context.services.model_abilities.tools == "no":
        return None  # it answers by a tool call: a model that makes none cannot route
    company = f"{brand} " if brand else "a vehicle maker's "
    specialists = context.services.specialists
    schema = specialists.llm_route_model()
    try:
        structured = model.with_structured_output(schema, method="function_calling")
        async with context.services.model_gate.through():
            result = await structured.ainvoke(
                f"Classify this {company}customer message into the specialists it needs, "
                f"one or more of:\n{specialists.router_prompt()}\n\nMessage: {query}"
            )
    except Exception as exc:
        if unreachable(exc):
            health.failed(time.monotonic())
        return None
    health.reached()
    routes = getattr(result, "routes", None) if isinstance(result, schema) else None
    return (consistent_routes(routes, scores) or None) if routes else None


async def classify(state: TurnState, runtime: Runtime[TurnContext]) -> Command[Any]:
    """Make the message standalone, embed it once, and send it to every specialist it needs."""
    context = runtime.context
    services = context.services
    await emit("progress", {"step": "agent_routing", "message": "Finding the right specialist…"})
    messages = state.get("messages", [])
    message = _text(messages[-1]) if messages else ""
    earlier = [_text(m) for m in messages[:-1] if isinstance(m, HumanMessage)]
    owned = [str(v.get("model")) for v in state.get("customer", {}).get("vehicles", [])]
    knowledge = await context.knowledge()
    catalogue = knowledge.catalogue
    query = standalone_query(message, earlier[-HISTORY_TURNS:], catalogue, owned)
    clauses = split_clauses(query)
    texts = [query, *clauses] if len(clauses) > 1 else [query]
    vehicle = vehicle_named(query, catalogue)
    # Routing reads the message with the vehicle names made neutral, so it is the same for any
    # company's line-up; retrieval searches with the vehicle named in full. Both are embedded
    # in one (batched) call, each distinct text once. Retrieval also searches with the
    # documents' own word beside a term of the customer's they never use ("cambelt (timing
    # belt)").
    routing = [catalogue.neutralise(text) for text in texts]
    wording = knowledge.wording
    searches = [wording.expand(retrieval_query(text, vehicle, catalogue)) for text in texts]
    distinct = list(dict.fromkeys([*routing, *searches]))
    encoded = await services.encoder.encode(distinct)
    vectors = [encoded[distinct.index(text)] for text in routing]
    search_vectors = [encoded[distinct.index(text)] for text in searches]
    specialists = services.specialists
    whole = services.router.classify(vectors[0])
    fault_route = specialists.fault_route
    if (
        fault_route
        and whole.route != fault_route
        and to_fault_route(query, whole.route, specialists.defers_codes(whole.route), catalogue)
    ):
        whole = RouteDecision(fault_route, whole.confidence, whole.scores)
    previous = state.get("routes") or []
    amid = bool(previous) and previous[0]["agent"] != GENERAL  # a specialist's conversation
    in_scope = in_scope_floor(knowledge.off_subject, IN_SCOPE_PASSAGE)
    if whole.out_of_scope and not amid and knowledge.closest(search_vectors[0]) >= in_scope:
        # Like no example of any route, but a passage of the knowledge base answers to it
        # closely: the knowledge base's subject, for the route it resembles most.
        whole = services.router.within_scope(whole)
    decisions = [services.router.classify(v) for v in vectors[1:]] or [whole]
    found = intents(
        whole,
        clauses if len(clauses) > 1 else [query],
        decisions,
        fault_routes=specialists.fault_routes,
        quotes_fault=names_a_fault_code(query, catalogue) or names_a_display_message(query),
    )

    if amid and (
        continues_previous(message, catalogue)
        or (whole.confidence < FOLLOW_UP_CONFIDENCE and ANAPHORA.search(message))
        # Like no example of any route (not even small talk's) in a conversation about a
        # specialist's subject: still that subject ("what's the lowest reading that's still
        # acceptable?" after the compression figures).
        or whole.out_of_scope
    ):
        if whole.out_of_scope and query == message:
            # … and about its subject: searched with the question before's words, embedded
            # below as an intent of its own text.
            query = with_topic_before(message, earlier[-HISTORY_TURNS:], catalogue)
        clause = 0 if query == texts[0] else REST
        found = [Intent(previous[0]["agent"], query, whole.confidence, clause)]
    elif whole.confidence < services.settings.router_llm_threshold:
        chosen = await _llm_routes(context, query, catalogue.brand, whole.scores)
        if chosen:
            found = [Intent(r, query, whole.confidence, 0) for r in chosen if r in specialists]

    # An intent made of several clauses is searched with its own text, embedded now.
    joined = [i for i in found if i.clause == REST]
    if joined:
        more = [wording.expand(retrieval_query(i.text, vehicle, catalogue)) for i in joined]
        search_vectors.extend(await services.encoder.encode(more))
        start = len(searches)
        searches.extend(more)
        numbers = {id(i): start + n for n, i in enumerate(joined)}
        found = [replace(i, clause=numbers[id(i)]) if id(i) in numbers else i for i in found]
    # Diagnosis (and any safety advice) comes before booking or specs in a combined answer;
    # the other parts in the order the customer asked them.
    found.sort(key=lambda i: (not specialists.leads(i.route), asked_at(i, clauses)))
    routes = [Route(agent=i.route, query=i.text, confidence=i.confidence) for i in found]
    context.citations.expect([r["agent"] for r in routes])
    await emit("routes", {"routes": routes, "query": query})
    history = answered(messages[:-1])[-HISTORY_TURNS * 2 :]
    sends = [
        Send(
            intent.route,
            SpecialistInput(
                agent=intent.route,
                query=intent.text,
                confidence=intent.confidence,
                embedding=search_vectors[intent.clause].tolist(),
                retrieval_query=searches[intent.clause],
                vehicle=vehicle,
                models=catalogue.models_in(searches[intent.clause]),
                history=history,
                customer=state.get("customer", {}),
            ),
        )
        for intent in found
    ]
    update = {
        "query": query,
        "routes": routes,
        "confidence": _confidence(whole, found),
        "answers": None,
        "sources": None,
        "metadata": {"scores": whole.scores},
    }
    return Command(goto=sends, update=update)


def _confidence(whole: RouteDecision, found: list[Intent]) -> float:
    return round(min(i.confidence for i in found) if found else whole.confidence, 4)


async def compose(state: TurnState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    """One answer from every specialist's, in routing order, with the turn's metadata."""
    order = [r["agent"] for r in state.get("routes", [])]
    answers = sorted(
        state.get("answers", []),
        key=lambda a: order.index(a["agent"]) if a["agent"] in order else len(order),
    )
    response = "\n\n".join(a["text"] for a in answers)
    sources: list[dict[str, Any]] = []
    for a in answers:
        sources.extend(s for s in a["sources"] if s not in sources)
    degraded = [a["degraded"] for a in answers if a.get("degraded")]
    mode = runtime.context.services.settings.answer_mode
    metadata = {
        "agent": order[0] if order else GENERAL,
        "agents": order,
        "confidence": state.get("confidence", 0.0),
        "context": {"sources": sources},
        # Offline when no answer came from the language model (it could not give one).
        "mode": "offline" if answers and len(degraded) == len(answers) else mode,
        "truncated": True if any(a.get("truncated") for a in answers) else None,
        "degraded": degraded[0] if degraded else None,
        "query": state.get("query"),
    }
    marks = {"truncated": True} if metadata["truncated"] else {}
    return {"messages": [AIMessage(response, response_metadata=marks)], "metadata": metadata}
