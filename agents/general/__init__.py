"""The general route: greetings, thanks, the assistant itself, and out-of-scope requests."""

from agents.general.examples import EXAMPLES
from agents.general.node import general
from agents.registry import GENERAL, Specialist

SPECIALIST = Specialist(
    name=GENERAL,
    node=general,
    label="General",
    description=(
        "greetings, thanks, goodbyes, small talk, questions about the assistant, requests for "
        "a human, and out-of-scope requests (sales, finance, insurance, weather, jokes, and "
        "anything unrelated)"
    ),
    examples=EXAMPLES,
    domains=(),
    order=1000,  # the fallback, last in every list
)

__all__ = ["SPECIALIST"]
