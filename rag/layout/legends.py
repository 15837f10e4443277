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


# A key of one capital letter and what it stands for, several to a line as a legend set
# beside a table is ("A: H11 halogen bulbs: B: HB3 halogen bulbs").
KEYED = re.compile(r"(?:^|(?<=:\s))([A-Z])\s*:\s+(.+?)(?=:\s+[A-Z]\s*:\s|$)")
LETTER_CELL = re.compile(r"^[A-Z](?:\s+[A-Z])*$")


def letter_legend(block: Block) -> dict[str, str]:
    """The letters a block keys ("A: H11 halogen bulbs"), when keying them is all it does:
    every line (a list's items) is one or more "letter: meaning" entries."""
    if block.kind == "heading":
        return {}
    found: dict[str, str] = {}
    for line in block.lines:
        text = line.strip().lstrip("-*• ").strip()
        if not text:
            continue
        entries = KEYED.findall(text)
        if not entries or ": ".join(f"{k}: {v}" for k, v in entries) != text:
            return {}
        found.update((k, v.strip()) for k, v in entries)
    return found if len(found) >= 2 else {}


def _letters_written_out(table: Block, meanings: dict[str, str]) -> Block | None:
    """The table with a column of letters that the legend keys (a "Type" of "F B", "D")
    written out ("HB4 halogen bulbs, HB3 halogen bulbs"); None when it has no such column."""
    lines = list(table.lines)
    rows = [i for i, line in enumerate(lines) if i and not TABLE_SEPARATOR.match(line)]
    cells = {i: _cells(lines[i]) for i in rows}
    width = max((len(c) for c in cells.values()), default=0)
    columns = []
    for col in range(1, width):
        values = [c[col].strip() for c in cells.values() if col < len(c) and c[col].strip()]
        if values and all(
            LETTER_CELL.match(v) and all(k in meanings for k in v.split()) for v in values
        ):
            columns.append(col)
    if not columns:
        return None
    for i in rows:
        row = cells[i]
        for col in columns:
            if col < len(row) and row[col].strip():
                row[col] = " " + ", ".join(meanings[k] for k in row[col].split()) + " "
        lines[i] = "|" + "|".join(row) + "|"
    return replace(table, lines=tuple(lines))


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
    """The blocks with each table's abbreviations written out where a legend explains them.
    A legend of letters written out in its table goes: read alone, its lines ("A: H11
    halogen bulbs: B: HB3 halogen bulbs") say what no letter of the table says any more."""
    expanded = list(blocks)
    spent: set[int] = set()
    for at, block in enumerate(blocks):
        meanings = legend(block)
        letters = {} if meanings else letter_legend(block)
        if not (meanings or letters):
            continue
        table = _table_near(expanded, at)
        if table is None:
            continue
        if meanings:
            expanded[table] = _written_out(expanded[table], meanings)
        elif (written := _letters_written_out(expanded[table], letters)) is not None:
            expanded[table] = written
            spent.add(at)
    return tuple(b for i, b in enumerate(expanded) if i not in spent)
