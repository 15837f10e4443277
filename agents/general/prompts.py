"""The general specialist's fixed replies, naming the company and models the knowledge
base has and what the registry's specialists help with (`Registry.offers`)."""

from collections.abc import Sequence

THANKS = "You're welcome! Is there anything else I can help you with?"
GOODBYE = "Goodbye, and safe driving! Come back any time."


def _listed(names: Sequence[str]) -> str:
    """Names as a sentence lists them: A; A and B; A, B and C."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _offered(offers: Sequence[str]) -> str:
    """The specialists' phrases as one list: with a comma before the last "and", since a
    phrase may have its own ("maintenance, service appointments and warranty questions")."""
    if len(offers) <= 2:
        return " and ".join(offers)
    return f"{', '.join(offers[:-1])}, and {offers[-1]}"


def capabilities(brand: str | None, models: Sequence[str], offers: Sequence[str]) -> str:
    """What the assistant helps with, for this company's vehicles."""
    if brand or models:
        vehicles = f"{brand} vehicles" if brand else "our vehicles"
        if models:
            vehicles += f" ({_listed(models)})"
        return f"I can help with {vehicles}: {_offered(offers)}."
    return f"I can help with {_offered(offers)}."


def _mid_sentence(text: str) -> str:
    """`text` continuing a sentence: its first letter in lower case, unless its first word is
    "I" (or I'm, I'll, I'd) or an initialism."""
    first = text.split(" ", 1)[0]
    if first == "I" or first.startswith("I'") or first.isupper():
        return text
    return text[:1].lower() + text[1:]


def greeting(brand: str | None, models: Sequence[str], offers: Sequence[str]) -> str:
    return f"Hello, {_mid_sentence(capabilities(brand, models, offers))} What can I do for you?"


def human(brand: str | None, models: Sequence[str], offers: Sequence[str]) -> str:
    can = _mid_sentence(capabilities(brand, models, offers))
    return (
        "I'll let our support team know you'd like to talk to a person; someone will join this "
        f"conversation as soon as they can. Meanwhile, {can}"
    )


def out_of_scope(brand: str | None, models: Sequence[str], offers: Sequence[str]) -> str:
    return f"Sorry, that's outside what I can help with. {capabilities(brand, models, offers)}"
