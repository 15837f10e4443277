"""A specialist's answer from the language model, and the offline answer where it gives none.

The model's answer streams as it comes, screened for an echo of its prompt
(`orchestrator.prompt_echo`; the turn's stream screens its tokens alike). Where the model
cannot give an answer, the offline answerer gives one in our own words, marked `degraded`:
- the model's server cannot be reached, or is known not to be for now
  (`orchestrator.model_health`): the turn is answered at once, not failed;
- its answer repeats its prompt: the rest of it is dropped, the offline answer follows.
An empty reply (no text, no reason for stopping) is asked for once more, since nothing of it
reached the customer, then ends the turn with LLM_EMPTY_REPLY; an answer that stopped at its
`max_tokens` is kept, marked `truncated`, and so is one stopped when it fell into a loop,
writing the same text over and over (`orchestrator.runaway`).
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import cast

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.runnables import Runnable
from openai import APIStatusError

from orchestrator.emit import emit
from orchestrator.errors import EmptyReply, IncompleteAnswer, ModelUnreachable
from orchestrator.events import ANSWER_TAG, OWN_WORDS_TAG, agent_tag
from orchestrator.model_budget import ModelBudget, estimate_tokens
from orchestrator.model_gate import ModelGate
from orchestrator.model_health import ModelHealth, unreachable
from orchestrator.prompt_echo import EchoScreen, PromptEcho
from orchestrator.runaway import LoopWatch
from orchestrator.screen import Screen
from orchestrator.turn_context import Services

UNREACHABLE = "model unreachable"
ECHOED = "answer repeated the prompt"
EMPTY_REPLY_RETRIES = 1
MAX_ATTEMPTS = 4  # one, and at most three more while nothing went out
# What an HTTP 400 says when the prompt is past the model's window (OpenAI, vLLM, llama.cpp).
LENGTH_WORDS = ("context", "too long", "maximum", "exceed")
LENGTH = "length"  # the finish_reason of an answer that reached its max_tokens


@dataclass(frozen=True)
class Written:
    """A specialist's answer: its text, whether the model was stopped at its `max_tokens`,
    and why the offline answer stands in for the model's, if it does."""

    text: str
    truncated: bool = False
    degraded: str | None = None


@dataclass
class Streamed:
    """What one streamed model call gave: its chunks, its text, why it stopped, and whether
    it was cut off at an echo of its prompt or in a loop."""

    chunks: list[AIMessageChunk] = field(default_factory=list)
    text: str = ""
    finish_reason: str | None = None
    echoed: bool = False
    screened: bool = False  # stopped by its screen: nothing more of it could go out
    looped: bool = False

    @property
    def cut_short(self) -> bool:
        """Whether the answer was stopped before the model ended it: at its `max_tokens`, or
        in a loop."""
        return self.finish_reason == LENGTH or self.looped


Answering = Runnable[LanguageModelInput, BaseMessage]


async def stream(
    model: Answering,
    messages: Sequence[BaseMessage],
    screen: Screen | None = None,
    out: Streamed | None = None,
) -> Streamed:
    """The model's streamed answer, read until it ends, `screen` finds an echo in it or it
    falls into a loop (the request is then closed); gathered in `out`, which keeps what came
    if it fails."""
    out = Streamed() if out is None else out
    watch = LoopWatch()
    async with aclosing(cast(AsyncGenerator[BaseMessage], model.astream(list(messages)))) as chunks:
        async for chunk in chunks:
            if not isinstance(chunk, AIMessageChunk):
                continue
            out.chunks.append(chunk)
            out.finish_reason = chunk.response_metadata.get("finish_reason") or out.finish_reason
            if isinstance(chunk.content, str) and chunk.content:
                out.text += chunk.content
                if screen is not None:
                    screen.feed(chunk.content)
                    if screen.stopped:
                        out.echoed = screen.echoed
                        out.screened = True
                        break
                if watch.feed(chunk.content):
                    out.looped = True
                    break
    return out


PromptSource = Callable[[int | None], list[BaseMessage]]


def _prompt(messages: Sequence[BaseMessage] | PromptSource) -> PromptSource:
    """A prompt to make for a budget of tokens (None: no limit known); fixed messages are
    sent as they are."""
    if callable(messages):
        return messages
    fixed = list(messages)
    return lambda _budget: fixed


def _refused_for_length(exc: BaseException) -> bool:
    """Whether the server refused the request for the prompt's length: llama.cpp's empty reply,
    or an HTTP 400 that names the context or the length."""
    if isinstance(exc, EmptyReply):
        return True
    status = getattr(exc, "status_code", None)
    text = str(exc).lower()
    return status == 400 and any(word in text for word in LENGTH_WORDS)


async def ask(
    model: Answering,
    messages: Sequence[BaseMessage] | PromptSource,
    health: ModelHealth,
    screen: Screen | None = None,
    budget: ModelBudget | None = None,
    gate: ModelGate | None = None,
    agent: str | None = None,
) -> Streamed:
    """`stream`, through the `gate`, the prompt made for the `budget`; the model's state
    recorded in `health`. Asked again while nothing of the answer has gone out: a prompt
    refused for its length (the window learnt smaller, the prompt fitted to it), a stream cut
    for another request (one request at a time from then on), an empty reply (once).
    `ModelUnreachable` when its server could not be reached."""
    prompt, gate = _prompt(messages), gate or ModelGate()
    empty_retries = 0
    for _attempt in range(MAX_ATTEMPTS):
        sent = prompt(budget.prompt_tokens() if budget else None)
        streamed = Streamed()
        try:
            async with gate.through(_queued(agent)) as this:
                await stream(model, sent, screen, streamed)
        except Exception as exc:
            if unreachable(exc) and not streamed.chunks:
                health.failed(time.monotonic())
                raise ModelUnreachable(str(exc)) from exc
            if not isinstance(exc, IncompleteAnswer | APIStatusError) or _said(streamed):
                raise
            health.reached()
            if isinstance(exc, IncompleteAnswer) and this.overlapped and gate.one_at_a_time():
                continue
            tokens = estimate_tokens(_texts(sent))
            if budget and _refused_for_length(exc) and budget.refused(tokens):
                continue
            if isinstance(exc, EmptyReply) and empty_retries < EMPTY_REPLY_RETRIES:
                empty_retries += 1
                continue
            raise
        health.reached()
        if budget and streamed.finish_reason == LENGTH:
            budget.stopped_short(estimate_tokens(_texts(sent)), _tokens_written(streamed))
        return streamed
    raise EmptyReply("the model's server gave no answer however the request was sent")


def _tokens_written(streamed: Streamed) -> int:
    """The tokens of the answer, at least: its chunks of text (one a token as a server streams
    them; fewer where reads were merged, `orchestrator.model_transport`)."""
    return sum(1 for c in streamed.chunks if isinstance(c.content, str) and c.content)


def _said(streamed: Streamed) -> bool:
    """Whether anything of an answer came: text (the customer may have seen it) or a tool
    call (a tool may be about to run)."""
    return bool(streamed.text) or any(c.tool_call_chunks for c in streamed.chunks)


def _texts(messages: Sequence[BaseMessage]) -> list[str]:
    return [m.content if isinstance(m.content, str) else str(m.content) for m in messages]


def _queued(agent: str | None) -> Callable[[int], Awaitable[None]]:
    async def tell(ahead: int) -> None:
        await emit(
            "progress",
            {
                "step": "queued",
                "message": "Waiting for the language model: it answers one request at a time.",
                "agent": agent,
                "position": ahead,
            },
        )

    return tell


def answering(model: Answering, agent: str, *tags: str) -> Answering:
    """`model` with its tokens tagged as `agent`'s answer."""
    return model.with_config(tags=[ANSWER_TAG, agent_tag(agent), *tags])


async def screened(agent: str, echo: PromptEcho) -> EchoScreen:
    """A screen for the agent's answer; the turn's stream screens its tokens alike."""
    await emit("screen", {"agent": agent, "echo": echo})
    return EchoScreen(echo)


async def in_own_words(
    services: Services,
    messages: Sequence[BaseMessage],
    agent: str,
    degraded: str | None = None,
) -> Written:
    """The offline answerer's answer (a fixed reply given as it is, or the answer it finds in
    the passages), streamed as the agent's."""
    model = answering(services.own_words, agent, OWN_WORDS_TAG)
    streamed = await stream(model, messages)
    return Written(streamed.text, degraded=degraded)


async def write(
    services: Services,
    messages: Sequence[BaseMessage] | PromptSource,
    agent: str,
    echo: PromptEcho,
) -> Written:
    """The language model's answer to the prompt (made for the model's window); the offline
    answer where it cannot be reached or repeats its prompt."""
    health = services.model_health
    prompt = _prompt(messages)
    if not health.worth_calling(time.monotonic()):
        return await in_own_words(services, prompt(None), agent, UNREACHABLE)
    screen = await screened(agent, echo)
    try:
        streamed = await ask(
            answering(services.answer_model, agent),
            prompt,
            health,
            screen,
            services.model_budget,
            services.model_gate,
            agent,
        )
    except ModelUnreachable:
        return await in_own_words(services, prompt(None), agent, UNREACHABLE)
    if streamed.echoed:
        return await in_own_words(services, prompt(None), agent, ECHOED)
    return Written(streamed.text, truncated=streamed.cut_short)
