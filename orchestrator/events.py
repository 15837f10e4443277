"""From LangGraph's stream to the events of a turn. Pure: no I/O.

A turn runs the graph one of two ways, and both map to the same turn events: `feed` takes
`astream_events` (v2) events, `feed_part` takes the `(mode, chunk)` parts of
`astream(stream_mode=STREAM_MODES)`. Nodes report progress, routes, sources and tool calls as
custom events (`orchestrator.emit`); answer tokens are chat-model chunks of runs tagged ANSWER_TAG
and `agent_tag(agent)`; a specialist has finished when its node ends (v2) or its update
arrives ("updates"); compose's output carries the turn's metadata.

Specialists run in parallel, but a client must see one answer, not two interleaved: the
first specialist in routing order streams live, the others are held back and released in
order as each one before them finishes, with a blank line between answers. Where several
answer, one that found nothing ("I couldn't find…") for a part of the message that asks
nothing of its own ("…I think mine's stuck", "my car shows P0A80") is said only if no other
answer found anything: the customer reads the answer, not "I couldn't find" and then the
answer. Where its part asks a question, that it found nothing is said, as the answer to it.

A language model's answer is screened for an echo of its prompt (`orchestrator.prompt_echo`)
when its specialist asks for it (a `screen` event): what could begin an echo is held until it
is clear, and from an echo on the model's tokens are dropped; the specialist's answer goes on
with the tokens of a run tagged OWN_WORDS_TAG (the offline answer standing in for the model's).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from langchain_core.messages import BaseMessageChunk

from orchestrator.prompt_echo import EchoScreen, PromptEcho
from orchestrator.routing import ASKS
from orchestrator.screen import Screen
from orchestrator.turn_metadata import TurnMetadata

ANSWER_TAG = "answer"
OWN_WORDS_TAG = "own_words"  # our own text (the offline answerer's): never screened
AGENT_TAG = "agent:"
COMPOSE = "compose"
# What `feed_part` understands: answer tokens, custom events, and each node's update.
STREAM_MODES: tuple[Literal["messages", "custom", "updates"], ...] = (
    "messages",
    "custom",
    "updates",
)


def agent_tag(agent: str) -> str:
    """The tag that tells the stream mapper which specialist a token belongs to."""
    return f"{AGENT_TAG}{agent}"


SEPARATOR = "\n\n"
# How an answer that found nothing opens, the offline answerer's and our own replies' alike
# (a test holds the specialists' wording to it).
FOUND_NOTHING = "I couldn't find"


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


@dataclass(frozen=True)
class ToolCall:
    """A specialist calls a tool (the model's call, or the offline mode's own)."""

    agent: str
    call_id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class ToolResult:
    """What the tool gave back: a short summary, and whether it ran."""

    agent: str
    call_id: str
    name: str
    ok: bool
    summary: str


TurnEvent = Progress | Sources | Routed | Token | ToolCall | ToolResult


@dataclass
class TurnStream:
    """Feeds on graph events; `text` is always the exact concatenation of emitted tokens."""

    order: list[str] = field(default_factory=list)
    text: str = ""
    metadata: TurnMetadata = field(default_factory=TurnMetadata)  # from compose's output
    # Every tool the turn used, in call order, with its result once it came (kept with the
    # stored answer: what the bot did stays in the transcript).
    tools: list[dict[str, Any]] = field(default_factory=list)
    _current: int = 0
    _held: dict[str, list[str]] = field(default_factory=dict)
    _finished: set[str] = field(default_factory=set)
    _spoken: set[str] = field(default_factory=set)
    _screens: dict[str, Screen] = field(default_factory=dict)
    # In a turn of several specialists, those whose part asks nothing of its own and whose
    # answer may yet be one that found nothing; what such an answer said meanwhile; and those
    # that found nothing, said only if no other answer is.
    _asked_nothing: set[str] = field(default_factory=set)
    _doubted: dict[str, list[str]] = field(default_factory=dict)
    _withheld: dict[str, str] = field(default_factory=dict)

    def feed(self, event: dict[str, Any]) -> list[TurnEvent]:
        """Map one `astream_events` (v2) event."""
        kind = event.get("event")
        data = event.get("data") or {}
        if kind == "on_custom_event":
            return self._custom(str(event.get("name")), data)
        if kind == "on_chat_model_stream":
            return self._answer(event.get("tags"), None, data.get("chunk"))
        if kind == "on_chain_end":
            return self._node_finished(str(event.get("name")), data.get("output"))
        return []

    def feed_part(self, mode: str, chunk: Any) -> list[TurnEvent]:
        """Map one `(mode, chunk)` part of `astream(stream_mode=STREAM_MODES)`."""
        if mode == "custom" and isinstance(chunk, dict):
            return self._custom(str(chunk.get("name")), chunk.get("data") or {})
        if mode == "messages":
            message, meta = chunk
            # Complete messages (a node's output, say) are not streamed tokens.
            if not isinstance(message, BaseMessageChunk):
                return []
            return self._answer(meta.get("tags"), meta.get("langgraph_node"), message)
        if mode == "updates" and isinstance(chunk, dict):
            out: list[TurnEvent] = []
            for node, update in chunk.items():
                out.extend(self._node_finished(str(node), update))
            return out
        return []

    def finish(self) -> list[TurnEvent]:
        """Release whatever is still held back, in routing order."""
        released: list[TurnEvent] = []
        for agent in self.order[self._current :]:
            released.extend(self._unscreened(agent))
            released.extend(self._settled(agent))
            released.extend(self._speak(agent, piece) for piece in self._held.pop(agent, []))
        self._current = len(self.order)
        return [*released, *self._if_nothing_found()]

    def _custom(self, name: str, data: dict[str, Any]) -> list[TurnEvent]:
        if name == "progress":
            return [
                Progress(str(data.get("step")), str(data.get("message", "")), data.get("agent"))
            ]
        if name == "sources":
            return [Sources(str(data.get("agent")), list(data.get("sources", [])))]
        if name == "tool_call":
            call = ToolCall(
                str(data.get("agent")),
                str(data.get("call_id")),
                str(data.get("name")),
                dict(data.get("arguments") or {}),
            )
            self._record_call(call)
            return [call]
        if name == "tool_result":
            result = ToolResult(
                str(data.get("agent")),
                str(data.get("call_id")),
                str(data.get("name")),
                bool(data.get("ok")),
                str(data.get("summary", "")),
            )
            self._record_result(result)
            return [result]
        if name == "screen" and isinstance(data.get("echo"), PromptEcho):
            self._screens[str(data.get("agent"))] = EchoScreen(data["echo"])
            return []
        if name == "screen" and callable(data.get("make")):  # a specialist's own screen
            self._screens[str(data.get("agent"))] = data["make"]()
            return []
        if name == "routes":
            routes = list(data.get("routes", []))
            self.order = [str(r["agent"]) for r in routes]
            self._asked_nothing = (
                {str(r["agent"]) for r in routes if not ASKS.search(str(r.get("query", "")))}
                if len(routes) > 1
                else set()
            )
            return [Routed(routes, str(data.get("query", "")))]
        return []

    def _record_call(self, call: ToolCall) -> None:
        self.tools.append(
            {
                "call_id": call.call_id,
                "name": call.name,
                "arguments": call.arguments,
                "agent": call.agent,
                "ok": None,
                "summary": None,
            }
        )

    def _record_result(self, result: ToolResult) -> None:
        entry = next((t for t in self.tools if t["call_id"] == result.call_id), None)
        if entry is None:  # a result without its call: keep it all the same
            self._record_call(ToolCall(result.agent, result.call_id, result.name, {}))
            entry = self.tools[-1]
        entry.update(ok=result.ok, summary=result.summary)

    def _answer(self, tags: Sequence[str] | None, node: str | None, chunk: Any) -> list[TurnEvent]:
        """A chunk of a chat model's stream: a token only if its run is tagged as an answer."""
        tags = tags or ()
        if ANSWER_TAG not in tags:
            return []
        agent = next((t[len(AGENT_TAG) :] for t in tags if t.startswith(AGENT_TAG)), node or "")
        content = getattr(chunk, "content", "")
        if not isinstance(content, str) or not content:
            return []
        if OWN_WORDS_TAG in tags:
            self._screens.pop(agent, None)
        elif agent in self._screens:
            content = self._screens[agent].feed(content)
        return self._token(agent, content) if content else []

    def _node_finished(self, node: str, output: Any) -> list[TurnEvent]:
        if node == COMPOSE and isinstance(output, dict):
            self.metadata = TurnMetadata.of_graph(output.get("metadata") or {})
        if node in self.order:
            return [*self._unscreened(node), *self._agent_finished(node)]
        return []

    def _unscreened(self, agent: str) -> list[TurnEvent]:
        """What the agent's screen still held when its answer ended."""
        screen = self._screens.pop(agent, None)
        rest = screen.flush() if screen is not None else ""
        return self._token(agent, rest) if rest else []

    def _token(self, agent: str, content: str) -> list[TurnEvent]:
        if agent in self._asked_nothing:
            doubted = self._doubted.setdefault(agent, [])
            doubted.append(content)
            said = "".join(doubted).lstrip()
            if said.startswith(FOUND_NOTHING) or FOUND_NOTHING.startswith(said):
                return []  # it may be saying it found nothing: held until it ends or is clear
            self._asked_nothing.discard(agent)
            content = "".join(self._doubted.pop(agent))
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
        released = self._settled(agent)
        self._finished.add(agent)
        while self._current < len(self.order) and self.order[self._current] in self._finished:
            self._current += 1
            if self._current < len(self.order):
                following = self.order[self._current]
                released.extend(self._speak(following, p) for p in self._held.pop(following, []))
        if self._current == len(self.order):
            released.extend(self._if_nothing_found())
        return released

    def _settled(self, agent: str) -> list[TurnEvent]:
        """An answer that has ended while it was in doubt: withheld if it found nothing, else
        on its way as any other."""
        doubted = self._doubted.pop(agent, None)
        if doubted is None:
            return []
        said = "".join(doubted)
        if said.lstrip().startswith(FOUND_NOTHING):
            self._withheld[agent] = said
            return []
        self._asked_nothing.discard(agent)
        return self._token(agent, said)

    def _if_nothing_found(self) -> list[TurnEvent]:
        """Once every answer has ended: the first that found nothing, where no other found
        anything; nothing otherwise."""
        withheld, self._withheld = self._withheld, {}
        if self._spoken or not withheld:
            return []
        first = next(a for a in self.order if a in withheld)
        return [self._speak(first, withheld[first])]
