"""What answers, of the scored units: the best, then up to two more that score close to it and
say something else; relevant safety advice first; a procedure's steps when asked what to do."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from agents.extraction.blocks import sentences
from agents.extraction.rules import figures_stated, gives_order, names_code
from agents.extraction.scoring import Scored
from agents.extraction.steps import steps_from
from agents.extraction.unit import Unit
from agents.extraction.vocabulary import terms

MAX_UNITS = 3
MIN_SCORE = 0.35
# Units this close to the best one may follow it.
KEEP_WITHIN = 0.12
REDUNDANT = 0.9
# Safety advice this close to the best unit's score is shown first.
SAFETY_WITHIN = 0.3
# Without a code to tie it to the question, safety advice must score nearly as well.
SAFETY_WITHIN_UNCODED = 0.1


def pick(scored: Scored) -> list[Unit]:
    """The best unit, then up to two more that score close to it and say something else;
    relevant safety advice goes first."""
    units, scores, vectors = scored.units, scored.scores, scored.vectors
    best = float(scores.max())
    if best < MIN_SCORE:
        return []
    order = [int(i) for i in np.argsort(-scores)]
    chosen: list[int] = []
    per_source: dict[int, int] = {}
    for index in order:
        unit = units[index]
        if scores[index] < best - KEEP_WITHIN or len(chosen) >= MAX_UNITS:
            break
        if per_source.get(unit.source, 0) >= 2:
            continue
        if any(
            float(vectors[index + 1] @ vectors[c + 1]) >= REDUNDANT
            and not _other_figures(unit, units[c])
            for c in chosen
        ):
            continue
        chosen.append(index)
        per_source[unit.source] = per_source.get(unit.source, 0) + 1
    # Safety advice that bears on this question (close enough in score, and about the same
    # code when the question names one) leads the answer: a unit that *is* the instruction
    # ("Stop safely and…") before one that only contains it.
    relevant = [
        i
        for i in order
        if units[i].safety
        and (
            names_code(units[i], scored.codes)
            if scored.codes
            else scores[i] >= best - SAFETY_WITHIN_UNCODED
        )
        and scores[i] >= best - SAFETY_WITHIN
    ]
    instructions = [i for i in relevant if units[i].instructs]
    instruction = None
    if instructions:
        # Steps are written in the order to follow them: the first of the best passage's.
        top = units[instructions[0]]
        instruction = min(
            (
                i
                for i in instructions
                if (units[i].source, units[i].heading) == (top.source, top.heading)
            ),
            key=lambda i: units[i].position,
        )
    lead = (
        instruction
        if instruction is not None
        else next((i for i in chosen if units[i].safety), relevant[0] if relevant else None)
    )
    if lead is not None:
        chosen = [lead, *(i for i in chosen if i != lead)][:MAX_UNITS]
    steps = steps_from(units, order[0], scored.procedure) if scored.action else []
    if steps and (lead is None or lead == order[0] or units[lead].kind == "item"):
        return steps
    if scored.action and lead is None:
        # Asked what to do, and close to the best stands a sentence that announces the steps
        # ("This fault can be corrected with a few simple steps:"): the steps are the answer.
        close = itertools.takewhile(lambda i: scores[i] >= best - KEEP_WITHIN, order)
        announced = (
            steps_from(units, i, True) for i in close if units[i].text.rstrip().endswith(":")
        )
        steps = next((found for found in announced if found), [])
        if steps:
            return steps
    picked = [units[i] for i in _with_antecedent(units, chosen)]
    if not picked:
        return picked
    first = _past_the_description(picked[0], scored.asked)
    return [_instruction_first(first) if scored.action else first, *picked[1:]]


NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def _other_figures(unit: Unit, other: Unit) -> bool:
    """Two units alike in what they say of and not in their figures ("<6G7> 82 ± 2°C" and
    "<4M4> 76.5 ± 2°C" under one step): each gives a figure the other does not."""
    mine, theirs = set(NUMBER.findall(unit.text)), set(NUMBER.findall(other.text))
    return bool(mine) and bool(theirs) and bool(mine - theirs) and bool(theirs - mine)


def pick_stating(scored: Scored, kinds: frozenset[str]) -> list[Unit]:
    """What answers of the units that state a figure of one of `kinds`, as `pick` chooses:
    for when the best units state none of the kind asked for, but a unit further down does
    (a capacity row that scores below a sentence about the same fluid)."""
    states = np.asarray([bool(kinds & figures_stated(u)) for u in scored.units])
    if not states.any():
        return []
    return pick(replace(scored, scores=np.where(states, scored.scores, -np.inf)))


def stating_first(
    units: Sequence[Unit],
    kinds: frozenset[str],
    other_parts: bool = True,
    past_safety: bool = False,
) -> list[Unit]:
    """The units with the first that states a figure of one of `kinds` leading, when the
    lead states none of them and is no safety advice: asked how much oil, the capacity row
    before the step about the filter, or before the gearbox's number of gears. Where the
    question asks for something else as well (`other_parts`), a lead stating a figure of
    another kind stays: it may answer that part ("what fluid, and when is it replaced?")."""
    units = list(units)
    if not units or not kinds or (units[0].safety and not past_safety):
        return units
    stated = figures_stated(units[0])
    if stated & kinds or (other_parts and stated):
        return units
    stating = [u for u in units if kinds & figures_stated(u)]
    # One that adds to or excepts what another says ("In addition, … sooner, at 30,000
    # miles") leads only where no other states the figure.
    lead = next((u for u in stating if not ADDS.match(u.text.replace("**", ""))), None)
    lead = lead or next(iter(stating), None)
    return units if lead is None else [lead, *(u for u in units if u is not lead)]


def _instruction_first(unit: Unit) -> Unit:
    """Asked what to do, a row or item that first describes ("Indicates that the system has
    detected a fault.") and then instructs ("Please consult a dealer as soon as possible.")
    says the instruction first, then the description."""
    if unit.kind not in ("row", "item"):
        return unit
    head, colon, value = unit.text.partition(": ") if unit.kind == "row" else ("", "", unit.text)
    if unit.kind == "row" and not colon:
        return unit
    said = sentences(value)
    if len(said) < 2 or gives_order(said[0]):
        return unit
    orders = [s for s in said if gives_order(s)]
    if not orders:
        return unit
    value = " ".join([*orders, *(s for s in said if s not in orders)])
    return replace(unit, text=f"{head}{colon}{value}")


# An item that first describes what the customer describes ("All models: a light grinding when
# you first brake after rain. This is surface rust on the discs…") answers with what it says
# of it: the sentence pointing back to the description reads as pointing to the question.
DESCRIBES = 0.4


def _past_the_description(unit: Unit, asked: frozenset[str]) -> Unit:
    if unit.kind != "item" or unit.lead_in:
        return unit
    first, *rest = sentences(unit.text)
    if not rest or not POINTS_BACK.match(rest[0].replace("**", "")):
        return unit
    described = terms(first.split(":", 1)[-1])
    if not described or len(described & asked) < DESCRIBES * len(described):
        return unit
    return replace(unit, text=" ".join(rest))


# A sentence that opens on a word pointing back ("It must be reserved when you book") or goes
# on from the one before ("However, towing…", "In addition, …") reads, and scores, with the
# sentence before it: alone at the head of an answer it names nothing, or only the exception.
ADDS = re.compile(
    r"^(?:In addition|Additionally|Also|Furthermore|Moreover|However|Otherwise|Therefore),"
)
POINTS_BACK = re.compile(rf"^(?:It|Its|This|These|They|Their|That|Those|Such)\b|{ADDS.pattern}")


def _with_antecedent(units: Sequence[Unit], chosen: list[int]) -> list[int]:
    """The chosen units, the sentence the lead points back to put before it."""
    if not chosen:
        return chosen
    lead = units[chosen[0]]
    if lead.kind != "sentence" or not POINTS_BACK.match(lead.text.replace("**", "")):
        return chosen
    before = next(
        (
            i
            for i, u in enumerate(units)
            if (u.source, u.heading, u.kind) == (lead.source, lead.heading, "sentence")
            and u.position == lead.position - 1
            and u.text.replace("**", "") in lead.scored_text
        ),
        None,
    )
    if before is None:
        return chosen
    return [before, *(i for i in chosen if i != before)][:MAX_UNITS]
