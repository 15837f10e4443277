"""The specs specialist: vehicle specifications and capabilities."""

from agents.registry import Specialist
from agents.specs.examples import EXAMPLES
from agents.specs.node import specs

SPECIALIST = Specialist(
    name="specs",
    node=specs,
    label="Specs",
    description="vehicle specifications, capabilities, variants, features and comparisons",
    examples=EXAMPLES,
    helps_with="vehicle specifications",
    order=10,
    defers_codes=True,
)

__all__ = ["SPECIALIST"]
