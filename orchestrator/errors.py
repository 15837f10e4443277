"""The errors the product raises on purpose: a stopped service, and what a failed turn may be.

`StartupError` stops the service with one clear line (what is wrong and how to fix it); the
others are raised inside a turn and classified into a stable error code by
`orchestrator.turns.classify_failure`.
"""


class StartupError(Exception):
    """A configuration or environment problem the operator must fix before the service runs."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(f"{problem}. {fix}")
        self.problem = problem
        self.fix = fix


class MalformedToolCall(Exception):
    """The language model asked for a tool with arguments that are not valid JSON."""


class IncompleteAnswer(Exception):
    """The language model's stream ended before the model finished (no `finish_reason`), or
    was not a stream of answer chunks at all."""


class EmptyReply(IncompleteAnswer):
    """The language model's server answered with no text and no `finish_reason`: what
    llama.cpp's server sends for a prompt longer than its context window."""


class ModelUnreachable(Exception):
    """The language model's server could not be reached (or is known not to be, for now)
    before the model said anything: the offline answer may stand in for it."""
