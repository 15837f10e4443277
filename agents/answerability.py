"""Whether what the extractive answer would quote answers the question at all. Pure.

The offline answerer picks the best of what retrieval handed it; when the documents do not
state what was asked, the best is still something, and quoting it reads as an answer. A rule
that finds the chosen units do not answer says why (`Finding`); each is named and tested:
- `figure_missing`: the question asks for a value of a kind it names (a power, a torque, a
  pressure, a weight, a length, a distance, an interval…) and none of the chosen units states
  one of that kind.
- `subject_missing`: the question asks for a value of something ("the valve clearance", "the
  curb weight"), no chosen unit, with its heading and labels, names any word of that
  something, and each that gives that kind of figure gives it of another thing: a ground
  clearance does not answer a valve clearance. (Where one names that figure of no other
  thing, it may answer: a "Maximum weight capacity" for the weight "incl. rider and gear".)
- `message_missing`: the question quotes a message as the display shows it ("Lane Keep Assist
  Fault") and no chosen unit has most of its words: the documents list other messages.
Then the best of the units that do state one answers instead (`Finding.wanted` says which
kinds; the offline answerer picks again among them); where none does, the answer says it could
not find that, and cites the closest passages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from agents.extraction import (
    MEASURES,
    Scored,
    Unit,
    answer_kinds_wanted,
    figures_stated,
    kinds_stated,
    pick,
    pick_stating,
    stating_first,
)
from agents.extraction.blocks import sentences
from agents.extraction.question import ACTION, ASKS_DIRECTLY
from agents.extraction.unit import leaf
from agents.extraction.vocabulary import (
    FIGURE_NAMES,
    FUNCTION_WORDS,
    share,
    stem,
    subject_terms,
    terms,
)

NOT_FOUND = "I couldn't find that in the manuals."

# A question that asks for a value, not one that only names what a value measures ("how much
# oil", "what is the tyre pressure", "how often…", against "the oil pressure light came on").
ASKS_FOR_VALUE = re.compile(
    r"\bhow (?:much|many|fast|far|big|heavy|wide|tall|high|deep|thick|thin|often|quick\w*)\b|"
    r"\b(?:what|whats|what's|which)\b(?:\s+\S+){0,6}?\s+(?:capacit\w*|pressures?|output|"
    r"horse ?power|hp|torque|weight|size|height|length|width|clearance|interval|speed|range|"
    r"rating|gap|volume|diameter|dimensions?)\b|"
    r"\b(?:interval|specs?|specification)\b|\bwhen (?:should|do|does|must|is)\b",
    re.IGNORECASE,
)
ASKED_FIGURES = frozenset({*MEASURES, "pressure", "distance", "interval"})


@dataclass(frozen=True)
class Finding:
    """Why the chosen units do not answer: the rule that says so, in words."""

    rule: str
    why: str
    # The kinds of figure asked for and not stated: a unit stating one of them may answer.
    wanted: frozenset[str] = frozenset()


def stated(unit: Unit) -> set[str]:
    """The kinds of figure a unit states, counting a bare number whose unit its heading, its
    label or the labels of its record name."""
    return figures_stated(unit)


def figures_asked(question: str) -> frozenset[str]:
    """The kinds of figure the question asks for a value of ("what torque…" → torque); none
    for one that only names what a figure measures ("the oil pressure light came on")."""
    if not ASKS_FOR_VALUE.search(question):
        return frozenset()
    return frozenset(answer_kinds_wanted(question) & ASKED_FIGURES)


def figure_missing(question: str, units: Sequence[Unit]) -> Finding | None:
    """The question asks for a value of a kind it names; no unit states one of that kind."""
    wanted = figures_asked(question)
    if not wanted or wanted & set().union(*(stated(u) for u in units)):
        return None
    return Finding(
        "figure_missing", f"asks for {', '.join(sorted(wanted))}; none is stated", frozenset(wanted)
    )


def subject_missing(question: str, units: Sequence[Unit]) -> Finding | None:
    """The question asks for a value of something; no unit names a word of it, and each that
    names the kind of figure asked names it of another thing."""
    if not ASKS_FOR_VALUE.search(question):
        return None
    subject = subject_terms(question)
    if not subject:
        return None
    for unit in units:
        if subject & terms(f"{unit.heading} {unit.label} {unit.scored_text}"):
            return None
    asked = terms(question)
    figures = [f for u in units if (f := figure_of(u.text, asked)) is not None]
    if not figures or not all(figures):
        return None
    return Finding(
        "subject_missing", f"asks about {', '.join(sorted(subject))}; the figure is of {figures[0]}"
    )


WORD = re.compile(r"[a-z]+")


def figure_of(text: str, asked: set[str]) -> str | None:
    """What `text` ("Minimum ground clearance: 6.5 in") gives the kind of figure the question
    asks of: the word before the figure's name in its label, where the question does not have
    it ("ground clearance"); "" when the label names that figure of nothing else ("Maximum
    weight capacity"); None when it names no figure the question asks."""
    words = WORD.findall(text.split(":", 1)[0].lower())
    found = None
    for i, word in enumerate(words):
        if stem(word) not in asked or stem(word) not in FIGURE_NAMES:
            continue
        before = [w for w in words[:i] if stem(w) not in FIGURE_NAMES and w not in FUNCTION_WORDS]
        if not before or stem(before[-1]) in asked:
            return ""
        found = f"{before[-1]} {word}"
    return found


# A message as the display shows it, quoted in the question: three to six capitalised words in
# a row ("Lane Keep Assist Fault", "EPS Performance Reduced"), not the question's first word
# (two may be a model's name).
MESSAGE = re.compile(r"(?<=\s)[A-Z][\w/&-]*(?:\s+[A-Z][\w/&-]*){2,5}\b")
MESSAGE_SHARE = 0.75


def messages_named(question: str) -> list[set[str]]:
    """The terms of each message the question quotes (two terms or more)."""
    plain = re.sub(r"\([^()]*\)", " ", question)  # not the documents' words beside its own
    return [named for m in MESSAGE.finditer(plain) if len(named := terms(m.group(0))) >= 2]


def message_missing(question: str, units: Sequence[Unit]) -> Finding | None:
    """The question quotes a message ("What does Lane Keep Assist Fault mean?") and no unit,
    with its label and heading, has most of its words: the documents list other messages."""
    for named in messages_named(question):
        if not any(
            share(named, f"{leaf(u.heading)} {u.label} {u.text}") >= MESSAGE_SHARE for u in units
        ):
            return Finding("message_missing", f"names {' '.join(sorted(named))}; none says it")
    return None


RULES: tuple[Callable[[str, Sequence[Unit]], Finding | None], ...] = (
    figure_missing,
    subject_missing,
    message_missing,
)


def unanswered(question: str, units: Sequence[Unit]) -> Finding | None:
    """The first rule that finds the units do not answer `question` (asked of the question
    without the vehicle's name), or None when they may."""
    if not units:
        return Finding("nothing_chosen", "no unit scored well enough")
    for rule in RULES:
        found = rule(question, units)
        if found is not None:
            return found
    return None


# A second question in the same message ("when does it stop, what's the default limit?").
SECOND_QUESTION = re.compile(
    r"(?:[,;?]|\band\b)\s*(?:and\s+)?(?:what|whats|what's|when|how|which|where|why|is|are|"
    r"can|do|does|should)\b",
    re.IGNORECASE,
)


def asks_more(question: str, figures: frozenset[str]) -> bool:
    """The question asks for something besides a figure of `figures`: another kind of fact,
    or a second question."""
    return bool(answer_kinds_wanted(question) - figures) or bool(SECOND_QUESTION.search(question))


def choose(question: str, scored: Scored | None) -> tuple[list[Unit], Finding | None]:
    """What answers `question` (asked without the vehicle's name) of its scored units, or why
    nothing does: the units `pick` chooses; where they state no figure of the kind asked, the
    best of those that do (none: the finding); asked for a figure, one stating it leads."""
    units = pick(scored) if scored is not None else []
    finding = unanswered(question, units) if units else None
    if finding is not None and finding.wanted and scored is not None:
        stating = pick_stating(scored, finding.wanted)
        if stating:
            units, finding = stating, None
    if finding is None:
        asked = lead_kinds(question)
        # Asked outright for a figure, not what to do: the figure before the advice, and
        # before the other sentences of its unit.
        outright = not ACTION.search(question)
        units = stating_first(
            units, asked, other_parts=asks_more(question, asked), past_safety=outright
        )
        if units and asked and outright:
            units = [figure_first(units[0], asked), *units[1:]]
    return units, finding


def _whole_sentence(text: str) -> bool:
    """A sentence of its own, not a piece of a record cut at an abbreviation ("Spark plug
    gap, in." and "(mm): 0.031 (0.8)"): it opens on a capital and says a few words."""
    plain = text.replace("**", "").strip()
    return plain[:1].isupper() and len(plain.split()) >= MIN_SENTENCE_WORDS and ":" not in plain


MIN_SENTENCE_WORDS = 4


def figure_first(unit: Unit, kinds: frozenset[str]) -> Unit:
    """A lead of several sentences whose first states no figure of `kinds` and a later one
    does says that one first: asked how far off a height may be, "Trim heights should be
    within 13 mm to be considered correct." before "All dimensions are measured vertical to
    the ground." """
    if unit.kind == "row" or unit.lead_in:
        return unit
    said = sentences(unit.text)
    context = f"{unit.heading} {unit.label}"
    if len(said) < 2 or kinds & kinds_stated(said[0], context):
        return unit
    stating = next((s for s in said[1:] if kinds & kinds_stated(s, context)), None)
    if stating is None or not all(map(_whole_sentence, (said[0], stating))):
        return unit
    return replace(unit, text=" ".join([stating, *(s for s in said if s is not stating)]))


def choose_each(
    question: str, scored: Scored | None, parts: Sequence[tuple[str, Scored | None]] = ()
) -> tuple[list[Unit], Finding | None]:
    """What answers a message that may ask several things (`extraction.parts_asked`): what
    `choose` answers to the whole `question`, led by what it answers to each of its `parts`
    (each with the units scored for it), in the parts' order. The parts only order and add
    to the answer: a message the whole of which nothing answers is not answered by a part. A
    unit said for two parts is said once, as a part asking what to do has it (the
    instruction first)."""
    units, finding = choose(question, scored)
    if finding is not None or len(parts) < 2:
        return units, finding
    leads = []
    for part, part_scored in parts:
        found, part_finding = choose(part, part_scored)
        if found and part_finding is None:
            leads.append((found[0], part_scored))
    said: dict[tuple[int, int], Unit] = {}  # in the order first said
    for unit, by in [*leads, *((u, scored) for u in units)]:
        key = (unit.source, unit.position)
        if key not in said or (by is not None and by.action):
            said[key] = unit
    return list(said.values()), None


# Kinds of fact a lead stating one answers before a lead stating none, besides the figures a
# refusal reads (`figures_asked`): "how long is the running-in?" (a time or a distance), "at
# what temperature…", "which brake fluid?" (a grade: "DOT 4" before how to store the can).
# Asked outright only. A lead stating another kind keeps its place (`stating_first`), and a
# fluid named only by the maker's own name ("DCT-6") is no lead another unit's grade moves.
LEAD_KINDS = frozenset({"temperature", "duration", "period", "grade"})
AT_WHAT = re.compile(r"\b(?:what|which)\b", re.IGNORECASE)


def lead_kinds(question: str) -> frozenset[str]:
    """The kinds of fact the answer's lead should state, where it can."""
    asked = figures_asked(question)
    outright = (
        ASKS_FOR_VALUE.search(question)
        or ASKS_DIRECTLY.search(question)
        or AT_WHAT.search(question)
    )
    if not outright or ACTION.search(question):
        return asked
    return asked | (frozenset(answer_kinds_wanted(question)) & LEAD_KINDS)


def not_found(units: Sequence[Unit]) -> str:
    """The answer when the documents do not answer: it says so, then names the closest
    passages (cited, so the customer can read them)."""
    closest = list(dict.fromkeys(u.source for u in units))[:2]
    if not closest:
        return NOT_FOUND
    cited = " and ".join(f"[{n}]" for n in closest)
    return f"{NOT_FOUND} The closest passages I have are {cited}."
