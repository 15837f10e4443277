"""The offline answer mode: an extractive LangChain chat model that streams like a real one."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict

from agents import context, extraction
from rag.embeddings import Embedder

TOKEN = re.compile(r"\s*\S+")


def answer_text(messages: list[BaseMessage], embedder: Embedder) -> str:
    """The extractive answer to the last human message (in the `agents.context` format)."""
    last = next((m for m in reversed(messages) if isinstance(m, HumanMessage)), None)
    if last is None:
        return extraction.NO_ANSWER
    request = context.parse(str(last.content))
    parts: list[str] = []
    if request.reply:
        parts.append(request.reply)
    if request.tool_result:
        parts.append(request.tool_result)
    if request.sources and not request.reply:
        units = extraction.select(
            request.question, request.sources, embedder.encode, focus=request.vehicle
        )
        if units or not parts:
            parts.append(extraction.compose(units))
    return "\n\n".join(parts) if parts else extraction.NO_ANSWER


def tokens(text: str) -> list[str]:
    """Word-sized pieces that concatenate back to `text` exactly."""
    pieces = TOKEN.findall(text)
    rest = text[len("".join(pieces)) :]
    if rest and pieces:
        pieces[-1] += rest
    return pieces or [text]


class ExtractiveChatModel(BaseChatModel):
    """Answers from the retrieved context alone; no network, no API key."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    embedder: Any

    @property
    def _llm_type(self) -> str:
        return "kestrel-extractive"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = answer_text(messages, self.embedder)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for piece in tokens(answer_text(messages, self.embedder)):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
            if run_manager:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        text = await asyncio.to_thread(answer_text, messages, self.embedder)
        for piece in tokens(text):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
            if run_manager:
                await run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk
            await asyncio.sleep(0)  # let a cancel or other turns in between tokens
