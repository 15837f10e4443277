"""A fifth specialist, added as a company would: this folder and one registry entry.

It answers safety-recall questions from documents in the knowledge base's `recalls` domain.
"""

from agents.registry import Specialist
from tests.agents.recalls.examples import EXAMPLES
from tests.agents.recalls.node import recalls

SPECIALIST = Specialist(
    name="recalls",
    node=recalls,
    label="Recalls",
    description="safety recalls and recall campaigns: whether a vehicle is affected, what to do",
    examples=EXAMPLES,
)
