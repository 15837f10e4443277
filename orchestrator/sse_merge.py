"""Runs of text deltas in an OpenAI-style event stream, merged into one delta each.

A chat model streams its answer as server-sent events, one JSON chunk per token. Every event
costs the process the same whatever it holds: the SDK's decoding, LangChain's chunk and
callbacks, the graph's stream, our translation. When a read of the stream brings several
events at once (the transport reads the model less often under a crowd,
`orchestrator.model_transport`), `DeltaMerger` makes each run of consecutive events that only
add answer text into one event carrying the run's text, so the run costs one event's work.

Only what cannot change the answer's meaning is merged: one choice, index 0, a delta of
`content` (with the same `role`, or none, and a null `refusal`), no `finish_reason`, no
`logprobs`, no `usage`, the same `id`. Anything else (tool calls, the finish, usage, `[DONE]`,
comments, events of several lines) passes unchanged and in order. A stream that uses `\\r` in
its line endings is passed on untouched. Sans I/O: bytes in, bytes out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

SEPARATOR = b"\n\n"
DATA = b"data:"
_CHOICE_KEYS = frozenset({"index", "delta", "finish_reason", "logprobs"})
_DELTA_KEYS = frozenset({"content", "role", "refusal"})


def text_delta(event: bytes) -> dict[str, Any] | None:
    """The chunk of an event (without its separator) that only adds answer text, or None."""
    if b"\n" in event or not event.startswith(DATA):
        return None
    payload = event[len(DATA) :].lstrip(b" ")
    if not payload.startswith(b"{"):
        return None
    try:
        chunk = json.loads(payload)
    except ValueError:
        return None
    choices = chunk.get("choices") if isinstance(chunk, dict) else None
    if not isinstance(choices, list) or len(choices) != 1 or chunk.get("usage") is not None:
        return None
    choice = choices[0]
    if not isinstance(choice, dict) or not _CHOICE_KEYS.issuperset(choice):
        return None
    if choice.get("index", 0) != 0 or choice.get("finish_reason") or choice.get("logprobs"):
        return None
    delta = choice.get("delta")
    if not isinstance(delta, dict) or not _DELTA_KEYS.issuperset(delta):
        return None
    if not isinstance(delta.get("content"), str) or delta.get("refusal") is not None:
        return None
    return chunk


def _content(chunk: dict[str, Any]) -> str:
    return str(chunk["choices"][0]["delta"]["content"])


def _joins(run: dict[str, Any], chunk: dict[str, Any]) -> bool:
    """Whether `chunk` may be merged into `run`: the same completion, the same speaker."""
    role = chunk["choices"][0]["delta"].get("role")
    first = run["choices"][0]["delta"].get("role")
    return chunk.get("id") == run.get("id") and role in (None, first)


@dataclass
class DeltaMerger:
    """Feed it the stream's bytes as they are read; each call returns what may go on now.

    An event not yet complete stays until the read that completes it; a run of text deltas
    never waits for a later read (it goes out, merged, with the read that completed it)."""

    spoke: bool = False  # some answer text has gone through a merging read
    merged: int = 0  # events saved so far
    _tail: bytes = b""
    _raw: bool = False  # the stream uses \r: passed on untouched
    _run: dict[str, Any] | None = None
    _run_text: list[str] = field(default_factory=list)
    _run_raw: bytes = b""

    def feed(self, data: bytes, merge: bool = True) -> bytes:
        """The complete events `data` ends, runs of text deltas merged; not asked to `merge`,
        what it holds and `data`, as they came (nothing parsed)."""
        if self._raw or not merge:
            whole, self._tail = self._tail + data, b""
            return whole
        if b"\r" in data:
            self._raw = True
            return self.feed(data)
        *events, self._tail = (self._tail + data).split(SEPARATOR)
        out: list[bytes] = []
        for event in events:
            chunk = text_delta(event)
            if chunk is not None and self._run is not None and _joins(self._run, chunk):
                self._run_text.append(_content(chunk))
                self.merged += 1
                continue
            out.append(self._end_run())
            if chunk is None:
                out.append(event + SEPARATOR)
            else:
                self._run, self._run_text, self._run_raw = chunk, [_content(chunk)], event
        out.append(self._end_run())
        return b"".join(out)

    def flush(self) -> bytes:
        """What is left when the stream ends: an incomplete last event, as it came."""
        out, self._tail = self._end_run() + self._tail, b""
        return out

    def _end_run(self) -> bytes:
        run, self._run = self._run, None
        if run is None:
            return b""
        text = "".join(self._run_text)
        self.spoke = self.spoke or bool(text)
        if len(self._run_text) == 1:
            return self._run_raw + SEPARATOR
        run["choices"][0]["delta"]["content"] = text
        return DATA + b" " + json.dumps(run, ensure_ascii=False).encode() + SEPARATOR
