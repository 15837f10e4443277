"""Follow-up questions made standalone from the conversation, without a language model.

"And what about its payload?" after a question about the Ridge becomes
"And what about its payload? (Kestrel Ridge)", which both the router and the retriever read
as a question about the Ridge.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

MODELS: dict[str, tuple[str, ...]] = {
    "Aster": ("aster",),
    "Ridge": ("ridge",),
    "Sable": ("sable",),
}
VARIANTS: dict[str, tuple[str, ...]] = {
    "Aster Standard Range": ("standard range", "sr rwd"),
    "Aster Long Range": ("long range", "lr awd"),
    "Aster Performance": ("performance",),
    "Ridge Hybrid Tow Pack": ("tow pack",),
    "Sable 1.5T": ("1.5t", "1.5 t", "1.5 turbo"),
    "Sable 2.0T GT": ("2.0t", "2.0 t", " gt", "gt "),
}
ANAPHORA = re.compile(
    r"\b(it|its|it's|that one|this one|that car|this car|the same|they|their|them)\b|"
    r"^\s*(and|what about|how about|and what about|same for|also)\b",
    re.IGNORECASE,
)
CONTENT_WORD = re.compile(r"[a-z0-9]{3,}", re.IGNORECASE)
STOP = frozenset(
    [
        "and",
        "what",
        "about",
        "how",
        "the",
        "for",
        "its",
        "it's",
        "that",
        "this",
        "one",
        "same",
        "also",
        "does",
        "did",
        "has",
        "have",
        "with",
        "can",
        "kestrel",
    ]
)


def models_in(text: str) -> list[str]:
    """Model names mentioned in `text`, in order of first mention."""
    lowered = f" {text.lower()} "
    found = [
        (lowered.find(alias), model)
        for model, aliases in MODELS.items()
        for alias in aliases
        if re.search(rf"\b{alias}\b", lowered)
    ]
    return [model for _, model in sorted(set(found))]


def variant_in(text: str) -> str | None:
    lowered = f" {text.lower()} "
    named = models_in(text)
    for variant, aliases in VARIANTS.items():
        if any(alias in lowered for alias in aliases) and (
            not named or variant.split()[0] in named
        ):
            return variant
    return None


def retrieval_query(query: str, vehicle: str | None) -> str:
    """What retrieval searches with: the vehicle named in full when the query leaves it out."""
    return f"{query} (Kestrel {vehicle})" if vehicle and vehicle not in query else query


def standalone_query(message: str, history: Sequence[str], owned: Sequence[str] = ()) -> str:
    """The message with the vehicle it refers to made explicit.

    `history` holds the earlier user messages, oldest first; `owned` the customer's vehicles.
    """
    if models_in(message):
        return _with_topic(message, history)
    if len(owned) == 1 and re.search(r"\bmy (car|vehicle)\b", message, re.I):
        return f"{message.rstrip()} (Kestrel {owned[0]})"
    referent = next((m for text in reversed(history) for m in models_in(text)[:1]), None)
    if referent is None:
        return message
    if ANAPHORA.search(message):
        variant = next((v for text in reversed(history) if (v := variant_in(text))), None)
        name = variant if variant and variant.startswith(referent) else referent
        return f"{message.rstrip()} (Kestrel {name})"
    return message


def _with_topic(message: str, history: Sequence[str]) -> str:
    """ "And the Sable?" borrows the topic of the previous question."""
    content = [
        w for w in CONTENT_WORD.findall(message.lower()) if w not in STOP and not models_in(w)
    ]
    if content or not history:
        return message
    previous = history[-1]
    named = models_in(previous)
    if not named:
        return f"{message} {previous}"
    return re.sub(rf"\b{named[0]}\b", models_in(message)[0], previous, flags=re.IGNORECASE)
