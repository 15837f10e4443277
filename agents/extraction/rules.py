"""The rules that score how well a unit answers a question, each a named pure function of the
question (`Question`) and the unit (`Candidate`) with its weight in one table, `RULES`. A rule
returns 1 or 0 (it fired or not), or a share, a rank, a similarity. A unit's score is the sum of
weight × value over the table; `fired` says which rules gave it what."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

from agents.extraction.question import CODE_WORD, Question
from agents.extraction.unit import Unit, leaf
from agents.extraction.vehicles import compares, heading_names_other_variant, names_other_variant
from agents.extraction.vocabulary import (
    ADVERB_LEADS,
    FUNCTION_WORDS,
    GIVEN_VALUE,
    MEASURES,
    ORDER_FOLLOWERS,
    UNIT_WORDS,
    kinds_stated,
    record_label,
    share,
    sides_named,
    stem,
    terms,
)


@dataclass(frozen=True)
class Candidate:
    """A unit as the rules read it, with what is known of it only beside the other units."""

    unit: Unit
    similarity: float = 0.0  # its embedding's cosine with the question's
    condition: str | None = None  # what it holds only under (`conditions.conditions`)

    @cached_property
    def stated(self) -> set[str]:
        """The kinds of fact the unit states (read once, for the rules that ask)."""
        return figures_stated(self.unit)


def figures_stated(unit: Unit) -> set[str]:
    """The kinds of figure a unit states, a bare number's unit read from its heading, its
    label or the labels of its record; with when it is due, where its heading says only
    that."""
    stated = kinds_stated(unit.text, f"{unit.heading} {unit.label}")
    return (stated | kinds_stated(unit.due, "")) if unit.due else stated


def similar_meaning(question: Question, candidate: Candidate) -> float:
    """How close in meaning the unit is to the question (its embedding's cosine)."""
    return candidate.similarity


def shared_terms(question: Question, candidate: Candidate) -> float:
    """The share of the question's terms the unit has (read with its lead-in and heading)."""
    return share(question.terms, candidate.unit.scored_text)


def label_named(question: Question, candidate: Candidate) -> float:
    """The question names a term of the unit's label (a row's first cell, a lead-in)."""
    return float(bool(question.terms & terms(candidate.unit.label)))


def heading_shared(question: Question, candidate: Candidate) -> float:
    """The share of the question's terms its section's heading has."""
    return share(question.terms, candidate.unit.heading)


# Where a number names a code: at the start of a text, or after the word for one.
NUMBER_NAMED = rf"(?:^\W*|{CODE_WORD})"


def names_code(unit: Unit, codes: Sequence[str]) -> bool:
    """The unit, its lead-in or its section heading names one of the codes; a code that is a
    number only where it stands as one: opening a row or a line ("42 (Faulty portion): …") or
    after "code", "error" or "fault" ("Diagnostic code 42"), not as a figure ("42 mm")."""
    parts = (unit.text, unit.label, leaf(unit.heading))
    context = " ".join(parts).upper()
    return any(
        any(re.search(rf"{NUMBER_NAMED}{code}(?![\w.,]\d|\w)", part, re.I) for part in parts)
        if code.isdigit()
        else code in context
        for code in codes
    )


def code_named(question: Question, candidate: Candidate) -> float:
    """The unit names a code the question names (a fault code, a part number)."""
    return float(names_code(candidate.unit, question.codes))


def kind_stated(question: Question, candidate: Candidate) -> float:
    """The unit states the kind of fact asked for ("how much" → an amount of money)."""
    return float(bool(question.wanted) and bool(question.wanted & candidate.stated))


def kind_missing(question: Question, candidate: Candidate) -> float:
    """Asked outright for a kind of fact ("how long is it?"), the unit states only other kinds
    (how long a service takes, asked how often it is due), or none at all."""
    wanted = question.wanted
    return float(bool(wanted) and not (wanted & candidate.stated) and question.directly)


# Not for weights: a table of them names weight in most rows (gross, kerb, payload, towing),
# so naming it says nothing of which one is asked.
NAMED_MEASURES = frozenset(MEASURES) - {"weight"}


def measure_named(question: Question, candidate: Candidate) -> float:
    """The unit names the measure asked for and states it in its units ("Acceleration 0-60
    mph: 5.6 seconds", "the maximum filling capacity is 4.5 litres"), where one that only
    states a figure of that kind ("the remaining quantity is 0.5 litres") does not. Its words,
    not its figures' units, name the measure ("4 gallons" names no capacity)."""
    unit = candidate.unit
    named = UNIT_WORDS.sub(" ", _naming(unit))
    return float(
        any(
            states.search(unit.text) and asks.search(named)
            for kind, (asks, states) in MEASURES.items()
            if kind in question.wanted & NAMED_MEASURES
        )
    )


def _naming(unit: Unit) -> str:
    """What names a unit's figure: its label, or its text; for a record labelled only as a
    given value ("Limit: 2.0 mm" under "Check the brake pad thickness."), the step it is read
    with."""
    named = unit.label or unit.text
    if GIVEN_VALUE.match(record_label(named)):
        return unit.scored_text
    return named


KEY = re.compile(r"^\W*([A-Za-z][^:\d]{2,40}?)\W*:\s+(\S.*)")
KEY_WORDS = (2, 4)


def key_named(question: Question, candidate: Candidate) -> float:
    """A sentence that says in words what its key means ("Flashing orange: the car is waiting
    for a schedule.") answers a question that names that key in full ("the light … was
    flashing orange"): the question describes what the key names. A key followed by a figure
    ("Towing capacity, braked: 1,100 kg") is a record, scored as a figure is, for its vehicle."""
    unit = candidate.unit
    if unit.kind == "row" or unit.lead_in:
        return 0.0
    key = KEY.match(unit.text.replace("**", ""))
    if key is None or not KEY_WORDS[0] <= len(key.group(1).split()) <= KEY_WORDS[1]:
        return 0.0
    if any(c.isdigit() for c in key.group(2)):
        return 0.0
    named = terms(key.group(1))
    return float(len(named) >= KEY_WORDS[0] and named <= question.terms)


# What may stand before an order's verb: "Please consult …", "As soon as conditions permit,
# safely stop …", "If the light stays on, contact …".
BEFORE_ORDER = re.compile(
    r"^\W*(?:please\s+|(?:as soon as|if|when|whenever|once|after|before|while)\b[^,.;]{1,60},\s*)+",
    re.I,
)


def gives_order(text: str) -> bool:
    """The sentence tells the reader what to do: it opens with a verb ("Drive gently",
    "Stop the vehicle", "Do not open the cap", "Always switch off the engine"), perhaps after
    "please" or a clause saying when ("As soon as conditions permit, safely stop …")."""
    plain = text.replace("**", "")
    plain = BEFORE_ORDER.sub("", plain) or plain
    words = [w.lower() for w in re.findall(r"[A-Za-z']+", plain)[:4]]
    while words and words[0] in ADVERB_LEADS:
        words = words[1:]
    if len(words) < 2 or (words[0] in FUNCTION_WORDS and words[0] != "do"):
        return False
    if words[0].endswith("s") and not words[0].endswith("ss"):
        return False  # "Indicates that …", "Means the …": a verb in the third person
    return words[1] in ORDER_FOLLOWERS or words[1].endswith("ly")


def order_asked(question: Question, candidate: Candidate) -> float:
    """Asked what to do, the unit tells the reader what to do."""
    return float(question.action and gives_order(candidate.unit.text))


def passage_rank(question: Question, candidate: Candidate) -> float:
    """The retrieval rank of the unit's passage (0 for the best)."""
    return float(candidate.unit.rank)


def unasked_condition(question: Question, candidate: Candidate) -> float:
    """What holds only under a condition the question does not mention ("If you mainly drive
    short trips, … every 7,500 km", an item of a list "if you:") comes after what holds as a
    rule."""
    condition = candidate.condition
    return float(condition is not None and not (terms(condition) & question.terms))


def comparison(question: Question, candidate: Candidate) -> float:
    """Asked about one vehicle, a sentence that sets it beside another model ("the GT has the
    highest top speed of the three even though the SUV is much quicker") says less of it than
    one about it alone; so does a figure read in a whole model's column, asked about one of its
    variants ("Maximum braked towing (<model>)" for its 2.2D), to one of that variant."""
    unit = candidate.unit
    return float(compares(unit, question.focus, question.catalogue) or unit.model_wide)


def other_variant_heading(question: Question, candidate: Candidate) -> float:
    """Asked about a variant, the unit's section is another variant's of the same model."""
    return float(heading_names_other_variant(candidate.unit, question.focus, question.catalogue))


def other_variant_named(question: Question, candidate: Candidate) -> float:
    """Asked about a variant, the unit gives another variant's figure."""
    return float(names_other_variant(candidate.unit, question.focus, question.catalogue))


# "with a new filter" against "without filter": the condition a figure holds under, said by
# the word before what it is about (a few words may come between: "with a new filter").
WITH = re.compile(r"\b(with|without)\s+((?:[\w-]+\s+){0,2}[\w-]+)", re.I)


def _with_terms(text: str) -> dict[str, set[str]]:
    """{"with": the terms said to be there, "without": those said not to be}."""
    found: dict[str, set[str]] = {"with": set(), "without": set()}
    for said in WITH.finditer(text.replace("**", "")):
        found[said.group(1).lower()] |= terms(said.group(2))
    return found


def opposite_condition(question: Question, candidate: Candidate) -> float:
    """The unit holds without what the question asks with, or with what it asks without:
    asked "how much oil with a new filter?", "without filter: 7.4" is the other figure."""
    asked = _with_terms(question.text)
    said = _with_terms(candidate.unit.text)
    return float(bool(asked["with"] & said["without"] or asked["without"] & said["with"]))


def opposite_named(question: Question, candidate: Candidate) -> float:
    """Asked of one side (the rear, the exhaust, a short wheelbase), the unit names the other
    side and not the one asked: "<Long wheelbase> 10.5 L" asked about a short one."""
    if not question.sides:
        return 0.0
    unit = candidate.unit
    said = sides_named(terms(f"{unit.label} {unit.text}"))
    return float(
        any((pair, 1 - side) in said and (pair, side) not in said for pair, side in question.sides)
    )


# A sentence that points at a value given elsewhere ("tighten the drain plug to the specified
# torque", "set the gap to the correct clearance", "use the plugs recommended below") names
# what was asked without stating it.
REFERRED_VALUE = re.compile(
    r"\b(?:specified|correct|proper|prescribed|recommended|required|appropriate|standard)\s+"
    r"(?:[\w-]+\s+){0,2}?(?:torque|pressures?|clearance|gap|quantity|amount|level|capacity|"
    r"values?|grade|viscosity|oil|fluid|interval|tension|thickness|size|type|number|wattage)"
    r"\b(?!\s*:)|"  # not a label ("Standard value: 0.15 mm" gives it)
    r"\b(?:to|within|at|of) (?:the )?(?:specifications?|spec|specified value|standard value)\b|"
    r"\b(?:specified|recommended|listed|shown|given|indicated) (?:below|above|earlier|later|"
    r"in (?:the )?(?:table|chart|specifications?|section|chapter))\b|"
    r"\bsee (?:the )?(?:table|chart|specifications?)\b",
    re.I,
)


def value_referred(question: Question, candidate: Candidate) -> float:
    """Asked outright for a figure, the unit points at one given elsewhere ("to the specified
    torque") and states none of the kind asked for (`kind_missing`): it names the answer
    without giving it."""
    if REFERRED_VALUE.search(candidate.unit.text) is None:
        return 0.0
    return kind_missing(question, candidate)


# The dimension a question asks for ("how long is it?": its length) and the words that name
# each in a document.
DIMENSION_ASKED = {
    "length": re.compile(r"\bhow long (?:is|are)\b|\blength\b|\bbumper to bumper\b", re.I),
    "width": re.compile(r"\bhow wide\b|\bwidth\b", re.I),
    "height": re.compile(r"\bhow (?:tall|high) (?:is|are)\b|\bheight\b", re.I),
    "wheelbase": re.compile(r"\bwheel ?base\b", re.I),
}
DIMENSION_NAMED = {
    "length": re.compile(r"\blength\b", re.I),
    "width": re.compile(r"\bwidth\b", re.I),
    "height": re.compile(r"\bheight\b", re.I),
    "wheelbase": re.compile(r"\bwheel ?base\b", re.I),
}


def other_dimension(question: Question, candidate: Candidate) -> float:
    """Asked for one dimension (how long: the length), the unit names another and not it
    ("Overall height: 61.0 in." asked how long the vehicle is)."""
    asked = {d for d, pattern in DIMENSION_ASKED.items() if pattern.search(question.text)}
    if len(asked) != 1:
        return 0.0
    unit = candidate.unit
    named = unit.label or unit.text.partition(": ")[0]
    said = {d for d, pattern in DIMENSION_NAMED.items() if pattern.search(named)}
    return float(bool(said) and not (said & asked))


# What a figure is said not to hold for, in brackets ("[Except U.S.A. and CANADA]", "(Except S
# or XRS grade models)"): the words after "except" up to the bracket's end. Not "except" in a
# sentence ("use no fluid except DOT 4" names the one to use).
EXCEPT = re.compile(
    r"[\[(]\s*(?:except|excluding|other than)\b(?:\s+for)?\s+([^\])(\[:;\n]{1,60})[\])]", re.I
)
# Initials of a name, dotted or not ("U.S.A.", "US"): capitals only, so that "us" is a word.
INITIALS = re.compile(r"\b(?:[A-Z]\.){2,}|\b[A-Z]{2,}\b")
# Words an exception names that say nothing of which one ("grade models", "vehicles").
EXCEPT_GENERIC = frozenset(
    stem(word)
    for word in ("model", "grade", "version", "vehicle", "type", "car", "market", "specification")
)


# "US" that names a measure's units, not a market: "8.1 US qt", "US gallons".
US_MEASURE = re.compile(r"\bU\.?S\.?\s*(?:qt|quarts?|gal|gallons?|pt|pints?|fl)\b", re.I)


def _initials(text: str) -> set[str]:
    """The names written in capitals or initials, read alike: "U.S.A." and "USA" both "usa";
    "US" as "usa" too (the initials of a country name its market)."""
    found = {m.group(0).replace(".", "").lower() for m in INITIALS.finditer(text)}
    return {"usa" if name == "us" else name for name in found}


def _names(text: str) -> set[str]:
    """The words of `text` that may name a variant or market: its terms and its initials."""
    plain = US_MEASURE.sub(" ", text.replace("\u2019s", "").replace("'s", ""))
    return (terms(INITIALS.sub(" ", plain)) | _initials(plain)) - EXCEPT_GENERIC


def _bracketed_in(unit: Unit) -> str:
    """What a unit's brackets may stand in: its label, its text and its section's heading."""
    return f"{unit.label}\n{unit.text}\n{leaf(unit.heading)}"


def excepted_named(question: Question, candidate: Candidate) -> float:
    """The unit's figure is said not to hold for what the question names: asked about a US
    model, "Coolant capacity [Except U.S.A. and CANADA]: 7.9 L" is the other markets' figure."""
    read = _bracketed_in(candidate.unit)
    excepted: set[str] = set()
    for said in EXCEPT.finditer(read):
        excepted |= _names(said.group(1))
    if not excepted:  # most units: the question's names are not read for them
        return 0.0
    asked = excepted & _names(question.text)
    # Not where it also gives their own figure: "171.9 in. (Except S or XRS grade models)
    # 173.0 in. (S or XRS grade models)".
    return float(bool(asked - _names(EXCEPT.sub(" ", read))))


# Markets a figure is given for, as manuals name them in brackets ("[U.S.A. and CANADA]",
# "(Europe)"): the words, and the initials in capitals.
MARKET_WORDS = {
    "europe": "europe", "european": "europe", "canada": "canada", "canadian": "canada",
    "australia": "australia", "japan": "japan", "china": "china", "india": "india",
    "mexico": "mexico", "britain": "uk", "korea": "korea",
}  # fmt: skip
# (Not "American": "(American Petroleum Institute)" names a standard, not a market.)
MARKET_INITIALS = {"usa": "usa", "uk": "uk", "gb": "uk", "eu": "europe", "gcc": "gcc"}
BRACKETED = re.compile(r"[\[(]([^\])(\[]{1,60})[\])]")


def _markets(text: str) -> set[str]:
    """The markets `text` names."""
    plain = US_MEASURE.sub(" ", text)
    words = {MARKET_WORDS[w] for w in re.findall(r"[a-z]+", plain.lower()) if w in MARKET_WORDS}
    return words | {MARKET_INITIALS[i] for i in _initials(plain) if i in MARKET_INITIALS}


def other_market(question: Question, candidate: Candidate) -> float:
    """Asked about one market (a car in Europe), the unit's figure is given in brackets for
    others ("Engine coolant capacity [U.S.A. and CANADA]")."""
    asked = _markets(question.text)
    if not asked:
        return 0.0
    read = EXCEPT.sub(" ", _bracketed_in(candidate.unit))
    named = set().union(*(_markets(b.group(1)) for b in BRACKETED.finditer(read)))
    return float(bool(named) and not (named & asked))


class Rule(NamedTuple):
    """A row of the table: the rule's name, its weight, and the function that reads it."""

    name: str
    weight: float
    reads: Callable[[Question, Candidate], float]


# Every weight of the score. A float sum depends on the order of its terms: they are added in
# this order, so that units that score alike keep the order they have always had.
RULES: tuple[Rule, ...] = (
    Rule("similar_meaning", 1.0, similar_meaning),
    Rule("shared_terms", 0.3, shared_terms),
    Rule("label_named", 0.1, label_named),
    Rule("heading_shared", 0.05, heading_shared),
    Rule("code_named", 1.0, code_named),
    Rule("kind_stated", 0.08, kind_stated),
    Rule("kind_missing", -0.06, kind_missing),
    Rule("measure_named", 0.1, measure_named),
    Rule("key_named", 0.2, key_named),
    Rule("order_asked", 0.06, order_asked),
    Rule("passage_rank", -0.02, passage_rank),
    Rule("unasked_condition", -0.15, unasked_condition),
    Rule("comparison", -0.05, comparison),
    Rule("other_variant_heading", -0.15, other_variant_heading),
    Rule("other_variant_named", -0.12, other_variant_named),
    Rule("opposite_condition", -0.1, opposite_condition),
    Rule("other_dimension", -0.1, other_dimension),
    Rule("value_referred", -0.1, value_referred),
    Rule("opposite_named", -0.25, opposite_named),
    Rule("excepted_named", -0.15, excepted_named),
    Rule("other_market", -0.15, other_market),
)


def contributions(question: Question, candidate: Candidate) -> tuple[float, ...]:
    """What each rule adds to the unit's score (weight × value), in the table's order."""
    return tuple(rule.weight * rule.reads(question, candidate) for rule in RULES)


def total(added: Sequence[float]) -> float:
    """The score: the contributions added one by one, left to right (not `sum`, which from
    Python 3.12 compensates, and so may round otherwise)."""
    result = 0.0
    for value in added:
        result += value
    return result


def fired(added: Sequence[float]) -> dict[str, float]:
    """{rule name: what it added} for each rule that added something."""
    return {rule.name: value for rule, value in zip(RULES, added, strict=True) if value}
