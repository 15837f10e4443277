"""A question as the scoring rules read it: what it asks about (its terms), the kinds of fact
it wants, the codes it names, whether it asks what to do, and the vehicle it is about."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agents.extraction.vehicles import vehicles_removed
from agents.extraction.vocabulary import MEASURES, answer_kinds_wanted, asked_terms, sides_named
from rag.catalogue import Catalogue

# A question that asks for a kind of fact outright ("how often", "what time"), not one that
# only mentions a word of it ("it showed last week").
ASKS_DIRECTLY = re.compile(
    r"\bhow (?:often|far|long|much|many|quick\w*|fast|big|heavy|wide|tall|high|deep|thin|"
    r"thick)\b|"
    r"\bwhat time\b|\bwhen\b",
    re.I,
)
# "What's the boot space?": a figure is asked for as surely as by "how much".
ASKS_WHAT = re.compile(r"^\W*(?:what|whats|what's|which)\b", re.I)
# What to do, not what something is: the answer is a procedure's steps, in their order.
ACTION = re.compile(
    r"\bhow (?:do|can|should|would|to|must) (?:i|you|we)\b|\bhow to\b|"
    r"\bwhat (?:should|do|must|can) (?:i|you|we) (?:do|try)\b|\bwhat to do\b|\bwhat now\b|"
    # what to try or check, in the customer's words ("anything I can try", "supposed to check")
    r"\banything (?:i|you|we) (?:can|could|should) (?:do|try)\b|"
    r"\b(?:supposed|meant|need) to (?:check|do|try)\b|"
    r"\bsteps?\b|\bprocedure\b|"
    # how urgent it is: answered by what to do and when
    r"\bhow urgent(?:ly)?\b|\bcan (?:it|this|that) wait\b|\b(?:right|straight) away\b|"
    r"\bkeep driving\b|\bsafe to (?:drive|continue)\b",
    re.I,
)
PROCEDURE = re.compile(
    r"\bhow (?:do|can|should|to|would) (?:i|you|we)\b|\bhow to\b|\bsteps?\b|\bprocedure\b|"
    r"\bfirst\b",
    re.I,
)


@dataclass(frozen=True)
class Question:
    """What the rules need of a question, read once for all its candidate units."""

    text: str = ""  # what it asks of the vehicles, their names taken out: what is embedded
    terms: frozenset[str] = frozenset()  # the stems it asks about, the brand's name left out
    wanted: frozenset[str] = frozenset()  # the kinds of fact it asks for
    codes: tuple[str, ...] = ()  # the identifiers it names (fault codes, part numbers)
    action: bool = False  # it asks what to do
    procedure: bool = False  # … and how, from the start ("how do I", "what first")
    directly: bool = False  # it asks for its kind of fact outright ("how often", "what's the")
    # The one side of a pair of opposites it asks about (the rear, a short wheelbase), each as
    # (pair, side) of `vocabulary.OPPOSITES`; not a pair it names both sides of.
    sides: frozenset[tuple[int, int]] = frozenset()
    focus: str | None = None  # the vehicle it is about
    catalogue: Catalogue = field(default_factory=Catalogue)


# A code told by its number alone ("code 42", "error 5", "fault code no. 12"): a blink or a
# display code, which no identifier's letters mark.
CODE_WORD = r"\b(?:code|error|fault)s?\s*(?:no\.?\s*|number\s*|#\s*)?"
NUMBERED_CODE = re.compile(rf"{CODE_WORD}(\d{{1,4}})\b(?![.,]\d)", re.IGNORECASE)


def numbered_codes(question: str) -> list[str]:
    """The codes the question names by their number alone."""
    return NUMBERED_CODE.findall(question)


# "How long", "how high" and "how low" ask; they name no side.
ASKING_HOW = re.compile(r"\bhow (?:long|high|low)\b", re.I)


def sides_asked(question: str) -> frozenset[tuple[int, int]]:
    """The sides of pairs of opposites `question` asks about, one side of each pair only."""
    named = sides_named(asked_terms(ASKING_HOW.sub(" ", question)))
    return frozenset((pair, side) for pair, side in named if (pair, 1 - side) not in named)


def read_question(
    question: str, focus: str | None = None, catalogue: Catalogue | None = None
) -> Question:
    """The question as the rules read it, about `focus` (names from `catalogue`)."""
    catalogue = Catalogue() if catalogue is None else catalogue
    asked = vehicles_removed(question, catalogue) or question
    wanted = answer_kinds_wanted(question)
    action = bool(ACTION.search(question))
    directly = bool(ASKS_DIRECTLY.search(question)) or (
        bool(wanted & {"quantity", "grade", *MEASURES})
        and not action
        and bool(ASKS_WHAT.search(question))
    )
    return Question(
        text=asked,
        terms=frozenset(asked_terms(asked) - {(catalogue.brand or "").lower()}),
        wanted=frozenset(wanted),
        codes=tuple(dict.fromkeys([*catalogue.codes_in(question), *numbered_codes(question)])),
        action=action,
        procedure=bool(PROCEDURE.search(question)),
        directly=directly,
        sides=sides_asked(asked),
        focus=focus,
        catalogue=catalogue,
    )
