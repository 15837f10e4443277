"""The graph's state: messages, routes, sources, the customer, and the answer's metadata."""

from __future__ import annotations

from typing import Annotated, Any, NotRequired, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages


def per_turn(old: list[Any] | None, new: list[Any] | None) -> list[Any]:
    """Accumulate within a turn (parallel specialists); `None` starts the turn afresh."""
    if new is None:
        return []
    return [*(old or []), *new]


class SpecialistAnswer(TypedDict):
    agent: str
    text: str
    sources: list[dict[str, Any]]
    confidence: float
    truncated: NotRequired[bool]  # the model was stopped at its max_tokens
    degraded: NotRequired[str | None]  # why the offline answer stands in for the model's


class Route(TypedDict):
    agent: str
    query: str
    confidence: float


class TurnState(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    query: str
    routes: list[Route]
    confidence: float
    sources: Annotated[list[dict[str, Any]], per_turn]
    answers: Annotated[list[SpecialistAnswer], per_turn]
    customer: dict[str, Any]
    metadata: dict[str, Any]


class SpecialistInput(TypedDict):
    """What `Send` hands one specialist."""

    agent: str
    query: str
    confidence: float
    embedding: list[float] | None  # of `retrieval_query` when that is given, else of `query`
    vehicle: str | None
    models: NotRequired[list[str]]  # the models the question is about, for retrieval's filter
    retrieval_query: NotRequired[str]
    history: list[AnyMessage]
    customer: dict[str, Any]
