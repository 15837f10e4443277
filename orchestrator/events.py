"""From LangGraph's `astream_events` (v2) to the events of a turn. Pure: no I/O.

Specialists run in parallel, but a client must see one answer, not two interleaved: the
first specialist in routing order streams live, the others are held back and released in
order as each one before them finishes, with a blank line between answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ANSWER_TAG = "answer"
AGENT_TAG = "agent:"


def agent_tag(agent: str) -> str:
    """The tag that tells the stream mapper which specialist a token belongs to."""
    return f"{AGENT_TAG}{agent}"


SEPARATOR = "\n\n"


@dataclass(frozen=True)
class Progress:
    step: str
    message: str
    agent: str | None = None


@dataclass(frozen=True)
class Sources:
    agent: str
    sources: list[dict[str, Any]]


@dataclass(frozen=True)
class Routed:
    routes: list[dict[str, Any]]
    query: str


@dataclass(frozen=True)
class Token:
    text: str


TurnEvent = Progress | Sources | Routed | Token


@dataclass
class TurnStream:
    """Feeds on graph events; `text` is always the exact concatenation of emitted tokens."""

    order: list[str] = field(default_factory=list)
    text: str = ""
    _current: int = 0
    _held: dict[str, list[str]] = field(default_factory=dict)
    _finished: set[str] = field(default_factory=set)
    _spoken: set[str] = field(default_factory=set)

    def feed(self, event: dict[str, Any]) -> list[TurnEvent]:
        kind = event.get("event")
        if kind == "on_custom_event":
            return self._custom(str(event.get("name")), event.get("data") or {})
        if kind == "on_chat_model_stream" and ANSWER_TAG in (event.get("tags") or []):
            agent = next(
                (t[len(AGENT_TAG) :] for t in event.get("tags", []) if t.startswith(AGENT_TAG)), ""
            )
            chunk = (event.get("data") or {}).get("chunk")
            content = getattr(chunk, "content", "")
            if isinstance(content, str) and content:
                return self._token(agent, content)
            return []
        if kind == "on_chain_end" and event.get("name") in self.order:
            return self._agent_finished(str(event["name"]))
        return []

    def finish(self) -> list[TurnEvent]:
        """Release whatever is still held back, in routing order."""
        released: list[TurnEvent] = []
        for agent in self.order[self._current :]:
            released.extend(self._speak(agent, piece) for piece in self._held.pop(agent, []))
        self._current = len(self.order)
        return released

    def _custom(self, name: str, data: dict[str, Any]) -> list[TurnEvent]:
        if name == "progress":
            return [
                Progress(str(data.get("step")), str(data.get("message", "")), data.get("agent"))
            ]
        if name == "sources":
            return [Sources(str(data.get("agent")), list(data.get("sources", [])))]
        if name == "routes":
            routes = list(data.get("routes", []))
            self.order = [str(r["agent"]) for r in routes]
            return [Routed(routes, str(data.get("query", "")))]
        return []

    def _token(self, agent: str, content: str) -> list[TurnEvent]:
        if self._current < len(self.order) and agent == self.order[self._current]:
            return [self._speak(agent, content)]
        if agent not in self.order:
            return []
        self._held.setdefault(agent, []).append(content)
        return []

    def _speak(self, agent: str, content: str) -> Token:
        if agent not in self._spoken and self.text:
            content = SEPARATOR + content
        self._spoken.add(agent)
        self.text += content
        return Token(content)

    def _agent_finished(self, agent: str) -> list[TurnEvent]:
        self._finished.add(agent)
        released: list[TurnEvent] = []
        while self._current < len(self.order) and self.order[self._current] in self._finished:
            self._current += 1
            if self._current < len(self.order):
                following = self.order[self._current]
                released.extend(self._speak(following, p) for p in self._held.pop(following, []))
        return released
