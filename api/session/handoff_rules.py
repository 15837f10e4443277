"""When a conversation needs a person. Pure decisions, no I/O."""

from __future__ import annotations

from orchestrator.routing import GENERAL, asks_for_person

CUSTOMER_ASKED = "The customer asked for a person."
LOW_CONFIDENCE = "The assistant was unsure of its answer."
NEGATIVE_FEEDBACK = "The customer gave negative feedback."


def after_turn(user_text: str, agent: str, confidence: float, threshold: float) -> str | None:
    """The reason to call a person after a turn, if any."""
    if asks_for_person(user_text):
        return CUSTOMER_ASKED
    if agent != GENERAL and confidence < threshold:
        return LOW_CONFIDENCE
    return None
