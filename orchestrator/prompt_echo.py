"""Whether an answer repeats the prompt it was given. Pure: no I/O.

A small model may answer with its own instructions, or with the request's structure (its
`### Context` heading, its `<passages>` fence) and whatever followed it. `PromptEcho` names what
must not come back: marker strings, found anywhere, and the instructions' words, found as a run
of `run` of them in a row (case and punctuation aside). `EchoScreen` reads an answer as it
streams: what cannot begin an echo goes out at once, what could (a partial marker, a few words
of the instructions) is held until it is clear, and nothing more goes out once a piece brings
an echo (not even that piece's text before it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
WORD_TAIL = re.compile(r"[\w'’]+\Z")
MAX_WORD = 64  # a word is looked back for this far at most
RUN = 8  # words of the instructions in a row that no answer repeats by chance


def words(text: str) -> list[str]:
    """The words of `text`, in lower case, without punctuation."""
    return [_word(w) for w in WORD.findall(text)]


def _word(text: str) -> str:
    return text.lower().replace("’", "'")


@dataclass(frozen=True)
class PromptEcho:
    """What an answer must not repeat: `markers` as they are, `run` words of `instructions`."""

    markers: tuple[str, ...]
    instructions: tuple[str, ...]
    run: int = RUN
    _runs: frozenset[tuple[str, ...]] = field(init=False, repr=False, compare=False)
    _at: dict[str, tuple[int, ...]] = field(init=False, repr=False, compare=False)
    _prefixes: frozenset[str] = field(init=False, repr=False, compare=False)
    _openers: frozenset[str] = field(init=False, repr=False, compare=False)
    _longest: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        said, run = self.instructions, self.run
        at: dict[str, list[int]] = {}
        for position, word in enumerate(said):
            at.setdefault(word, []).append(position)
        runs = frozenset(tuple(said[i : i + run]) for i in range(len(said) - run + 1))
        prefixes = frozenset(w[:n] for w in at for n in range(1, len(w) + 1))
        object.__setattr__(self, "_runs", runs)
        object.__setattr__(self, "_at", {w: tuple(p) for w, p in at.items()})
        object.__setattr__(self, "_prefixes", prefixes)
        object.__setattr__(self, "_openers", frozenset(m[0] for m in self.markers if m))
        object.__setattr__(self, "_longest", max(map(len, self.markers), default=0))

    @classmethod
    def of(cls, instructions: str, markers: Sequence[str], run: int = RUN) -> PromptEcho:
        return cls(tuple(markers), tuple(words(instructions)), run)

    def found_in(self, text: str, start: int = 0) -> bool:
        """Whether `text`, from `start` on, holds a marker or a run of the instructions."""
        return self.scan(text, start) is None

    def scan(self, text: str, start: int = 0) -> int | None:
        """None when `text`, from `start` on, holds an echo; else where the part of it that
        could still grow into one begins (`start` or later; `len(text)` when no part could):
        a marker cut short at its end, or its last words when they run as the instructions
        do (the last one perhaps unfinished)."""
        if self._may_open(text, start) and any(text.find(m, start) >= 0 for m in self.markers):
            return None
        found = list(WORD.finditer(text, _word_start(text, start)))
        said = [_word(w.group()) for w in found]
        run = self.run
        if any(tuple(said[i : i + run]) in self._runs for i in range(len(said) - run + 1)):
            return None
        held = len(text)
        if self._may_open(text, held - self._longest):
            for marker in self.markers:
                for size in range(min(len(marker) - 1, held - start), 0, -1):
                    if text.endswith(marker[:size]):
                        held = min(held, len(text) - size)
                        break
        # The last word may go on: nothing after it yet, or an apostrophe ("maker'").
        open_ended = bool(found) and not text[found[-1].end() :].strip("'’")
        first = max(0, len(said) - run)
        for i in range(first, len(said)):
            if self._could_run(said[i:], open_ended):
                return min(held, max(start, found[i].start()))
        return held

    def _may_open(self, text: str, start: int) -> bool:
        """Whether a marker could begin in `text` from `start` on (its first character is
        there): most text holds none, and is not searched for them."""
        return any(text.find(c, max(start, 0)) >= 0 for c in self._openers)

    def _could_run(self, tail: list[str], open_ended: bool) -> bool:
        """Whether these words could be the start of a run of the instructions, the last one
        perhaps only begun."""
        if len(tail) == 1 and open_ended:
            return tail[0] in self._prefixes
        said = self.instructions
        for position in self._at.get(tail[0], ()):
            if position + len(tail) > len(said):
                continue
            same = all(said[position + k] == tail[k] for k in range(1, len(tail) - 1))
            end = said[position + len(tail) - 1]
            if same and (end == tail[-1] or (open_ended and end.startswith(tail[-1]))):
                return True
        return False


def _word_start(text: str, index: int) -> int:
    """`index`, or where the word it falls inside begins."""
    inside = WORD_TAIL.search(text, max(0, index - MAX_WORD), index)
    return inside.start() if inside else index


@dataclass
class EchoScreen:
    """An answer read as it streams: `feed` gives what may go out now, `flush` the rest once
    the answer has ended; after an echo, nothing (`echoed` says so)."""

    echo: PromptEcho
    text: str = ""
    sent: int = 0
    echoed: bool = False

    @property
    def stopped(self) -> bool:
        return self.echoed

    def feed(self, piece: str) -> str:
        if self.echoed:
            return ""
        self.text += piece
        end = self.echo.scan(self.text, self.sent)
        if end is None:
            self.echoed = True
            return ""
        out, self.sent = self.text[self.sent : end], max(self.sent, end)
        return out

    def flush(self) -> str:
        if self.echoed:
            return ""
        out, self.sent = self.text[self.sent :], len(self.text)
        return out
