"""The general node: a polite reply that says what the assistant can help with, in our own
words in either answer mode (a language model would rewrite them)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from langgraph.runtime import Runtime

from agents.general import prompts
from agents.model_message import AnswerRequest
from agents.specialist import answer, say
from orchestrator.routing import asks_for_person
from orchestrator.state import SpecialistInput
from orchestrator.turn_context import TurnContext
from rag.catalogue import Catalogue

GREETING = re.compile(r"^\s*(hi|hello|hey|good (morning|afternoon|evening)|hiya|howdy)\b", re.I)
THANKS = re.compile(r"\b(thanks|thank you|cheers|much appreciated|ta)\b", re.I)
GOODBYE = re.compile(r"\b(bye|goodbye|see you|that's all|that is all)\b", re.I)


def reply_for(message: str, catalogue: Catalogue, offers: Sequence[str]) -> str:
    """The fixed reply for a general message, naming the knowledge base's brand and models and
    what the specialists help with (`Registry.offers`)."""
    brand, models = catalogue.brand, catalogue.model_names
    if asks_for_person(message):
        return prompts.human(brand, models, offers)
    if THANKS.search(message):
        return prompts.THANKS
    if GOODBYE.search(message):
        return prompts.GOODBYE
    if GREETING.search(message) or re.search(r"\bwhat can you (do|help)", message, re.I):
        return prompts.greeting(brand, models, offers)
    return prompts.out_of_scope(brand, models, offers)


async def general(inp: SpecialistInput, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    context = runtime.context
    catalogue = (await context.knowledge()).catalogue
    offers = context.services.specialists.offers
    request = AnswerRequest(
        question=inp["query"],
        reply=reply_for(inp["query"], catalogue, offers),
        brand=catalogue.brand,
        models=catalogue.model_names,
    )
    return answer(inp, context, await say(inp, context, request), [])
