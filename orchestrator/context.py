"""What the graph's nodes need from the running service, handed in per turn."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from langchain_core.language_models import BaseChatModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from orchestrator.routing import SemanticRouter
from orchestrator.settings import Settings
from rag.embeddings import Embedder, EncodeBatcher
from rag.retriever import Retriever


@dataclass
class Services:
    """Long-lived parts shared by every turn."""

    settings: Settings
    embedder: Embedder
    retriever: Retriever
    router: SemanticRouter
    answer_model: BaseChatModel
    sessions: async_sessionmaker[AsyncSession]
    router_llm: BaseChatModel | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    http_client: httpx.AsyncClient | None = None
    # Async encoding shared by concurrent turns (one model call per burst).
    encoder: EncodeBatcher = field(init=False)

    def __post_init__(self) -> None:
        self.encoder = EncodeBatcher(self.embedder)

    async def aclose(self) -> None:
        """Close the connections the services hold open."""
        if self.http_client is not None:
            await self.http_client.aclose()


@dataclass
class TurnContext:
    services: Services
    customer_id: str
    turn_id: str
