"""A table's legend written out in the table: "FA = front axle, RA = rear axle" under a table
whose columns say "Part load FA" makes them "Part load front axle". Pure: blocks in, blocks out.

Manuals abbreviate column names to fit a page and explain them in a line beside the table;
read apart, the column "RA" means nothing to a question about the rear tyres.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from rag.blocks import TABLE_SEPARATOR, Block

# "FA = front axle", "RA: rear axle" is not one (a colon opens too many ordinary sentences).
ENTRY = re.compile(r"^\s*([A-Z][A-Za-z0-9]{0,4})\s*=\s*([^=]{2,60}?)\s*$")
SEPARATORS = re.compile(r"\s*[,;]\s*|\n")
# How far from its table a legend may stand: blocks between them, no heading among them.
NEAR = 3


def legend(block: Block) -> dict[str, str]:
    """The abbreviations a text block defines, when defining them is all it does."""
    if block.kind != "text":
        return {}
    entries = [e for e in SEPARATORS.split(block.text.strip().rstrip(".")) if e.strip()]
    found = [ENTRY.match(e) for e in entries]
    if not found or not all(found):
        return {}
    return {m.group(1): m.group(2) for m in found if m}


def _cells(line: str) -> list[str]:
    return line.strip().strip("|").split("|")


def _written_out(table: Block, meanings: dict[str, str]) -> Block:
    """The table with each abbreviation in its header and row labels written out (a
    one-letter one in the header only: "R" of "255/55 R 18" is no "rear")."""

    def spelling(abbreviations: list[str]) -> re.Pattern[str] | None:
        if not abbreviations:
            return None
        return re.compile(r"\b(" + "|".join(re.escape(a) for a in abbreviations) + r")\b")

    in_header = spelling(list(meanings))
    in_labels = spelling([a for a in meanings if len(a) > 1])

    def spell(cell: str, pattern: re.Pattern[str] | None) -> str:
        return pattern.sub(lambda m: meanings[m.group(1)], cell) if pattern else cell

    lines = list(table.lines)
    for i, line in enumerate(lines):
        if TABLE_SEPARATOR.match(line):
            continue
        cells = _cells(line)
        if i == 0:
            cells = [spell(c, in_header) for c in cells]
        elif cells:
            cells[0] = spell(cells[0], in_labels)
        lines[i] = "|" + "|".join(cells) + "|"
    return replace(table, lines=tuple(lines))


def _table_near(blocks: Sequence[Block], at: int) -> int | None:
    """The table a legend at `at` explains: the nearest before it, else after it, with no
    heading between them."""
    for step in (-1, 1):
        i = at + step
        while 0 <= i < len(blocks) and abs(i - at) <= NEAR and blocks[i].kind != "heading":
            if blocks[i].kind == "table":
                return i
            i += step
    return None


def expand_legends(blocks: Sequence[Block]) -> tuple[Block, ...]:
    """The blocks with each table's abbreviations written out where a legend explains them."""
    expanded = list(blocks)
    for at, block in enumerate(blocks):
        meanings = legend(block)
        if not meanings:
            continue
        table = _table_near(expanded, at)
        if table is not None:
            expanded[table] = _written_out(expanded[table], meanings)
    return tuple(expanded)
