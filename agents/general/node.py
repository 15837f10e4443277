"""The general node: a polite reply that says what the assistant can help with."""

from __future__ import annotations

import re
from typing import Any

from langgraph.runtime import Runtime

from agents.context import AnswerRequest
from agents.general import prompts
from agents.specialist import answer, generate
from orchestrator.context import TurnContext
from orchestrator.state import SpecialistInput
from rag.catalogue import Catalogue

GREETING = re.compile(r"^\s*(hi|hello|hey|good (morning|afternoon|evening)|hiya|howdy)\b", re.I)
THANKS = re.compile(r"\b(thanks|thank you|cheers|much appreciated|ta)\b", re.I)
GOODBYE = re.compile(r"\b(bye|goodbye|see you|that's all|that is all)\b", re.I)
HUMAN = re.compile(
    r"\b(human|real person|a person|someone|agent|operator|representative|staff)\b", re.I
)


def asks_for_person(message: str) -> bool:
    """The customer wants to talk to a human."""
    return bool(
        HUMAN.search(message)
        and re.search(r"\b(talk|speak|chat|connect|transfer|get|want|need)\b", message, re.I)
    )


def reply_for(message: str, catalogue: Catalogue) -> str:
    """The fixed reply for a general message, naming the knowledge base's brand and models."""
    brand, models = catalogue.brand, catalogue.model_names
    if asks_for_person(message):
        return prompts.human(brand, models)
    if THANKS.search(message):
        return prompts.THANKS
    if GOODBYE.search(message):
        return prompts.GOODBYE
    if GREETING.search(message) or re.search(r"\bwhat can you (do|help)", message, re.I):
        return prompts.greeting(brand, models)
    return prompts.out_of_scope(brand, models)


async def general(inp: SpecialistInput, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    context = runtime.context
    catalogue = (await context.knowledge()).catalogue
    request = AnswerRequest(
        question=inp["query"],
        reply=reply_for(inp["query"], catalogue),
        brand=catalogue.brand,
        models=catalogue.model_names,
    )
    text = await generate(inp, context, prompts.SYSTEM, request, inp.get("history", []))
    return answer(inp, context, text, [])
