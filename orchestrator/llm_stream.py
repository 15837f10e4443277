"""What a streamed answer from an OpenAI-compatible endpoint must be to count as complete.

The SDK ends a stream quietly when the body ends, whether or not the model finished: a stream
cut short without a `finish_reason` (and without `[DONE]`), or a 200 response whose body is
not server-sent events at all, reads as a short or empty answer. `CompleteStream` raises
`IncompleteAnswer` instead, so the turn ends with LLM_UNAVAILABLE and the partial answer is
stored as failed, not as complete; or `EmptyReply` when nothing at all came (LLM_EMPTY_REPLY:
llama.cpp's server answers a prompt past its context window so).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from orchestrator.errors import EmptyReply, IncompleteAnswer


def finished(chunk: object) -> bool:
    """Whether a streamed chunk (as parsed JSON) carries a choice's `finish_reason`."""
    if not isinstance(chunk, dict):
        return False
    choices = chunk.get("choices")
    return isinstance(choices, list) and any(
        isinstance(choice, dict) and choice.get("finish_reason") for choice in choices
    )


def said_something(chunk: object) -> bool:
    """Whether a streamed chunk (as parsed JSON) carries text or a tool call."""
    if not isinstance(chunk, dict):
        return False
    choices = chunk.get("choices")
    if not isinstance(choices, list):
        return False
    for choice in choices:
        delta = choice.get("delta") if isinstance(choice, dict) else None
        if isinstance(delta, dict) and (delta.get("content") or delta.get("tool_calls")):
            return True
    return False


class CompleteStream:
    """An SDK stream of chunk dicts that raises `IncompleteAnswer` unless the model said it
    finished; used as the SDK's stream is (`async with`, `async for`, `close`)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self.response = getattr(stream, "response", None)

    async def __aenter__(self) -> CompleteStream:
        await self._stream.__aenter__()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._stream.__aexit__(*exc_info)

    async def close(self) -> None:
        await self._stream.close()

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._chunks()

    def _events(self) -> bool:
        """Whether the body was declared a stream of events (an HTML error page is not)."""
        headers = getattr(self.response, "headers", None)
        kind = headers.get("content-type", "") if headers is not None else ""
        return str(kind).startswith("text/event-stream")

    async def _chunks(self) -> AsyncIterator[Any]:
        done = said = False
        try:
            async for chunk in self._stream:
                done = done or finished(chunk)
                said = said or said_something(chunk)
                yield chunk
        except json.JSONDecodeError as exc:
            raise IncompleteAnswer(f"the stream held an event that is not JSON: {exc}") from exc
        if not done and not said and self._events():
            raise EmptyReply("the model's server sent no answer and no reason for stopping")
        if not done:
            raise IncompleteAnswer("the stream ended before the model finished its answer")
