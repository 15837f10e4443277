"""Extractive answering: the sentences, list items and table rows that answer a question.

Pure logic over text and vectors; the offline chat model in `agents.offline_model` wraps it.
An answer leads with the single best-supported unit, then adds at most a few that say
something more; every unit is whole (a sentence, however the source wrapped its lines; a list
item; a table row with its column names) and cites the number its passage has in the turn.
When the question names a vehicle, units about another vehicle are left out.

A passage is split into units (`passages`, `blocks`, `tables`); each candidate unit is scored
by the rules of `rules.RULES`, each a named function with its weight, on the question as
`question` reads it with the one `vocabulary`; `picking` chooses what answers and `wording`
says it. `explain` tells which rules fired for each unit of an answer.
"""

from agents.extraction.parts import parts_asked
from agents.extraction.passages import candidates, split_units
from agents.extraction.picking import pick, pick_stating, stating_first
from agents.extraction.rules import RULES, Rule, figures_stated
from agents.extraction.scoring import Scored, rescore, score
from agents.extraction.selecting import explain, scored_units, select
from agents.extraction.unit import Unit
from agents.extraction.vehicles import knowing, without_vehicles
from agents.extraction.vocabulary import (
    MEASURES,
    answer_kinds_in,
    answer_kinds_wanted,
    kinds_stated,
)
from agents.extraction.wording import NO_ANSWER, compose, no_answer

__all__ = [
    "MEASURES",
    "NO_ANSWER",
    "RULES",
    "Rule",
    "Scored",
    "Unit",
    "answer_kinds_in",
    "answer_kinds_wanted",
    "candidates",
    "compose",
    "explain",
    "figures_stated",
    "kinds_stated",
    "knowing",
    "no_answer",
    "parts_asked",
    "pick",
    "pick_stating",
    "rescore",
    "score",
    "scored_units",
    "select",
    "split_units",
    "stating_first",
    "without_vehicles",
]
