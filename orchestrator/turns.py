"""One customer turn end to end: save the message, run the graph, stream, save the answer.

Whatever happens, the user's message and whatever answer was delivered are in SQL, and the
graph's checkpoint ends the turn with an assistant message, so history stays consistent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import openai
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph

from orchestrator import drafts
from orchestrator.checkpointer import fenced_config
from orchestrator.errors import EmptyReply, IncompleteAnswer, MalformedToolCall, ModelUnreachable
from orchestrator.events import STREAM_MODES, Progress, Token, TurnEvent, TurnStream
from orchestrator.graph import build_graph
from orchestrator.models import MessageStatus
from orchestrator.partial_answer import PartialSaver
from orchestrator.persistence import Fenced, conversations, users
from orchestrator.turn_context import Services, TurnContext
from orchestrator.turn_metadata import TurnMetadata
from orchestrator.turn_stop import Stop, stored_as

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Completed:
    response: str
    metadata: TurnMetadata
    message_id: str


@dataclass(frozen=True)
class Failed:
    code: str  # TIMEOUT | LLM_UNAVAILABLE | LLM_EMPTY_REPLY | PROCESSING_ERROR
    message: str
    partial: str
    retry_after: float | None = None  # seconds, when the failure says when to try again
    cause: str | None = None  # the exception's class, for the operator's log (never sent)


TurnOutcome = TurnEvent | Completed | Failed


def classify_failure(exc: BaseException) -> tuple[str, str]:
    """The stable error code and a customer-readable message for a failed turn."""
    if isinstance(exc, TimeoutError | openai.APITimeoutError | httpx.TimeoutException):
        return "TIMEOUT", "The answer took too long. Please try again."
    if isinstance(exc, openai.RateLimitError):
        return "LLM_UNAVAILABLE", "The language model is busy (rate limited). Please retry shortly."
    if isinstance(
        exc,
        openai.APIStatusError | openai.APIConnectionError | httpx.TransportError | ModelUnreachable,
    ):
        return "LLM_UNAVAILABLE", "The language model is unavailable right now. Please retry."
    if isinstance(exc, EmptyReply):
        return "LLM_EMPTY_REPLY", (
            "The language model sent back no answer (the conversation may be longer than it "
            "can read). Please try again, or start a new conversation."
        )
    if isinstance(exc, IncompleteAnswer):
        return "LLM_UNAVAILABLE", "The language model's answer was cut off. Please try again."
    if isinstance(exc, MalformedToolCall):
        return "PROCESSING_ERROR", "The language model returned a malformed tool call."
    return "PROCESSING_ERROR", "Something went wrong while answering. Please try again."


def retry_after_of(exc: BaseException) -> float | None:
    """The wait an upstream asked for (`Retry-After` in seconds, or `retry-after-ms`) on a
    rate-limited or unavailable model, if it named one."""
    if not isinstance(exc, openai.APIStatusError):
        return None
    headers = exc.response.headers
    try:
        if "retry-after-ms" in headers:
            seconds = float(headers["retry-after-ms"]) / 1000
        elif "retry-after" in headers:
            seconds = float(headers["retry-after"])
        else:
            return None
    except ValueError:  # an HTTP date: rare from model servers; no figure rather than a guess
        return None
    return seconds if 0 < seconds < 24 * 3600 else None


class Orchestrator:
    """Runs turns of the graph for the API (WebSocket and REST alike)."""

    def __init__(self, services: Services, graph: CompiledStateGraph[Any, Any, Any, Any]) -> None:
        self.services = services
        self.graph = graph
        self._drafting: CompiledStateGraph[Any, Any, Any, Any] | None = None

    async def draft(self, session_id: str, customer_id: str) -> drafts.Draft | None:
        """A reply drafted for staff to the customer's messages that wait for an answer (None
        when none waits): the same graph without its checkpointer, nothing stored or done
        (`orchestrator.drafts`)."""
        said = [
            drafts.Said(str(m.role), m.content, str(m.status))
            for m in await self.services.db.messages(session_id)
        ]
        found = drafts.question_and_history(said)
        if found is None:
            return None
        question, history = found
        async with self.services.sessions() as session:
            profile = await users.customer_profile(session, customer_id)
        if self._drafting is None:
            self._drafting = build_graph(None, self.services.specialists)
        return await drafts.draft(
            self.services,
            self._drafting,
            customer_id=customer_id,
            question=question,
            history=history,
            profile=profile,
        )

    def config(self, session_id: str) -> RunnableConfig:
        return {"configurable": {"thread_id": session_id}}

    async def stream_turn(
        self,
        *,
        session_id: str,
        customer_id: str,
        text: str,
        turn_id: str,
        attempt: int = 1,
        stop: Callable[[], Stop | None] = lambda: None,
        profile: dict[str, Any] | None = None,
    ) -> AsyncIterator[TurnOutcome]:
        """Events of one turn, ending in Completed or Failed; cancellation saves the partial.

        `stop` says why the turn is stopped when it is cancelled (None: by its client); the
        partial is stored as `orchestrator.turn_stop.stored_as` says, or not at all when the
        turn is another run's to end.

        The user's message is stored by whoever admitted it, before the turn runs (the API,
        `Database.open_for_message`); the turn stores its answer. `attempt` is this run of
        the turn (another instance runs it again when its own stalled or died): its answer is
        stored only while this run holds the turn's fence, else `Fenced` is raised and nothing
        is stored (see `conversations.take_over_turn`). `profile` is the customer's as read
        when the message was admitted; without it the turn reads it first."""
        started = time.perf_counter()
        yield Progress("starting", "Working on your question…")
        if profile is None:
            async with self.services.sessions() as session:
                profile = await users.customer_profile(session, customer_id)

        stream = TurnStream()
        context = TurnContext(self.services, customer_id, turn_id)
        graph_input: dict[str, Any] = {
            "messages": [HumanMessage(text, id=turn_id)],
            "customer": profile,
        }
        partial = PartialSaver(self.services, session_id, turn_id, attempt)
        try:
            async with asyncio.timeout(self.services.settings.turn_timeout_s):
                async for out in self._run_graph(
                    graph_input, fenced_config(session_id, turn_id, attempt), context, stream
                ):
                    if isinstance(out, Token):
                        partial.offer(stream.text)
                    yield out
            for out in stream.finish():
                yield out
        except asyncio.CancelledError:
            stored = stored_as(stop() or Stop.CANCELLED)
            if stored is not None:  # else the run that takes it over ends it
                with contextlib.suppress(Fenced):  # taken over meanwhile: likewise
                    await asyncio.shield(
                        self.store_end(
                            session_id,
                            turn_id,
                            stream.text,
                            *stored,
                            attempt=attempt,
                            metadata=self._stopped_metadata(stream, started),
                        )
                    )
            raise
        except Exception as exc:
            code, message = classify_failure(exc)
            log.warning("turn %s failed with %s: %r", turn_id, code, exc)
            await asyncio.shield(
                self.store_end(
                    session_id,
                    turn_id,
                    stream.text,
                    MessageStatus.failed,
                    code,
                    attempt=attempt,
                    metadata=self._stopped_metadata(stream, started),
                )
            )
            yield Failed(code, message, stream.text, retry_after_of(exc), type(exc).__name__)
            return

        metadata = stream.metadata.model_copy(
            update={
                "latency_ms": int((time.perf_counter() - started) * 1000),
                "mode": stream.metadata.mode or self.services.settings.answer_mode,
                "tools": stream.tools,
            }
        )
        async with self.services.sessions() as session:
            saved = await conversations.save_answer(
                session,
                session_id,
                turn_id,
                stream.text,
                status=MessageStatus.complete,
                metadata=metadata,
                attempt=attempt,
            )
            await session.commit()
        yield Completed(stream.text, metadata, saved.id)

    async def _run_graph(
        self,
        graph_input: dict[str, Any],
        config: RunnableConfig,
        context: TurnContext,
        stream: TurnStream,
    ) -> AsyncIterator[TurnEvent]:
        """Run the graph and map what it streams, by `astream_events` v2 or by stream modes.
        `config` says which run of which turn this is (`checkpointer.fenced_config`)."""
        durability = self.services.settings.checkpoint_durability
        if self.services.settings.stream_mode == "messages":
            async for mode, chunk in self.graph.astream(
                graph_input,
                config,
                context=context,
                stream_mode=list(STREAM_MODES),
                durability=durability,
            ):
                for out in stream.feed_part(mode, chunk):
                    yield out
            return
        async for event in self.graph.astream_events(
            graph_input, config, context=context, version="v2", durability=durability
        ):
            for out in stream.feed(dict(event)):
                yield out

    def _stopped_metadata(self, stream: TurnStream, started: float) -> TurnMetadata:
        return TurnMetadata(
            agents=stream.order,
            latency_ms=int((time.perf_counter() - started) * 1000),
            mode=self.services.settings.answer_mode,
            tools=stream.tools,  # a booking made before a cancel stays on record
        )

    async def store_end(
        self,
        session_id: str,
        turn_id: str,
        delivered: str,
        status: MessageStatus,
        code: str | None,
        *,
        attempt: int | None = None,
        metadata: TurnMetadata | None = None,
    ) -> None:
        """Store the end of a turn that did not answer (stopped, or failed) with what it
        delivered, unless an end is stored already, and end its checkpointed turn with it:
        every accepted message ends with one stored answer. The one place a stopped turn's end
        is stored, whoever stopped it (the turn itself, or its supervisor when it was stopped
        before it ran or between two of its events). `Fenced` when run `attempt` was taken
        over: nothing is stored."""
        async with self.services.sessions() as session:
            if await conversations.answer_for_turn(session, session_id, turn_id) is not None:
                return
            await conversations.save_answer(
                session,
                session_id,
                turn_id,
                delivered,
                status=status,
                metadata=metadata or TurnMetadata(mode=self.services.settings.answer_mode),
                error_code=code,
                attempt=attempt,
            )
            await session.commit()
        await self.end_checkpointed_turn(session_id, turn_id, delivered, status, code)

    async def end_checkpointed_turn(
        self,
        session_id: str,
        turn_id: str,
        answer: str,
        status: MessageStatus,
        code: str | None,
        question: str | None = None,
    ) -> None:
        """End the turn in the graph's checkpoint with `answer`, so the next turn's history has
        it; with `question`, the user's message too (a crash may have cut the turn off before
        its input was checkpointed: the same id replaces it if it was)."""
        messages: list[Any] = [
            AIMessage(answer, id=f"{turn_id}-answer", response_metadata={"status": str(status)})
        ]
        if question is not None:
            messages.insert(0, HumanMessage(question, id=turn_id))
        try:
            await self.graph.aupdate_state(
                self.config(session_id),
                {"messages": messages, "metadata": {"status": str(status), "error_code": code}},
                as_node="compose",
            )
        except Exception:
            log.exception("could not close the checkpointed turn %s", turn_id)

    async def history(self, session_id: str) -> list[Any]:
        state = await self.graph.aget_state(self.config(session_id))
        return list(state.values.get("messages", [])) if state else []
