"""Words a knowledge base sets side by side as alternatives: the column names of a table
(Diesel | Petrol, Front | Rear, km | months) and the short words a column tells its rows
apart by. A follow-up that names one ("and the petrol one?") asks the question before it
again with that word in place of its sibling.

Read from the documents' pipe tables; nothing is known in advance of any corpus.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

TABLE_ROW = re.compile(r"^\s*\|")
SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}")
WORD = re.compile(r"[^\W\d_]{3,}")
MAX_GROUP = 6


def _cells(line: str) -> list[str]:
    return [c.strip().replace("**", "") for c in line.strip().strip("|").split("|")]


def _tables(body: str) -> Iterable[list[list[str]]]:
    rows: list[list[str]] = []
    for line in [*body.splitlines(), ""]:
        if TABLE_ROW.match(line):
            if not SEPARATOR.match(line):
                rows.append(_cells(line))
        elif rows:
            yield rows
            rows = []


def _distinctive(names: list[str]) -> list[set[str]]:
    """Each name's words that not every name has."""
    words = [set(WORD.findall(name.lower())) for name in names]
    shared = set.intersection(*words) if words else set()
    return [w - shared for w in words]


def alternatives(bodies: Iterable[str]) -> list[list[str]]:
    """Groups of sibling words, each sorted, the groups in a stable order."""
    groups: set[tuple[str, ...]] = set()
    for body in bodies:
        for rows in _tables(body):
            header = rows[0][1:]
            if len(header) >= 2:
                groups.add(_group(header))
                groups.update(_pairs(header))
            for i in range(1, len(rows[0])):
                column = [r[i] for r in rows[1:] if i < len(r) and r[i]]
                if len(column) >= 2 and all(len(v.split()) <= 2 for v in column):
                    groups.add(_group(sorted(set(column))))
    return sorted(list(g) for g in groups if 2 <= len(g) <= MAX_GROUP and not _inflected(g))


def _pairs(names: list[str]) -> set[tuple[str, ...]]:
    """Words two column names differ by alone, joined into groups: "Part load front axle",
    "Part load rear axle" and "Full load front axle" make (front, rear) and (full, part) even
    where the names differ in more than one word each."""
    words = [set(WORD.findall(name.lower())) for name in names]
    joined: dict[str, set[str]] = {}
    for i, first in enumerate(words):
        for second in words[i + 1 :]:
            only_first, only_second = first - second, second - first
            if len(only_first) == 1 and len(only_second) == 1:
                group = only_first | only_second
                for word in list(group):
                    group |= joined.get(word, set())
                for word in group:
                    joined[word] = group
    return {tuple(sorted(group)) for group in joined.values()}


def _inflected(group: tuple[str, ...]) -> bool:
    """Forms of one word (hour, hours), not alternatives."""
    return any(a != b and b.startswith(a) for a in group for b in group)


def _group(names: list[str]) -> tuple[str, ...]:
    """One word each, when every name has exactly one of its own."""
    distinct = _distinctive(names)
    if any(len(words) != 1 for words in distinct):
        return ()
    return tuple(sorted({next(iter(words)) for words in distinct}))


def sibling(word: str, text: str, groups: Iterable[Iterable[str]]) -> str | None:
    """A word of `text` that `word` stands beside in some group, or None."""
    lowered = word.lower()
    present = {w.lower() for w in WORD.findall(text)}
    for group in groups:
        members = set(group)
        if lowered in members:
            found = sorted((members - {lowered}) & present)
            if found:
                return found[0]
    return None
