"""What every specialist does: retrieve in its domain, report sources, stream its answer."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import numpy as np
from langchain_core.messages import BaseMessage, HumanMessage

from agents import model_reply
from agents.model_message import AnswerRequest, build_messages, echo_of, render
from agents.model_reply import Written
from agents.prompt_fit import Prompt
from orchestrator.emit import emit
from orchestrator.events import ANSWER_TAG, agent_tag
from orchestrator.state import SpecialistAnswer, SpecialistInput
from orchestrator.turn_context import Services, TurnContext
from rag.retriever import RetrievedChunk

SNIPPET_CHARS = 300
# A table's `|---|:---:|` row: layout, nothing a reader of the snippet needs.
_TABLE_SEPARATOR = re.compile(r"\|?[\s:|-]*-[\s:|-]*")


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """What a citation shows of its passage before the answer comes: whitespace collapsed
    (each table row kept on its own line), at most `limit` characters, cut after a whole word
    with "…"."""
    parts: list[str] = []
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if not line or _TABLE_SEPARATOR.fullmatch(line):
            continue
        if parts and not line.startswith("|") and not parts[-1].startswith("|"):
            parts[-1] = f"{parts[-1]} {line}"
        else:
            parts.append(line)
    whole = "\n".join(parts)
    if len(whole) <= limit:
        return whole
    cut = whole[: limit - 1]
    if not whole[limit - 1].isspace():
        space = max(cut.rfind(" "), cut.rfind("\n"))
        cut = cut[:space] if space > 0 else cut
    return cut.rstrip(" \n,;:") + "…"


def source_ref(chunk: RetrievedChunk, n: int) -> dict[str, Any]:
    """One passage as the `sources` event lists it: its pages only when its document has them."""
    pages = {"page": chunk.page} if chunk.page is not None else {}
    if pages and chunk.page_end is not None and chunk.page_end != chunk.page:
        pages["page_end"] = chunk.page_end
    preview = snippet(chunk.text)
    return {
        "n": n,
        "source": chunk.source,
        "title": chunk.title,
        "heading": chunk.heading,
        **pages,
        "score": chunk.score,
        **({"snippet": preview} if preview else {}),
    }


def source_refs(chunks: Sequence[RetrievedChunk], numbers: Sequence[int]) -> list[dict[str, Any]]:
    """What the `sources` event lists: each passage with the [n] answers cite it by, its pages
    and a snippet of its text."""
    return [source_ref(c, n) for c, n in zip(chunks, numbers, strict=True)]


async def progress(step: str, message: str, agent: str | None = None) -> None:
    await emit("progress", {"step": step, "message": message, "agent": agent})


SUMMARY_CHARS = 160


def tool_summary(result: str) -> str:
    """What `tool_result` shows of a tool's reply: its first line, shortened."""
    first = next((line.strip() for line in result.splitlines() if line.strip()), "")
    return first if len(first) <= SUMMARY_CHARS else first[: SUMMARY_CHARS - 1].rstrip() + "…"


async def use_tool(
    agent: str,
    name: str,
    arguments: dict[str, Any],
    run: Callable[[], Awaitable[str]] | None,
    call_id: str | None = None,
) -> str:
    """Run a tool and tell the turn's stream: `tool_call` before, `tool_result` after (not ok
    when there is no such tool or it raised). `run` None: the tool does not exist."""
    call_id = call_id or uuid.uuid4().hex[:12]
    ids = {"agent": agent, "call_id": call_id, "name": name}
    await emit("tool_call", {**ids, "arguments": arguments})
    if run is None:
        result = f"Unknown tool {name}"
        await emit("tool_result", {**ids, "ok": False, "summary": result})
        return result
    try:
        result = await run()
    except Exception as exc:
        await emit("tool_result", {**ids, "ok": False, "summary": f"failed: {type(exc).__name__}"})
        raise
    await emit("tool_result", {**ids, "ok": True, "summary": tool_summary(result)})
    return result


def own_domains(inp: SpecialistInput, context: TurnContext) -> tuple[str, ...]:
    """The knowledge-base domains the answering specialist searches first: its registry
    entry's (`Specialist.searches`)."""
    return context.services.specialists[inp["agent"]].searches


async def retrieve(inp: SpecialistInput, context: TurnContext) -> list[RetrievedChunk]:
    """The passages for a specialist, found and cited."""
    chunks = await search(inp, context)
    await cite(inp, context, chunks)
    return chunks


def passages_for(services: Services) -> int:
    """How many passages the answer reads: a language model more than the offline answerer."""
    settings = services.settings
    return settings.llm_retrieval_top_k if services.llm else settings.retrieval_top_k


async def search(inp: SpecialistInput, context: TurnContext) -> list[RetrievedChunk]:
    """The passages for a specialist: its own domains preferred, the question's models only."""
    services = context.services
    agent = inp["agent"]
    await progress("rag_retrieval", "Searching the knowledge base…", agent)
    embedding = inp.get("embedding")
    vector = np.asarray(embedding, dtype=np.float32) if embedding is not None else None
    query = inp.get("retrieval_query") or inp["query"]
    snapshot = await context.knowledge()
    chunks = await asyncio.to_thread(
        services.retriever.search,
        query,
        k=passages_for(services),
        prefer=list(own_domains(inp, context)),
        models=inp.get("models", []),
        min_score=services.settings.retrieval_min_score,
        query_embedding=vector,
        snapshot=snapshot,
    )
    return chunks


async def cite(
    inp: SpecialistInput, context: TurnContext, chunks: Sequence[RetrievedChunk]
) -> None:
    """Number the passages a specialist answers from (after those of the specialists read
    before it) and tell the client which they are."""
    agent = inp["agent"]
    numbers = await context.citations.cite(agent, chunks)
    await emit("sources", {"agent": agent, "sources": source_refs(chunks, numbers)})


async def generate(
    inp: SpecialistInput,
    context: TurnContext,
    system_prompt: str,
    request: AnswerRequest,
    history: Sequence[BaseMessage] = (),
) -> Written:
    """Stream the answer model's reply; its tokens are the ones the client sees. A language
    model's is screened for an echo of its prompt, and the offline answer stands in where it
    gives none (`agents.model_reply`)."""
    agent = inp["agent"]
    await progress("generating", "Writing the answer…", agent)
    services = context.services
    if not services.llm:
        model = services.answer_model.with_config(tags=[ANSWER_TAG, agent_tag(agent)])
        messages = build_messages(system_prompt, request, history)
        return Written((await model_reply.stream(model, messages)).text)
    prompt = Prompt(system_prompt, request, tuple(history))
    return await model_reply.write(services, prompt.messages, agent, echo_of(system_prompt))


async def say(
    inp: SpecialistInput, context: TurnContext, request: AnswerRequest, degraded: str | None = None
) -> Written:
    """Stream our own words as the answer, without a language model: the request's fixed
    reply as it is, or the offline answer to it (`degraded` says why it stands in)."""
    await progress("generating", "Writing the answer…", inp["agent"])
    messages = [HumanMessage(render(request))]
    return await model_reply.in_own_words(context.services, messages, inp["agent"], degraded)


def answer(
    inp: SpecialistInput,
    context: TurnContext,
    written: Written,
    chunks: Sequence[RetrievedChunk],
) -> dict[str, Any]:
    refs = source_refs(chunks, context.citations.number(chunks))
    result = SpecialistAnswer(
        agent=inp["agent"],
        text=written.text,
        sources=refs,
        confidence=inp["confidence"],
        truncated=written.truncated,
        degraded=written.degraded,
    )
    return {"answers": [result], "sources": refs}


async def grounded_answer(
    inp: SpecialistInput,
    context: TurnContext,
    *,
    system_prompt: str,
    tool_result: str | None = None,
) -> dict[str, Any]:
    """Retrieve in the specialist's own domains, then answer from what was found (and any tool
    result)."""
    chunks = await retrieve(inp, context)
    request = await answer_request(inp, context, chunks, tool_result=tool_result)
    written = await generate(inp, context, system_prompt, request, inp.get("history", []))
    return answer(inp, context, written, chunks)


async def answer_request(
    inp: SpecialistInput,
    context: TurnContext,
    chunks: Sequence[RetrievedChunk],
    *,
    tool_result: str | None = None,
) -> AnswerRequest:
    """The question with its numbered passages and what the knowledge base is about, and the
    documents' own words for the question's terms they never use."""
    knowledge = await context.knowledge()
    catalogue = knowledge.catalogue
    return AnswerRequest(
        question=inp["query"],
        terms=knowledge.wording.renamings(inp["query"]),
        sources=chunks,
        numbers=context.citations.number(chunks),
        vehicle=inp.get("vehicle"),
        tool_result=tool_result,
        brand=catalogue.brand,
        models=catalogue.model_names,
    )
