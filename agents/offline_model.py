"""The offline answer mode: an extractive LangChain chat model that streams like a real one."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict

from agents import answerability, extraction, model_message
from rag.catalogue import Catalogue
from rag.embeddings import Embedder
from rag.glossary import with_terms

TOKEN = re.compile(r"\s*\S+")


def answer_text(
    messages: list[BaseMessage], embedder: Embedder, catalogue: Catalogue | None = None
) -> str:
    """The extractive answer to the last human message (in the `agents.model_message` format)."""
    last = next((m for m in reversed(messages) if isinstance(m, HumanMessage)), None)
    if last is None:
        return extraction.NO_ANSWER
    request = model_message.parse(str(last.content))
    none_found = extraction.no_answer(request.brand, request.models)
    parts: list[str] = []
    if request.reply:
        parts.append(request.reply)
    if request.tool_result:
        parts.append(request.tool_result)
    if request.sources and not request.reply:
        question, scored = scored_request(request, embedder, catalogue)
        topic = extraction.without_vehicles(question, catalogue, request.vehicle)
        units, finding = answerability.choose_each(
            topic,
            scored,
            [
                (extraction.without_vehicles(part, catalogue, request.vehicle), part_scored)
                for part, part_scored in _parts(question, scored, request, embedder, catalogue)
            ],
        )
        if finding is not None:
            parts.append(answerability.not_found(units))
        elif units or not parts:
            parts.append(extraction.compose(units, none_found))
    return "\n\n".join(parts) if parts else none_found


def scored_request(
    request: model_message.ParsedRequest, embedder: Embedder, catalogue: Catalogue | None = None
) -> tuple[str, extraction.Scored | None]:
    """The question as the offline answerer reads it (with the documents' words for the
    customer's terms) and every unit of the request's passages scored for it."""
    question = with_terms(request.question, request.terms)
    scored = extraction.scored_units(
        question, request.sources, embedder.encode, focus=request.vehicle, catalogue=catalogue
    )
    return question, scored


def _parts(
    question: str,
    scored: extraction.Scored | None,
    request: model_message.ParsedRequest,
    embedder: Embedder,
    catalogue: Catalogue | None,
) -> list[tuple[str, extraction.Scored | None]]:
    """Each part the question asks, with the units scored for it; none when it asks one
    thing."""
    parts = extraction.parts_asked(question)
    if len(parts) == 1 or scored is None:
        return []
    known = extraction.knowing(catalogue, request.vehicle)
    return [
        (part, extraction.rescore(scored, part, embedder.encode, request.vehicle, known))
        for part in parts
    ]


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
    # The knowledge base's current catalogue: which words name which vehicle.
    catalogue: Callable[[], Catalogue] = Catalogue

    @property
    def _llm_type(self) -> str:
        return "extractive"

    def _answer(self, messages: list[BaseMessage]) -> str:
        return answer_text(messages, self.embedder, self.catalogue())

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = self._answer(messages)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for piece in tokens(self._answer(messages)):
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
        text = await asyncio.to_thread(self._answer, messages)
        for piece in tokens(text):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
            if run_manager:
                await run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk
            await asyncio.sleep(0)  # let a cancel or other turns in between tokens
