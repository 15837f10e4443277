"""A table's footnotes kept with the rows they qualify: "171.9 in. (4365 mm)*1" over "*1: Except
S or XRS grade models" under the table reads "171.9 in. (4365 mm) (Except S or XRS grade
models)", and the note, now in its row, is not read again apart. Pure: blocks in, blocks out.

Manuals mark a value that holds only for some versions or conditions and say which under the
table; read apart, the row states the value for every version, and the note qualifies nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from rag.blocks import TABLE_SEPARATOR, Block

# A footnote's mark: asterisks with or without a number, a dagger, a hash, a superscript.
MARK = r"(?:\*{1,3}\d{0,2}|[†‡§#]|[¹²³⁴⁵⁶⁷⁸⁹⁰]{1,2})"
# "*1: Except S grade models", "# - Kms or Months whichever occurs earlier", "† Not in
# Canada" (a text block that starts "#" is written "\#" to stay prose).
NOTE = re.compile(rf"^\\?({MARK})\s*(?:[:=.)]|\s[-–—]|(?=\s))\s*(\S.{{1,300}})$")
# How far under its table a footnote may stand: blocks other than footnotes between them,
# no heading or table among them.
NEAR = 3


def note(line: str) -> tuple[str, str] | None:
    """A footnote's mark and its text, when the line is one."""
    match = NOTE.match(line.strip())
    if not match:
        return None
    return match.group(1), match.group(2).strip()


def notes(block: Block) -> dict[str, str]:
    """The footnotes a text block gives, when every line of it is one."""
    if block.kind not in ("text", "list"):
        return {}
    lines = [line.removeprefix("- ") if block.kind == "list" else line for line in block.lines]
    found = [note(line) for line in lines if line.strip()]
    if not found or not all(found):
        return {}
    return dict(n for n in found if n)


def _mark_pattern(mark: str) -> re.Pattern[str]:
    """Where a mark stands in a cell: not inside a longer mark ("*1" is not in "*12"), not a
    multiplication or a number's own sign."""
    before = r"(?<![*\d])" if mark.startswith("*") else ""
    after = r"(?![\d*])" if mark[-1:].isdigit() or mark.endswith("*") else ""
    return re.compile(before + re.escape(mark) + after)


def _with_notes(cell: str, found: dict[str, str], patterns: dict[str, re.Pattern[str]]) -> str:
    """The cell with each mark replaced by its note in brackets; a mark that leads the cell
    has its note at the cell's end."""
    for mark, text in found.items():
        pattern = patterns[mark]
        stripped = cell.strip()
        if stripped.startswith(mark) and pattern.match(stripped):
            rest = stripped[len(mark) :].strip()
            if rest:
                cell = f" {rest} ({text}) "
            continue
        cell = pattern.sub(_literal(f" ({text})"), cell)
    return re.sub(r"\s+\(", " (", cell) if found else cell


def _literal(text: str) -> Callable[[re.Match[str]], str]:
    """A replacement that puts `text` as it is (a backslash in a note is no group)."""
    return lambda _: text


def _annotated(table: Block, found: dict[str, str]) -> tuple[Block, set[str]]:
    """The table with its marks replaced by their notes, and the marks it had."""
    patterns = {mark: _mark_pattern(mark) for mark in found}
    marked = {m: t for m, t in found.items() if any(patterns[m].search(x) for x in table.lines)}
    if not marked:
        return table, set()
    lines = []
    for line in table.lines:
        if TABLE_SEPARATOR.match(line):
            lines.append(line)
        elif line.startswith("- "):  # a "label: value" row
            lines.append("- " + _with_notes(line[2:], marked, patterns).strip())
        else:
            cells = line.strip().strip("|").split("|")
            inner = [" " + _with_notes(c, marked, patterns).strip() + " " for c in cells]
            lines.append("|" + "|".join(inner) + "|")
    return replace(table, lines=tuple(lines)), set(marked)


def _without(block: Block, marks: set[str]) -> Block | None:
    """A block of notes without those its table took; None when it took them all."""
    if not marks:
        return block
    kept = tuple(
        line
        for line in block.lines
        if (found := note(line.removeprefix("- "))) is None or found[0] not in marks
    )
    if not kept:
        return None
    return block if kept == block.lines else replace(block, lines=kept)


def attach_footnotes(blocks: Sequence[Block]) -> tuple[Block, ...]:
    """The blocks with each table's marked cells carrying the footnotes given under it; a
    note its table took is left out where it stood (it is in the rows it qualifies now)."""
    out = list(blocks)
    taken: dict[int, set[str]] = {}  # a block of notes → the marks its table took
    for at, block in enumerate(blocks):
        if block.kind != "table":
            continue
        found: dict[str, tuple[str, int]] = {}
        others = 0
        for i in range(at + 1, len(blocks)):
            given = notes(blocks[i])
            others += not given
            if blocks[i].kind in ("heading", "table") or others > NEAR:
                break
            for mark, text in given.items():
                found.setdefault(mark, (text, i))
        if not found:
            continue
        out[at], marks = _annotated(block, {mark: text for mark, (text, _) in found.items()})
        for mark in marks:
            taken.setdefault(found[mark][1], set()).add(mark)
    kept = (_without(block, taken.get(i, set())) for i, block in enumerate(out))
    return tuple(block for block in kept if block is not None)
