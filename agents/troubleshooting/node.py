"""The troubleshooting node: exact code lookup plus retrieval; safety advice comes first."""

from __future__ import annotations

import asyncio
from typing import Any

from langgraph.runtime import Runtime

from agents.specialist import answer, answer_request, cite, generate, own_domains, search
from agents.troubleshooting import codes
from agents.troubleshooting.prompts import SYSTEM
from orchestrator.state import SpecialistInput
from orchestrator.turn_context import TurnContext


async def troubleshooting(inp: SpecialistInput, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    context = runtime.context
    snapshot = await context.knowledge()
    vectors = await codes.embed_codes(context.services.encoder, inp["query"])
    found = await asyncio.to_thread(
        codes.lookup,
        context.services.retriever,
        inp["query"],
        snapshot,
        vectors,
        own_domains(inp, context),
    )
    chunks = await search(inp, context)
    exact = [hit for hits in found.values() for hit in hits]
    ordered = [*exact, *(c for c in chunks if c.id not in {e.id for e in exact})]
    ordered = ordered[: max(len(chunks), len(exact))]
    await cite(inp, context, ordered)
    request = await answer_request(inp, context, ordered, tool_result=codes.describe(found))
    written = await generate(inp, context, SYSTEM, request, inp.get("history", []))
    return answer(inp, context, written, ordered)
