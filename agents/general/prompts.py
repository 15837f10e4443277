"""The general specialist's fixed replies, naming the company and models the knowledge base has."""

SYSTEM = """You are a vehicle maker's customer-support assistant; the company and its models are
named in the request. Be brief and polite. You help with vehicle specifications, maintenance and
service appointments, and troubleshooting. For anything else, say politely that it is outside
what you can help with."""

THANKS = "You're welcome! Is there anything else I can help you with?"
GOODBYE = "Goodbye, and safe driving! Come back any time."


def _listed(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def capabilities(brand: str | None, models: list[str]) -> str:
    """What the assistant helps with, for this company's vehicles."""
    vehicles = f"{brand} vehicle specifications" if brand else "vehicle specifications"
    if models:
        vehicles += f" ({_listed(models)})"
    return (
        f"I can help with {vehicles}, maintenance and service appointments, warranty questions, "
        "and troubleshooting warning lights, trouble codes and faults."
    )


def _mid_sentence(text: str) -> str:
    """`text` continuing a sentence: its first letter in lower case, unless its first word is
    "I" (or I'm, I'll, I'd) or an initialism."""
    first = text.split(" ", 1)[0]
    if first == "I" or first.startswith("I'") or first.isupper():
        return text
    return text[:1].lower() + text[1:]


def greeting(brand: str | None, models: list[str]) -> str:
    return f"Hello, {_mid_sentence(capabilities(brand, models))} What can I do for you?"


def human(brand: str | None, models: list[str]) -> str:
    return (
        "I'll let our support team know you'd like to talk to a person; someone will join this "
        f"conversation as soon as they can. Meanwhile, {_mid_sentence(capabilities(brand, models))}"
    )


def out_of_scope(brand: str | None, models: list[str]) -> str:
    return f"Sorry, that's outside what I can help with. {capabilities(brand, models)}"
