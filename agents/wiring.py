"""The composition root: the product's specialists wired into the orchestrator.

The orchestrator's core (graph, nodes, turns) knows the specialists only as the `Registry` its
services hold; here that registry (`default_registry`, unless one is handed in), the offline
answerer and the service's models are put together. The command line and the API build their
service here; no specialist imports this module.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import httpx
from langchain_core.language_models import BaseChatModel
from langgraph.checkpoint.base import BaseCheckpointSaver
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agents.offline_model import ExtractiveChatModel
from agents.registry import Registry, default_registry
from orchestrator import knowledge
from orchestrator.graph import build_graph
from orchestrator.knowledge import knowledge_store
from orchestrator.llm import chat_openai, router_model
from orchestrator.model_abilities import ModelAbilities
from orchestrator.model_budget import ModelBudget
from orchestrator.model_gate import ModelGate
from orchestrator.model_health import ModelHealth
from orchestrator.model_transport import model_http_client, no_pace
from orchestrator.routing import SemanticRouter
from orchestrator.settings import Settings
from orchestrator.turn_context import Services
from orchestrator.turns import Orchestrator
from rag.catalogue import Catalogue
from rag.embeddings import Embedder, RememberingEmbedder, limit_threads
from rag.retriever import Retriever

log = logging.getLogger(__name__)


def answer_model(
    settings: Settings,
    embedder: Embedder,
    http_client: httpx.AsyncClient | None = None,
    catalogue: Callable[[], Catalogue] = Catalogue,
) -> BaseChatModel:
    """The chat model that writes answers, chosen by the answer mode."""
    match settings.answer_mode:
        case "llm":
            return chat_openai(
                settings,
                http_client,
                streaming=True,
                timeout_s=settings.llm_timeout_s,
                max_retries=settings.llm_max_retries,
                temperature=0.1,
                max_tokens=settings.llm_max_tokens,
            )
        case _:
            return extractive_model(embedder, catalogue)


def extractive_model(
    embedder: Embedder, catalogue: Callable[[], Catalogue] = Catalogue
) -> BaseChatModel:
    """The offline answerer: the answer model without a language model, and what speaks our
    own words (fixed replies) and stands in for a language model that cannot answer."""
    # It embeds every sentence of the passages it reads; most it has read before.
    return ExtractiveChatModel(embedder=RememberingEmbedder(embedder), catalogue=catalogue)


def build_router(embedder: Embedder, specialists: Registry | None = None) -> SemanticRouter:
    """The semantic router over every specialist's examples."""
    examples = (specialists or default_registry()).route_examples()
    texts = [text for route_examples in examples.values() for text in route_examples]
    return SemanticRouter(examples, embedder.encode(texts))


def build_services(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    embedder: Embedder | None = None,
    specialists: Registry | None = None,
    pace: Callable[[], float] = no_pace,
) -> Services:
    """Load the models once; the retriever reads the store lazily and follows later ingests.
    `pace` says how often a streamed answer is read once it has begun (`model_transport`)."""
    limit_threads(settings.embedding_threads)
    specialists = specialists or default_registry()
    store = knowledge_store(settings)
    if embedder is None:  # at the knowledge base's precision, so questions match its vectors
        embedder = knowledge.embedder(settings, precision=knowledge.precision_of(settings, store))
    retriever = Retriever(store, embedder, knowledge.glossary(settings))
    router_llm = None
    http_client = None
    offline_model = None

    def catalogue() -> Catalogue:  # the knowledge base's, as later ingests leave it
        return retriever.catalogue

    if settings.answer_mode == "llm":
        # One client per service instance, bound to the loop that serves it.
        http_client = model_http_client(settings.llm_timeout_s, settings.llm_max_connections, pace)
        router_llm = router_model(settings, http_client)
        offline_model = extractive_model(embedder, catalogue)
    services = Services(
        settings=settings,
        embedder=embedder,
        retriever=retriever,
        router=build_router(embedder, specialists),
        answer_model=answer_model(settings, embedder, http_client, catalogue),
        sessions=sessions,
        router_llm=router_llm,
        http_client=http_client,
        specialists=specialists,
        offline_model=offline_model,
        model_health=ModelHealth(settings.llm_recheck_s),
        model_abilities=ModelAbilities(settings.llm_tools),
        model_budget=ModelBudget.of(settings.llm_max_tokens, settings.llm_context_tokens),
        model_gate=ModelGate(settings.llm_max_concurrent_requests),
    )
    log.info("answer mode: %s", settings.answer_mode)
    return services


def build_orchestrator(
    services: Services, checkpointer: BaseCheckpointSaver[Any] | None
) -> Orchestrator:
    """The turns' runner over a graph of the services' specialists, saved by `checkpointer`."""
    return Orchestrator(services, build_graph(checkpointer, services.specialists))
