"""How well each candidate unit answers a question: the rules of `rules.RULES`, summed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from agents.extraction.conditions import conditions
from agents.extraction.question import Question, read_question
from agents.extraction.rules import Candidate, contributions, fired, total
from agents.extraction.unit import Unit
from rag.catalogue import Catalogue


@dataclass(frozen=True)
class Scored:
    """A question's candidate units, each with its score and embedding (row i+1 of vectors)."""

    units: list[Unit]
    scores: NDArray[np.float64]
    vectors: NDArray[np.float32]
    codes: list[str]
    action: bool = False  # the question asks what to do
    procedure: bool = False  # … and how, from the start ("how do I", "what first")
    asked: frozenset[str] = frozenset()  # the question's terms
    # Each unit's contributions to its score, rule by rule in the order of `rules.RULES`.
    contributions: tuple[tuple[float, ...], ...] = ()

    def fired(self, index: int) -> dict[str, float]:
        """{rule name: what it added} for the rules that fired for the unit at `index`."""
        return fired(self.contributions[index])

    def fired_for(self, unit: Unit) -> dict[str, float]:
        """The rules that fired for the candidate `unit` is, or is cut from (an answer may
        leave out an item's opening description): the one of its source and position."""
        return self.fired(
            next(
                i
                for i, u in enumerate(self.units)
                if (u.source, u.position) == (unit.source, unit.position)
                and u.text.endswith(unit.text)
            )
        )


def score(
    question: str,
    units: list[Unit],
    encode: Callable[[Sequence[str]], NDArray[np.float32]],
    focus: str | None,
    catalogue: Catalogue,
) -> Scored:
    """How well each unit answers: meaning, shared terms, its label and heading, exact codes,
    the kind of fact asked for; less for a lower-ranked passage or another variant's section."""
    asked = read_question(question, focus, catalogue)
    return _scored(asked, units, encode([asked.text, *(u.scored_text for u in units)]))


def rescore(
    scored: Scored,
    question: str,
    encode: Callable[[Sequence[str]], NDArray[np.float32]],
    focus: str | None,
    catalogue: Catalogue,
) -> Scored:
    """The same units scored for another question (a part of the one they were scored
    for): only the question is embedded again."""
    asked = read_question(question, focus, catalogue)
    vectors = np.vstack([encode([asked.text])[:1], scored.vectors[1:]])
    return _scored(asked, scored.units, vectors)


def _scored(asked: Question, units: list[Unit], vectors: NDArray[np.float32]) -> Scored:
    similarity = vectors[1:] @ vectors[0]
    added = tuple(
        contributions(asked, Candidate(unit, float(similarity[i]), condition))
        for i, (unit, condition) in enumerate(zip(units, conditions(units), strict=True))
    )
    return Scored(
        units,
        np.asarray([total(values) for values in added], dtype=np.float64),
        vectors,
        list(asked.codes),
        action=asked.action,
        procedure=asked.procedure,
        asked=asked.terms,
        contributions=added,
    )
