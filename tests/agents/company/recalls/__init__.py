"""A fifth specialist, written as a company writes one: copied into `agents/` as
`agents/recalls/`, this folder is all it takes. (`tests/agents/test_registry.py` adds its parent
folder to the `agents` package's path instead, so the shared source tree stays as it is.)

It answers safety-recall questions from documents in the knowledge base's `recalls` domain.
"""

from agents.recalls.examples import EXAMPLES
from agents.recalls.node import recalls

from agents.registry import Specialist

SPECIALIST = Specialist(
    name="recalls",
    node=recalls,
    label="Recalls",
    description="safety recalls and recall campaigns: whether a vehicle is affected, what to do",
    examples=EXAMPLES,
    helps_with="safety recalls",
)
