"""The parts of a message that asks two things at once ("How big is the fuel tank, and what's
the minimum octane I can run?"): each is scored and answered on its own, so that the answer
leads with what the first part asks and then gives what the second asks.

A part opens on a question word at the start of a clause (the message's start, after a
comma, a semicolon, a question mark, a dash, or "and", "also", "plus"). What comes before the
first one is the part's context ("ABS light won't go off - what should I do?"). A message
with one such question word is one part: a yes-or-no question before it ("Can I reuse the head
bolts? What's their maximum length?") asks what the second does. "When", "where" and "why"
open a part only as questions ("when is it fully open", not "when the car is loaded").
"""

from __future__ import annotations

import re
from itertools import pairwise

from agents.extraction.vocabulary import FUNCTION_WORDS, UNIT_WORDS, stem, subject_terms
from rag.lexical import tokenize

ASKING_WORD = re.compile(
    r"\b(?:what|whats|what's|how|which)\b|"
    r"\b(?:when|where|why)\s+(?:is|are|was|do|does|did|should|must|can|could|will|would)\b",
    re.IGNORECASE,
)
# What may stand right before a question word that opens a clause.
CLAUSE_BREAK = re.compile(r"(?:^|[,;:?.!]|\s[-–—]|\b(?:and|also|plus))\s*$", re.IGNORECASE)
# What joins one part to the next, left out of the part before and the part after.
JOINING = re.compile(r"(?:[\s,;:–—-]|\b(?:and|also|plus)\b)+$", re.IGNORECASE)
JOINED = re.compile(r"^(?:\s|\b(?:and|also|plus)\b,?)+", re.IGNORECASE)
# A part says this much besides its question word, or it is no question of its own.
MIN_WORDS = 2


def parts_asked(question: str) -> list[str]:
    """The parts `question` asks, each as a question of its own (one: it asks one thing). A
    later part that names nothing of its own ("…, and how many litres?") carries the words
    of the part before that say what it is about."""
    opens = [
        m.start()
        for m in ASKING_WORD.finditer(question)
        if CLAUSE_BREAK.search(question[: m.start()])
        and len(question[m.end() :].split()) >= MIN_WORDS
    ]
    if len(opens) < 2:
        return [question]
    bounds = [0, *(_sentence_start(question, at, after) for after, at in pairwise(opens))]
    bounds.append(len(question))
    parts = [
        JOINED.sub("", JOINING.sub("", question[start:end])).strip()
        for start, end in pairwise(bounds)
    ]
    return [parts[0], *(_with_subject(part, before) for before, part in pairwise(parts))]


# A sentence's end: not the full stop of an abbreviation ("the A.T. P light").
SENTENCE_END = re.compile(r"(?:[?!]|(?<=[a-z]{3})\.)\s+")
# Words pointing back to what the part before named ("when is it replaced?").
POINTING_BACK = re.compile(r"\b(?:it|its|they|them|their|these|those)\b", re.IGNORECASE)


def _sentence_start(question: str, at: int, after: int) -> int:
    """Where the part whose question word is at `at` begins: at the start of its sentence
    when that is past the part before's question word (at `after`), so the words before its
    question word go with it ("Also my amber light is on, what does it mean?")."""
    ends = [m.end() for m in SENTENCE_END.finditer(question, after, at)]
    return ends[-1] if ends else at


def _with_subject(part: str, before: str) -> str:
    """`part`, with the words of `before` that name what it asks about when it names
    nothing itself but units and question words ("how many litres?"), or opens on its
    question word and points back to it ("when is it replaced?")."""
    if _subject(part) and not (ASKING_WORD.match(part) and POINTING_BACK.search(part)):
        return part
    subject = _subject(before)
    words = [w for w in tokenize(before) if stem(w) in subject]
    return f"{part} ({' '.join(dict.fromkeys(words))})" if words else part


def _subject(text: str) -> set[str]:
    return subject_terms(UNIT_WORDS.sub(" ", text)) - {stem(w) for w in FUNCTION_WORDS}
