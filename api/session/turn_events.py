"""Turn outcomes from the orchestrator as protocol events. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api.protocol import (
    ERROR_DESCRIPTIONS,
    TURN_ENDING_ERRORS,
    CancelledEvent,
    CompleteContext,
    CompleteEvent,
    CompleteMetadata,
    ErrorCode,
    ErrorEvent,
    ProgressEvent,
    ServerEventBase,
    SourceRef,
    SourcesEvent,
    TokenEvent,
    ToolCallEvent,
    ToolResultEvent,
    ToolUse,
)
from orchestrator.events import Progress, Sources, Token, ToolCall, ToolResult
from orchestrator.models import Message, MessageStatus
from orchestrator.routing import GENERAL
from orchestrator.turn_metadata import TurnMetadata
from orchestrator.turns import Completed, Failed, TurnOutcome

STEPS = {"starting", "agent_routing", "rag_retrieval", "generating"}
SOURCE_FIELDS = tuple(SourceRef.model_fields)


@dataclass
class TurnTranslator:
    """Keeps the answer so far, for `partial_response` and for a cancel."""

    session_id: str
    turn_id: str
    partial: str = ""
    cause: str | None = None  # a failure's, for the operator's log (never sent)

    def translate(self, outcome: TurnOutcome) -> ServerEventBase | None:
        ids = {"session_id": self.session_id, "turn_id": self.turn_id}
        match outcome:
            case Progress(step=step, message=message, agent=agent) if step in STEPS:
                return ProgressEvent(step=step, message=message, agent=agent, **ids)
            case Sources(agent=agent, sources=sources):
                return SourcesEvent(sources=[source_ref(s) for s in sources], agent=agent, **ids)
            case ToolCall(agent=agent, call_id=call_id, name=name, arguments=arguments):
                return ToolCallEvent(
                    call_id=call_id, name=name, arguments=arguments, agent=agent, **ids
                )
            case ToolResult(agent=agent, call_id=call_id, name=name, ok=ok, summary=summary):
                return ToolResultEvent(
                    call_id=call_id, name=name, ok=ok, summary=summary, agent=agent, **ids
                )
            case Token(text=text):
                self.partial += text
                return TokenEvent(token=text, partial_response=self.partial, **ids)
            case Completed(response=response, metadata=metadata, message_id=message_id):
                return complete_event(response, metadata, message_id, **ids)
            case Failed(code=code, message=message, retry_after=retry_after, cause=cause):
                self.cause = cause
                return ErrorEvent(
                    error=message, code=ErrorCode(code), retry_after=retry_after, **ids
                )
        return None


def source_ref(passage: dict[str, Any]) -> SourceRef:
    """A passage as the protocol lists it (keys it does not define are left out)."""
    return SourceRef(**{k: passage[k] for k in SOURCE_FIELDS if k in passage})


def complete_context(passages: list[dict[str, Any]]) -> CompleteContext:
    """`sources` the documents the passages come from, each once, in [n] order; `passages`
    the passages themselves."""
    refs = [source_ref(p) for p in passages]
    numbered = sorted(refs, key=lambda ref: (ref.n is None, ref.n or 0))
    return CompleteContext(sources=list(dict.fromkeys(r.source for r in numbered)), passages=refs)


def complete_event(
    response: str, metadata: TurnMetadata, message_id: str | None, **ids: str | None
) -> CompleteEvent:
    agents = metadata.agents
    return CompleteEvent(
        response=response,
        metadata=CompleteMetadata(
            agent=metadata.agent or (agents[0] if agents else GENERAL),
            agents=agents,
            confidence=metadata.confidence or 0.0,
            context=complete_context(metadata.sources),
            tools=[ToolUse(**t) for t in metadata.tools],
            latency_ms=metadata.latency_ms or 0,
            mode=metadata.mode or "offline",
            truncated=metadata.truncated,
            degraded=metadata.degraded,
            message_id=message_id,
        ),
        **ids,
    )


def stored_answer(answer: Message, session_id: str) -> ServerEventBase:
    """The answer a repeated message id already got, or a turn's stored end, to send again
    without a seq."""
    if answer.status == MessageStatus.cancelled:
        return CancelledEvent(
            partial_response=answer.content, session_id=session_id, turn_id=answer.turn_id
        )
    if answer.status == MessageStatus.failed:
        codes = {code.value: code for code in TURN_ENDING_ERRORS}
        code = codes.get(answer.error_code or "", ErrorCode.PROCESSING_ERROR)
        return ErrorEvent(
            code=code,
            error=ERROR_DESCRIPTIONS[code],
            session_id=session_id,
            turn_id=answer.turn_id,
        )
    metadata = TurnMetadata(
        agents=answer.agents or [],
        confidence=answer.confidence,
        sources=answer.sources or [],
        tools=answer.tools or [],
        latency_ms=answer.latency_ms,
        mode=answer.mode,
    )
    return complete_event(
        answer.content, metadata, answer.id, session_id=session_id, turn_id=answer.turn_id
    )
