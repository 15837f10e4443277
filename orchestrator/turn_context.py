"""What the graph's nodes need from the running service, handed in per turn."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import httpx
from langchain_core.language_models import BaseChatModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from orchestrator.model_abilities import ModelAbilities
from orchestrator.model_budget import ModelBudget
from orchestrator.model_gate import ModelGate
from orchestrator.model_health import ModelHealth
from orchestrator.persistence import Database
from orchestrator.routing import SemanticRouter
from orchestrator.settings import Settings
from rag.embeddings import Embedder, EncodeBatcher
from rag.retriever import RetrievedChunk, Retriever, Snapshot

if TYPE_CHECKING:  # the specialists import this module; their registry is handed in
    from agents.registry import Registry


@dataclass
class Services:
    """Long-lived parts shared by every turn."""

    settings: Settings
    embedder: Embedder
    retriever: Retriever
    router: SemanticRouter
    answer_model: BaseChatModel
    sessions: async_sessionmaker[AsyncSession]
    specialists: Registry  # the service's (`agents.wiring.build_services`)
    router_llm: BaseChatModel | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    http_client: httpx.AsyncClient | None = None
    # The offline answerer beside a language model: it speaks fixed replies and stands in for
    # the model when it cannot be reached or repeats its prompt. None: `answer_model` is it.
    offline_model: BaseChatModel | None = None
    model_health: ModelHealth = field(default_factory=ModelHealth)
    # Whether the model calls tools; where it does not, tool work is done by rules.
    model_abilities: ModelAbilities = field(default_factory=ModelAbilities)
    # The model's window as far as it is known, and the requests it may take at once.
    model_budget: ModelBudget = field(default_factory=lambda: ModelBudget(512))
    model_gate: ModelGate = field(default_factory=ModelGate)
    # Async encoding shared by concurrent turns (one model call per burst).
    encoder: EncodeBatcher = field(init=False)
    # Every read and write outside a turn's own transaction.
    db: Database = field(init=False)

    def __post_init__(self) -> None:
        self.encoder = EncodeBatcher(self.embedder)
        self.db = Database(self.sessions)

    @property
    def llm(self) -> bool:
        """Whether answers come from a language model (else from the offline answerer)."""
        return self.settings.answer_mode == "llm"

    @property
    def own_words(self) -> BaseChatModel:
        """The model that speaks our own text as an answer, and answers offline."""
        return self.offline_model if self.llm and self.offline_model else self.answer_model

    async def aclose(self) -> None:
        """Close the connections the services hold open."""
        if self.http_client is not None:
            await self.http_client.aclose()


@dataclass
class Citations:
    """One numbering of a turn's sources: the same passage gets the same [n] from every
    specialist, and the `sources` events list each passage with its number.

    Specialists run in parallel, yet the numbers follow the order their answers are read in
    (`expect`): a specialist cites once every one before it has cited or finished, so the same
    turn is numbered the same whichever specialist's search returns first.
    """

    numbers: dict[str, int] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    _cited: dict[str, asyncio.Event] = field(default_factory=dict, repr=False)

    def expect(self, agents: Sequence[str]) -> None:
        """The specialists of this turn, in the order their answers are read."""
        self.order = list(dict.fromkeys(agents))
        self._cited = {agent: asyncio.Event() for agent in self.order}

    async def cite(self, agent: str, chunks: Sequence[RetrievedChunk]) -> list[int]:
        """Number an agent's passages after those of every agent before it."""
        if agent in self._cited:
            for earlier in self.order[: self.order.index(agent)]:
                await self._cited[earlier].wait()
        numbers = self.number(chunks)
        self.done(agent)
        return numbers

    def done(self, agent: str) -> None:
        """The agent will cite nothing more in its turn (cited, answered, or failed)."""
        if agent in self._cited:
            self._cited[agent].set()

    def number(self, chunks: Sequence[RetrievedChunk]) -> list[int]:
        for chunk in chunks:
            self.numbers.setdefault(chunk.id, len(self.numbers) + 1)
        return [self.numbers[chunk.id] for chunk in chunks]


@dataclass
class TurnContext:
    services: Services
    customer_id: str
    turn_id: str
    citations: Citations = field(default_factory=Citations)
    # A reply drafted for staff (`orchestrator.drafts`): read what a turn reads, change nothing.
    drafting: bool = False
    _knowledge: Snapshot | None = field(default=None, repr=False)

    async def knowledge(self) -> Snapshot:
        """The knowledge base this turn reads, the same version from its start to its end."""
        if self._knowledge is None:
            self._knowledge = await asyncio.to_thread(self.services.retriever.current)
        return self._knowledge
