"""A specialist's prompt fitted to the model's window. Pure: no I/O.

What gives way first is what the answer needs least: earlier answers are shortened, then the
oldest exchanges dropped, then the lowest-ranked passages, then the last passage's tail. The
instructions, the question and a tool's result are never cut (a tool's result reaches the
customer as the tool gave it). With no budget (the window unknown), nothing is cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from langchain_core.messages import AIMessage, BaseMessage

from agents.model_message import AnswerRequest, build_messages, instructions, render
from orchestrator.model_budget import chars_for, estimate_tokens

EARLIER_ANSWER_CHARS = 300  # what an earlier answer keeps of itself once the prompt is short
ELLIPSIS = "…"


@dataclass(frozen=True)
class Prompt:
    """What a specialist asks its model, made into messages for a budget of tokens."""

    system: str
    request: AnswerRequest
    history: Sequence[BaseMessage] = ()

    def messages(self, budget: int | None) -> list[BaseMessage]:
        request, history = fit(self.system, self.request, self.history, budget)
        return build_messages(self.system, request, history)


def cost(system: str, request: AnswerRequest, history: Sequence[BaseMessage]) -> int:
    """The estimated tokens of the prompt `build_messages` makes of these."""
    return estimate_tokens([instructions(system), *map(_text, history), render(request)])


def fit(
    system: str,
    request: AnswerRequest,
    history: Sequence[BaseMessage],
    budget: int | None,
) -> tuple[AnswerRequest, list[BaseMessage]]:
    """The request and history cut, least needed first, until their prompt's estimate fits
    `budget` tokens (or nothing more can go)."""
    history = list(history)
    if budget is None or cost(system, request, history) <= budget:
        return request, history
    history = [_shortened(m) for m in history]
    while history and cost(system, request, history) > budget:
        history = _without_oldest_exchange(history)
    sources = list(request.sources)
    numbers = list(request.numbers or range(1, len(sources) + 1))
    while len(sources) > 1 and cost(system, request, history) > budget:
        sources, numbers = sources[:-1], numbers[:-1]
        request = replace(request, sources=sources, numbers=numbers)
    excess = cost(system, request, history) - budget
    if excess > 0 and sources:
        last = sources[-1]
        keep = max(0, len(last.text) - chars_for(excess))
        text = _cut(last.text, keep)
        shorter = last.model_copy(update={"text": text})
        request = replace(request, sources=[*sources[:-1], shorter])
    return request, history


def _text(message: BaseMessage) -> str:
    return message.content if isinstance(message.content, str) else str(message.content)


def _shortened(message: BaseMessage) -> BaseMessage:
    """An earlier answer cut to `EARLIER_ANSWER_CHARS`: enough to know what was said."""
    text = _text(message)
    if not isinstance(message, AIMessage) or len(text) <= EARLIER_ANSWER_CHARS:
        return message
    return message.model_copy(update={"content": _cut(text, EARLIER_ANSWER_CHARS)})


def _without_oldest_exchange(history: list[BaseMessage]) -> list[BaseMessage]:
    """The history less its first message and the answers that follow it."""
    rest = history[1:]
    while rest and isinstance(rest[0], AIMessage):
        rest = rest[1:]
    return rest


def _cut(text: str, keep: int) -> str:
    """`text`'s first `keep` characters, ended at a whole word, marked as cut."""
    if len(text) <= keep:
        return text
    head = text[:keep]
    space = head.rfind(" ")
    head = head[:space] if space > keep // 2 else head
    return head.rstrip() + ELLIPSIS
