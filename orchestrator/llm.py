"""The answer model: ChatOpenAI for any OpenAI-compatible endpoint, or the offline answerer."""

from __future__ import annotations

import httpx
from langchain_core.language_models import BaseChatModel

from orchestrator.settings import Settings
from rag.embeddings import Embedder


def answer_model(
    settings: Settings, embedder: Embedder, http_client: httpx.AsyncClient | None = None
) -> BaseChatModel:
    """The chat model that writes answers, chosen by the answer mode."""
    match settings.answer_mode:
        case "llm":
            from langchain_openai import ChatOpenAI

            assert settings.openai_api_key is not None
            return ChatOpenAI(
                model=settings.llm_model,
                api_key=settings.openai_api_key,
                base_url=settings.openai_base_url,
                streaming=True,
                timeout=settings.llm_timeout_s,
                max_retries=settings.llm_max_retries,
                temperature=0.1,
                http_async_client=http_client,
            )
        case _:
            from agents.offline_model import ExtractiveChatModel

            return ExtractiveChatModel(embedder=embedder)
