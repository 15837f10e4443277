"""A reply drafted for a staff member: what the assistant would answer now, by the same path
as a turn (routing, retrieval, the specialists, the answer mode), with nothing stored and
nothing done.

The graph runs without a checkpointer, from the conversation as SQL holds it (the customer's
messages and every answer, the assistant's or a person's), asked the customer's messages that
wait for an answer. Its context says `drafting`: the appointment desk reads free times and
bookings, and says what it would book, cancel or move instead of doing it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph

from orchestrator.events import TurnStream
from orchestrator.models import MessageRole, MessageStatus
from orchestrator.turn_context import Services, TurnContext

HISTORY = 12  # the conversation's last messages the draft reads


@dataclass(frozen=True)
class Said:
    """One message of the conversation as SQL holds it."""

    role: str
    content: str
    status: str = MessageStatus.complete


@dataclass(frozen=True)
class Draft:
    """The drafted reply, the passages it cites ([n] order) and what it used."""

    text: str
    sources: list[dict[str, Any]] = field(default_factory=list)
    agents: list[str] = field(default_factory=list)
    tools: list[dict[str, Any]] = field(default_factory=list)
    mode: str | None = None


def question_and_history(said: Sequence[Said]) -> tuple[str, list[BaseMessage]] | None:
    """The customer's messages since the last answer, joined, and the conversation before
    them as the graph reads it; None when nothing of theirs waits for an answer."""
    kept = [
        s for s in said if s.role in (MessageRole.user, MessageRole.assistant, MessageRole.staff)
    ]
    waiting: list[str] = []
    while kept and kept[-1].role == MessageRole.user:
        waiting.insert(0, kept.pop().content)
    if not waiting:
        return None
    history: list[BaseMessage] = [
        HumanMessage(s.content) if s.role == MessageRole.user else AIMessage(s.content)
        for s in kept[-HISTORY:]
        if s.status == MessageStatus.complete and s.content
    ]
    return "\n".join(waiting), history


async def draft(
    services: Services,
    graph: CompiledStateGraph[Any, Any, Any, Any],
    *,
    customer_id: str,
    question: str,
    history: Sequence[BaseMessage],
    profile: dict[str, Any],
) -> Draft:
    """Run the checkpoint-less `graph` on the question, within the turn timeout."""
    draft_id = f"draft-{uuid.uuid4().hex[:12]}"
    context = TurnContext(services, customer_id, draft_id, drafting=True)
    stream = TurnStream()
    graph_input: dict[str, Any] = {
        "messages": [*history, HumanMessage(question, id=draft_id)],
        "customer": profile,
    }
    config: RunnableConfig = {"configurable": {"thread_id": draft_id}}
    async with asyncio.timeout(services.settings.turn_timeout_s):
        async for event in graph.astream_events(graph_input, config, context=context, version="v2"):
            stream.feed(dict(event))
        stream.finish()
    metadata = stream.metadata
    return Draft(
        text=stream.text,
        sources=metadata.sources,
        agents=metadata.agents,
        tools=stream.tools,
        mode=metadata.mode or services.settings.answer_mode,
    )
