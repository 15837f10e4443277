"""What every specialist does: retrieve in its domain, report sources, stream its answer."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import numpy as np
from langchain_core.messages import BaseMessage

from agents.context import AnswerRequest, build_messages
from orchestrator.context import TurnContext
from orchestrator.emit import emit
from orchestrator.events import ANSWER_TAG, agent_tag
from orchestrator.followups import retrieval_query
from orchestrator.state import SpecialistAnswer, SpecialistInput
from rag.retriever import RetrievedChunk


def source_refs(chunks: Sequence[RetrievedChunk]) -> list[dict[str, Any]]:
    return [
        {"source": c.source, "title": c.title, "heading": c.heading, "score": c.score}
        for c in chunks
    ]


async def progress(step: str, message: str, agent: str | None = None) -> None:
    await emit("progress", {"step": step, "message": message, "agent": agent})


async def retrieve(
    inp: SpecialistInput, context: TurnContext, domains: Sequence[str]
) -> list[RetrievedChunk]:
    services = context.services
    agent = inp["agent"]
    await progress("rag_retrieval", "Searching the knowledge base…", agent)
    embedding = inp.get("embedding")
    vector = np.asarray(embedding, dtype=np.float32) if embedding is not None else None
    query = inp.get("retrieval_query") or retrieval_query(inp["query"], inp.get("vehicle"))
    if "retrieval_query" not in inp and query != inp["query"]:
        vector = None  # the embedding is of the query without the vehicle
    chunks = await asyncio.to_thread(
        services.retriever.search,
        query,
        k=services.settings.retrieval_top_k,
        domains=list(domains),
        min_score=services.settings.retrieval_min_score,
        query_embedding=vector,
    )
    await emit("sources", {"agent": agent, "sources": source_refs(chunks)})
    return chunks


async def generate(
    inp: SpecialistInput,
    context: TurnContext,
    system_prompt: str,
    request: AnswerRequest,
    history: Sequence[BaseMessage] = (),
) -> str:
    """Stream the answer model's reply; its tokens are the ones the client sees."""
    agent = inp["agent"]
    await progress("generating", "Writing the answer…", agent)
    model = context.services.answer_model.with_config(tags=[ANSWER_TAG, agent_tag(agent)])
    parts: list[str] = []
    async for chunk in model.astream(build_messages(system_prompt, request, history)):
        if isinstance(chunk.content, str):
            parts.append(chunk.content)
    return "".join(parts)


def answer(inp: SpecialistInput, text: str, chunks: Sequence[RetrievedChunk]) -> dict[str, Any]:
    refs = source_refs(chunks)
    result = SpecialistAnswer(
        agent=inp["agent"], text=text, sources=refs, confidence=inp["confidence"]
    )
    return {"answers": [result], "sources": refs}


async def grounded_answer(
    inp: SpecialistInput,
    context: TurnContext,
    *,
    domains: Sequence[str],
    system_prompt: str,
    tool_result: str | None = None,
) -> dict[str, Any]:
    """Retrieve, then answer from what was found (and any tool result)."""
    chunks = await retrieve(inp, context, domains)
    request = AnswerRequest(
        question=inp["query"], sources=chunks, vehicle=inp.get("vehicle"), tool_result=tool_result
    )
    text = await generate(inp, context, system_prompt, request, inp.get("history", []))
    return answer(inp, text, chunks)
