"""What a unit holds only under: its opening "If …," clause, or the words of an item of a
list announced "…if you:"."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from agents.extraction.unit import Unit

CONDITION = re.compile(r"^(?:if|unless|whenever|in case|under)\b(.{3,}?)(?:,(?!\d)|:)", re.I)
# "… 55.5 cm for vehicles with level control", "(models equipped with a tow bar)": the figure
# is of some of the vehicles, those with what follows.
FOR_VEHICLES_WITH = re.compile(
    r"\b(?:vehicles|models|cars|versions)\s+(?:equipped with|fitted with|with)\s+"
    r"([^.;:()]{3,}?)\s*(?:[.;:()]|$)",
    re.I,
)
CONDITIONAL_LIST = re.compile(r"\b(?:if|when|whenever)(?: you| it| the \w+)?:$", re.I)


def conditions(units: Sequence[Unit]) -> list[str | None]:
    """Each unit's condition, when it holds only under one: its opening "If …," clause, or,
    for an item of a list announced "…if you:", the item's own words."""
    announced: set[tuple[int, str, int]] = set()
    for before, after in itertools.pairwise(units):
        if (
            after.kind == "item"
            and before.kind != "item"
            and (before.source, before.heading) == (after.source, after.heading)
            and CONDITIONAL_LIST.search(before.text.rstrip())
        ):
            announced.add((after.source, after.heading, after.list_id))
    found: list[str | None] = []
    for unit in units:
        plain = unit.text.replace("**", "")
        if unit.kind == "item" and (unit.source, unit.heading, unit.list_id) in announced:
            found.append(plain.split(":", 1)[0])
        elif match := CONDITION.match(plain) or FOR_VEHICLES_WITH.search(plain):
            found.append(match.group(1))
        else:
            found.append(None)
    return found
