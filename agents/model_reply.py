"""A specialist's answer from the language model, and the offline answer where it gives none.

The model's answer streams as it comes, screened for an echo of its prompt
(`orchestrator.prompt_echo`; the turn's stream screens its tokens alike). Where the model
cannot give an answer, the offline answerer gives one in our own words, marked `degraded`:
- the model's server cannot be reached, or is known not to be for now
  (`orchestrator.model_health`): the turn is answered at once, not failed;
- its answer repeats its prompt: the rest of it is dropped, the offline answer follows.
An empty reply (no text, no reason for stopping) is asked for once more, since nothing of it
reached the customer, then ends the turn with LLM_EMPTY_REPLY; an answer that stopped at its
`max_tokens` is kept, marked `truncated`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import cast

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.runnables import Runnable

from orchestrator.emit import emit
from orchestrator.errors import EmptyReply, ModelUnreachable
from orchestrator.events import ANSWER_TAG, OWN_WORDS_TAG, agent_tag
from orchestrator.model_health import ModelHealth, unreachable
from orchestrator.prompt_echo import EchoScreen, PromptEcho
from orchestrator.turn_context import Services

UNREACHABLE = "model unreachable"
ECHOED = "answer repeated the prompt"
EMPTY_REPLY_RETRIES = 1
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
    it was cut off at an echo of its prompt."""

    chunks: list[AIMessageChunk] = field(default_factory=list)
    text: str = ""
    finish_reason: str | None = None
    echoed: bool = False


Answering = Runnable[LanguageModelInput, BaseMessage]


async def stream(
    model: Answering,
    messages: Sequence[BaseMessage],
    screen: EchoScreen | None = None,
    out: Streamed | None = None,
) -> Streamed:
    """The model's streamed answer, read until it ends or `screen` finds an echo in it (the
    request is then closed); gathered in `out`, which keeps what came if it fails."""
    out = Streamed() if out is None else out
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
                    if screen.echoed:
                        out.echoed = True
                        break
    return out


async def ask(
    model: Answering,
    messages: Sequence[BaseMessage],
    health: ModelHealth,
    screen: EchoScreen | None = None,
) -> Streamed:
    """`stream`, an empty reply asked for again; the model's state recorded in `health`.
    `ModelUnreachable` when its server could not be reached."""
    for attempt in range(EMPTY_REPLY_RETRIES + 1):
        streamed = Streamed()
        try:
            await stream(model, messages, screen, streamed)
        except EmptyReply:
            health.reached()
            if attempt == EMPTY_REPLY_RETRIES:
                raise
            continue
        except Exception as exc:
            if unreachable(exc) and not streamed.chunks:
                health.failed(time.monotonic())
                raise ModelUnreachable(str(exc)) from exc
            raise
        health.reached()
        return streamed
    raise AssertionError("not reached: the last attempt returns or raises")


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
    services: Services, messages: Sequence[BaseMessage], agent: str, echo: PromptEcho
) -> Written:
    """The language model's answer; the offline answer where it cannot be reached or repeats
    its prompt."""
    health = services.model_health
    if not health.worth_calling(time.monotonic()):
        return await in_own_words(services, messages, agent, UNREACHABLE)
    screen = await screened(agent, echo)
    try:
        streamed = await ask(answering(services.answer_model, agent), messages, health, screen)
    except ModelUnreachable:
        return await in_own_words(services, messages, agent, UNREACHABLE)
    if streamed.echoed:
        return await in_own_words(services, messages, agent, ECHOED)
    return Written(streamed.text, truncated=streamed.finish_reason == LENGTH)
