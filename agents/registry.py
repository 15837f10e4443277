"""The specialists: one folder each under `agents/`, found by `default_registry`.

A specialist is a package of `agents` whose `__init__` declares its entry, `SPECIALIST =
Specialist(...)`: its graph node, the route the router sends to it, the examples the semantic
router learns that route from, the line the LLM router reads about it, the knowledge-base
domains it searches first, what the assistant tells customers it helps with, and the label the
staff console shows. The graph, both routers, each node's search, ingest's domains (command line
and REST), the general assistant's prompt and replies, and the console's route filter all read
the registry, so adding a specialist is adding its folder: nothing else is edited.

Routing examples name no brand or model: at routing time the knowledge base's catalogue replaces
the brand and vehicle names in a message with "car" (`Catalogue.neutralise`), so routing reads
the same for any company's line-up. No message of `tests/data/routing_labelled.jsonl` (the
held-out evaluation set) may be copied into them.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from orchestrator.routing import GENERAL

Node = Callable[..., Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Specialist:
    name: str  # the route, the graph node, and the default knowledge-base domain
    node: Node
    label: str  # what the staff console calls it
    description: str  # what the LLM router reads about it
    examples: tuple[str, ...]  # messages the semantic router learns the route from
    domains: tuple[str, ...] | None = None  # domains it searches first; None: (name,)
    # What the general assistant tells customers it helps with ("vehicle specifications");
    # None: the label, in lower case. The general route itself is never listed.
    helps_with: str | None = None
    order: int = 100  # its place in the registry (then by name): lists, the greeting
    # Answers faults: a fault reported in passing is a request of its own, a message quoting a
    # fault code comes here, and its answer (with any safety advice) leads a combined answer.
    faults: bool = False
    # A message it would take that quotes a code ("towing … got TR-515, what now?") goes to the
    # fault route instead: the code outweighs the words around it.
    defers_codes: bool = False

    @property
    def searches(self) -> tuple[str, ...]:
        return (self.name,) if self.domains is None else self.domains


class Registry:
    """The specialists of one service, in routing order; the general route is required."""

    def __init__(self, specialists: Sequence[Specialist]) -> None:
        names = [s.name for s in specialists]
        if len(set(names)) != len(names):
            raise ValueError(f"two specialists share a name: {names}")
        if GENERAL not in names:
            raise ValueError(f"the registry needs the {GENERAL!r} specialist (the fallback)")
        self.specialists = tuple(specialists)
        self._by_name = {s.name: s for s in specialists}

    def __iter__(self) -> Iterator[Specialist]:
        return iter(self.specialists)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __getitem__(self, name: str) -> Specialist:
        return self._by_name[name]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._by_name)

    @property
    def domains(self) -> tuple[str, ...]:
        """The knowledge-base domains documents may belong to (besides `general`)."""
        found = dict.fromkeys(d for s in self.specialists for d in s.searches)
        return tuple(d for d in found if d != GENERAL)

    @property
    def offers(self) -> tuple[str, ...]:
        """What the assistant helps with, one phrase per specialist (the general one aside)."""
        return tuple(s.helps_with or s.label.lower() for s in self.specialists if s.name != GENERAL)

    @property
    def fault_routes(self) -> frozenset[str]:
        return frozenset(s.name for s in self.specialists if s.faults)

    def route_examples(self) -> dict[str, tuple[str, ...]]:
        return {s.name: s.examples for s in self.specialists}

    @property
    def fault_route(self) -> str | None:
        return next((s.name for s in self.specialists if s.faults), None)

    def defers_codes(self, route: str) -> bool:
        return route in self._by_name and self._by_name[route].defers_codes

    def leads(self, route: str) -> bool:
        """Whether this route's answer comes first in a combined answer."""
        return route in self._by_name and self._by_name[route].faults

    def router_prompt(self) -> str:
        """The specialists as the LLM router reads them."""
        return "\n".join(f"- {s.name}: {s.description}" for s in self.specialists)

    def llm_route_model(self) -> type[BaseModel]:
        """A pydantic model whose `routes` field allows this registry's names only."""
        return _llm_route_model(self.names)


@cache
def _llm_route_model(names: tuple[str, ...]) -> type[BaseModel]:
    allowed: Any = Literal.__getitem__(names)
    model: type[BaseModel] = create_model(
        "LLMRoute",
        __doc__="The specialists a customer message needs.",
        routes=(list[allowed], Field(min_length=1, max_length=3)),
    )
    return model


def discover(package: ModuleType) -> Registry:
    """The specialists declared in `package`'s folders: each subpackage whose `__init__` has a
    `SPECIALIST` entry, in the entries' `order`, then by name."""
    found: list[Specialist] = []
    for module in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
        if not module.ispkg:
            continue
        entry = getattr(importlib.import_module(module.name), "SPECIALIST", None)
        if entry is None:
            continue
        if not isinstance(entry, Specialist):
            raise TypeError(f"{module.name}.SPECIALIST is not a Specialist: {entry!r}")
        found.append(entry)
    return Registry(sorted(found, key=lambda s: (s.order, s.name)))


@cache
def default_registry() -> Registry:
    """The product's specialists: every folder of `agents/` that declares one."""
    import agents

    return discover(agents)
