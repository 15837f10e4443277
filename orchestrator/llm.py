"""ChatOpenAI for any OpenAI-compatible endpoint: the answer and router models in LLM mode.

Which answer model a service gets, this one or the offline answerer, is chosen where the service
is put together (`agents.wiring.answer_model`).
"""

from __future__ import annotations

from typing import Any

import httpx
from langchain_core.language_models import BaseChatModel
from pydantic import SecretStr

from orchestrator.settings import Settings

NO_KEY = "not-needed"  # sent to an endpoint configured without OPENAI_API_KEY
ROUTER_MAX_TOKENS = 128  # the router's call names a route or two, nothing more


def chat_openai(
    settings: Settings,
    http_client: httpx.AsyncClient | None,
    *,
    streaming: bool,
    timeout_s: float,
    max_retries: int,
    temperature: float,
    max_tokens: int,
) -> BaseChatModel:
    """ChatOpenAI on the configured OpenAI-compatible endpoint, writing at most `max_tokens`."""
    from langchain_openai import ChatOpenAI

    from orchestrator.llm_stream import CompleteStream
    from orchestrator.sdk_speedups import dict_chunk_completions, speed_up_openai_chunks

    speed_up_openai_chunks()
    model = ChatOpenAI(
        model=settings.llm_model,
        # A local server configured by its address alone takes any key; the SDK needs one.
        api_key=settings.openai_api_key or SecretStr(NO_KEY),
        base_url=settings.openai_base_url,
        streaming=streaming,
        timeout=timeout_s,
        max_retries=max_retries,
        temperature=temperature,
        # Sent as `max_completion_tokens`, OpenAI's name; a server of its own (llama.cpp's
        # Python server, Ollama, llamafile) reads only the older `max_tokens`: both go there.
        max_tokens=max_tokens,
        extra_body={"max_tokens": max_tokens} if settings.openai_base_url else None,
        http_async_client=http_client,
        # Off: its per-chunk `wait_for` costs a task per token (~7% of a streaming turn's CPU),
        # and the HTTP client's read timeout (`timeout_s`) already ends a stalled stream.
        stream_chunk_timeout=0,
    )
    completions = dict_chunk_completions(model.root_async_client)
    create = completions.create

    async def create_complete(*args: Any, **kwargs: Any) -> Any:
        response = await create(*args, **kwargs)
        return CompleteStream(response) if kwargs.get("stream") else response

    completions.create = create_complete  # type: ignore[method-assign]
    model.async_client = completions
    return model


def router_model(settings: Settings, http_client: httpx.AsyncClient | None) -> BaseChatModel:
    """The model that routes when the semantic router is unsure: short, not streamed."""
    return chat_openai(
        settings,
        http_client,
        streaming=False,
        timeout_s=min(settings.llm_timeout_s, 10.0),
        max_retries=1,
        temperature=0,
        max_tokens=min(settings.llm_max_tokens, ROUTER_MAX_TOKENS),
    )
