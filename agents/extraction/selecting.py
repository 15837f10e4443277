"""The units that answer a question from its passages, and why: which rules fired for each."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from agents.extraction.passages import candidates
from agents.extraction.picking import pick
from agents.extraction.scoring import Scored, score
from agents.extraction.unit import Unit
from agents.extraction.vehicles import knowing
from rag.catalogue import Catalogue

Sources = Sequence[tuple[int, str, str, str]]  # (the [n] it cites, title, heading, body)
Encode = Callable[[Sequence[str]], NDArray[np.float32]]


def select(
    question: str,
    sources: Sources,
    encode: Encode,
    focus: str | None = None,
    catalogue: Catalogue | None = None,
) -> list[Unit]:
    """The units that answer `question`: the best first (safety advice before it), then what
    adds to it."""
    scored = scored_units(question, sources, encode, focus, catalogue)
    return pick(scored) if scored is not None else []


def explain(
    question: str,
    sources: Sources,
    encode: Encode,
    focus: str | None = None,
    catalogue: Catalogue | None = None,
) -> list[tuple[Unit, dict[str, float]]]:
    """What `select` answers with, each unit with the rules that fired for it ({rule name:
    what it added to the unit's score})."""
    scored = scored_units(question, sources, encode, focus, catalogue)
    return [(unit, scored.fired_for(unit)) for unit in pick(scored)] if scored is not None else []


def scored_units(
    question: str,
    sources: Sources,
    encode: Encode,
    focus: str | None = None,
    catalogue: Catalogue | None = None,
) -> Scored | None:
    """Every candidate unit of the passages, scored for `question` (None: the passages hold
    none), for `pick` to choose from, once or again."""
    catalogue = knowing(catalogue, focus)
    units = candidates(sources, focus, catalogue, question)
    if not units:
        return None
    return score(question, units, encode, focus, catalogue)
