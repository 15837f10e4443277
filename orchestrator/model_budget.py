"""How many tokens the model's prompt may hold. Pure: no I/O.

The window (the model's context size in tokens) comes from `LLM_CONTEXT_TOKENS`, else from
what the server says of itself (`orchestrator.model_window`), else it is learnt from a failure:
a prompt refused for its length (an HTTP 400 naming the context, or llama.cpp's empty reply)
shrinks the window below that prompt's size, and the request is fitted and sent again; an
answer stopped for its length well short of `max_tokens` (llama-cpp-python serves any prompt
shorter than its window and ends the answer where the window ends) shows the window is the
prompt and what was written, and the next prompts are fitted to it. While nothing is known,
nothing is cut: a hosted model's window holds any prompt the product makes.

Tokens are counted by characters (`CHARS_PER_TOKEN`, on the low side for English prose, so
that an estimate errs towards a prompt too small, not too long), and a budget only needs to be
safe, not exact. A small model's tokenizer may take fewer characters a token than that on what
a prompt holds (tables, figures, part numbers: SmolLM2's takes 2.54, and prompts fitted to a
2,048-token window less the answer's 512 reached 1,900-2,040 of its tokens): where the
server counts tokens (`orchestrator.model_window`), the budget is scaled by what it counted.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

log = logging.getLogger(__name__)

CHARS_PER_TOKEN = 3.0
MESSAGE_OVERHEAD = 8  # a chat template's role markers and separators, per message
SHRINK = 0.75  # a refused prompt's size times this is the window learnt from it
SMALLEST_WINDOW = 256
SMALLEST_PROMPT = 128  # a window that leaves less beside the answer still gets this much
# An answer stopped for its length with fewer of its tokens than this share of `max_tokens`
# was stopped by the window.
SHORT_OF_MAX = 0.9

WindowSource = Literal["setting", "server", "learnt"]


def estimate_tokens(texts: Iterable[str]) -> int:
    """Tokens a prompt of these messages holds, estimated from its characters."""
    total = 0
    for text in texts:
        total += MESSAGE_OVERHEAD + int(len(text) / CHARS_PER_TOKEN + 0.999)
    return total


def chars_for(tokens: int) -> int:
    """The characters that `tokens` tokens hold, by the same estimate."""
    return max(0, int(tokens * CHARS_PER_TOKEN))


@dataclass
class ModelBudget:
    """The model's window as far as it is known, and what a prompt may take of it."""

    max_tokens: int  # what one call may write: the window must hold it beside the prompt
    window: int | None = None
    source: WindowSource | None = None
    # The characters a token of the server's tokenizer holds, where the server counted them.
    chars_per_token: float | None = None

    @classmethod
    def of(cls, max_tokens: int, window: int | None) -> ModelBudget:
        """From the settings: a set window is kept whatever the server says."""
        return cls(max_tokens, window, "setting" if window else None)

    def told(self, window: int | None) -> None:
        """The server said how large its window is (where no setting does)."""
        if window and self.source is None:
            self.window, self.source = window, "server"
            log.info("the language model's context window: %d tokens (from its server)", window)

    def counted(self, chars_per_token: float | None) -> None:
        """The server's tokenizer was found to take this many characters a token."""
        if chars_per_token:
            self.chars_per_token = chars_per_token
            log.info(
                "the language model's tokenizer: %.2f characters a token (estimated as %.1f)",
                chars_per_token,
                CHARS_PER_TOKEN,
            )

    def scale(self) -> float:
        """The estimate's tokens a token of the model's holds: below 1 where its tokenizer
        takes fewer characters a token than the estimate does; never above (the estimate
        stays on the safe side)."""
        if not self.chars_per_token:
            return 1.0
        return min(1.0, self.chars_per_token / CHARS_PER_TOKEN)

    def prompt_tokens(self) -> int | None:
        """What a prompt may hold, in the estimate's tokens (`estimate_tokens`): the window
        less the answer's tokens; None while unknown."""
        if self.window is None:
            return None
        return max(int((self.window - self.writes()) * self.scale()), SMALLEST_PROMPT)

    def writes(self) -> int:
        """The tokens one call may write (`LLM_MAX_TOKENS`, sent with every call): a server
        refuses a prompt whose length and these together pass its window."""
        return self.max_tokens

    def stopped_short(self, prompt_tokens: int, written: int) -> bool:
        """An answer to a prompt of about `prompt_tokens` (the estimate's) stopped for its
        length after `written` tokens, short of `max_tokens`: where no window is known, the
        window is taken as the prompt and those tokens (in the model's tokens). False when
        nothing is learnt."""
        if self.source is not None or written >= self.writes() * SHORT_OF_MAX:
            return False
        learnt = int(prompt_tokens / self.scale()) + written
        if learnt < SMALLEST_WINDOW:
            return False
        log.warning(
            "the language model's window ended an answer after %d tokens: taken as %d tokens",
            written,
            learnt,
        )
        self.window, self.source = learnt, "learnt"
        return True

    def refused(self, prompt_tokens: int) -> bool:
        """A prompt of about `prompt_tokens` tokens was refused for its length: the window is
        below it (and the answer's tokens). False when nothing smaller can be learnt, so the
        caller need not try again."""
        learnt = int((prompt_tokens / self.scale() + self.writes()) * SHRINK)
        smaller = ModelBudget(self.max_tokens, learnt, None, self.chars_per_token).prompt_tokens()
        smaller = smaller or 0
        if learnt < SMALLEST_WINDOW or smaller >= prompt_tokens:
            return False  # a prompt that small was not refused for its length
        if self.window is not None and learnt >= self.window:
            return False
        log.warning(
            "the language model refused a prompt of about %d tokens: its window is taken as %d",
            prompt_tokens,
            learnt,
        )
        self.window, self.source = learnt, "learnt"
        return True
