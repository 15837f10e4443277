"""A procedure's steps: the items of a list in their order, when the best unit is one of them
or introduces them."""

from __future__ import annotations

from collections.abc import Sequence

from agents.extraction.unit import Unit

MAX_STEPS = 4


def steps_from(units: Sequence[Unit], best: int, from_start: bool) -> list[Unit]:
    """A list's items in their order, when the best unit is one of them or introduces them
    ("Make the connections as follows:", a title for what follows); none otherwise. A
    procedure is told from its first step (`from_start`); otherwise the answer starts at the
    best item and goes on with those after it. An item of several sentences shows its first."""
    unit = units[best]
    same = [u for u in units if u.source == unit.source and u.heading == unit.heading]
    if unit.kind == "item":
        members = [u for u in same if u.kind == "item" and u.list_id == unit.list_id]
    elif unit.text.rstrip().endswith(":"):
        after = sorted((u for u in same if u.position > unit.position), key=lambda u: u.position)
        members = []
        for following in after:
            if following.kind != "item" or (members and following.list_id != members[0].list_id):
                break
            members.append(following)
        from_start = True  # what it introduces: the answer is what follows
    else:
        return []
    firsts: dict[int, Unit] = {}
    for member in sorted(members, key=lambda u: u.position):
        firsts.setdefault(member.item, member)
    ordered = [firsts[i] for i in sorted(firsts)]
    if len(ordered) < 2:
        return []
    index = next((n for n, u in enumerate(ordered) if u.item == unit.item), 0)
    start = 0 if from_start and index < MAX_STEPS else index
    return ordered[start : start + MAX_STEPS]
