"""How near text on no subject of a knowledge base comes to it, and so how near a message must
come to be on its subject.

A message like none of the router's examples is on the knowledge base's subject when a passage
answers to it closely. How close "closely" is depends on the documents: an owner's manual that
tells how to clean the seats and change a bulb meets everyday requests half-way, a table of an
engine's figures meets them hardly at all. So the bar is set per knowledge base: a little above
the nearest that a set of everyday requests on other subjects (cooking, the weather, a house's
plumbing, a pet, a phone) come to it, and never above a fixed ceiling. Pure; the requests are
embedded and measured by `rag.retriever` as it loads a version.
"""

from __future__ import annotations

# Everyday requests about other things than vehicles, their care and their service.
PROBES: tuple[str, ...] = (
    "How do I make a chocolate cake?",
    "how do I get a coffee stain out of my shirt",
    "What's the weather like tomorrow?",
    "Who won the football match yesterday?",
    "recipe for banana bread with walnuts",
    "Can you recommend a good book to read on holiday?",
    "my kitchen sink drain is blocked, how do I clear it?",
    "What time does the supermarket close?",
    "how do I reset my wifi router password",
    "What's the capital of Australia?",
    "Tell me a joke about cats",
    "how long should I boil an egg",
    "my dog keeps barking at night, what can I do",
    "how do I fix a leaking tap in the bathroom",
    "which phone has the best camera",
    "how many calories in a banana",
)
# How much nearer than the nearest everyday request a message must come.
MARGIN = 0.05


def in_scope_floor(off_subject: float, ceiling: float) -> float:
    """The cosine a message's closest passage must reach to be on the subject, given how near
    the everyday requests come (`off_subject`): just above them, and at most `ceiling`."""
    return min(ceiling, off_subject + MARGIN)
