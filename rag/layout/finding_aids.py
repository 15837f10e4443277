"""A book's index and its table of contents, found among a document's blocks so that they are
left out of what is searched and answered from: they say where a thing is, never what it is.

Their lines are entries (`rag.layout.index_entries`): a term and its pages. Read from a page,
two or three columns of them run together on one line, an entry wraps over two lines,
sub-entries stand under their term, letters head the alphabet's blocks, and a reader may
already have dropped the leader lines and left the bare terms.

One such line proves little: "Cylinders 4" in a list of specifications reads the same, so do
"Seats ........ 5" and a step's "(page 55)". So consecutive blocks with no prose, no table of
values and no figure with its unit among them are judged together: they are a finding aid
when they hold enough entries and enough of what only a finding aid has ("P. 12", an "Index"
or "Contents" title, letters in alphabetical order, page numbers that only go up). A table is
part of one only when each row ends in a page reference, or each cell is an entry, a term or a
letter (an index's columns a reader took for a table): a figure in a cell makes a table of
values. Pure: blocks in, blocks out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from rag.blocks import TABLE_SEPARATOR, Block
from rag.layout.index_entries import Entry, bare_term, contents_row, entry, plain

TITLE = re.compile(
    r"^(?:(?:part|chapter|section)?\s*[\dIVX]+[.:]?\s+)?"
    r"(?:(?:alphabetical|subject|general|quick|complete|detailed)\s+)?"
    r"(?:index|contents|table\s+of\s+contents)$",
    re.I,
)
LETTER = re.compile(r"^[A-Z]$")
# What a page carries besides its text: its number, a picture, a lone mark.
FILLER = re.compile(r"^(?:\d{1,4}|!\[[^\]]*\]\([^)]*\)|[\W_]*)$")

# Enough to call consecutive blocks a finding aid: entries, and signs only finding aids give
# (each entry marked as a page reference is one; a title, letters in order or pages going up
# are this many).
MIN_ENTRIES = 3
MIN_SIGNS = 3
# Page numbers going up over this many entries in a row: a table of contents.
MIN_ASCENDING = 5
# A block with more of its lines prose than this share is prose with a few references in it.
MAX_PROSE_SHARE = 0.2
# A line or two of prose this short between a finding aid's blocks is one of its entries gone
# wrong (a wrapped term, a page number lost), not the text that follows it.
MAX_STRAY_LINES = 2
MAX_STRAY_WORDS = 20

Role = Literal[
    "entries", "title", "letter", "term", "filler", "heading", "stray", "bridged", "content"
]
MARKS = ("entries", "title", "letter")


@dataclass
class _Read:
    """What one block is to a finding aid."""

    role: Role
    entries: list[Entry] = field(default_factory=list)
    letters: list[str] = field(default_factory=list)


def _read(block: Block) -> _Read:
    if block.kind == "heading":
        return _heading(plain(block.text))
    if block.kind == "table":
        return _table(block)
    if block.kind == "code":
        return _Read("content")
    lines = [line for line in (plain(line) for line in block.lines) if line]
    entries: list[Entry] = []
    letters: list[str] = []
    prose = terms = titles = 0
    for line in lines:
        if found := entry(line):
            entries.append(found)
        elif LETTER.match(line):
            letters.append(line)
        elif TITLE.match(line):
            titles += 1
        elif bare_term(line):
            terms += 1
        elif not FILLER.match(line):
            prose += 1
    if prose > MAX_PROSE_SHARE * len(lines):
        return _Read("stray" if _stray(lines) else "content")
    if entries:
        return _Read("entries", entries, letters)
    if titles:
        return _Read("title", letters=letters)
    if letters:
        return _Read("letter", letters=letters)
    return _Read("term" if terms else "filler")


def _stray(lines: Sequence[str]) -> bool:
    """A line or two too short to be a passage and not ending a sentence: a wrapped term or
    an entry whose page a reader lost, when it stands among a finding aid's blocks."""
    return (
        len(lines) <= MAX_STRAY_LINES
        and sum(len(line.split()) for line in lines) <= MAX_STRAY_WORDS
        and not re.search(r"[.!?]$", lines[-1])
    )


def _heading(title: str) -> _Read:
    if TITLE.match(title):
        return _Read("title")
    if LETTER.match(title):
        return _Read("letter", letters=[title])
    found = entry(title)
    if found and found.strength != "bare":
        return _Read("entries", [found])
    return _Read("heading")


def _table(block: Block) -> _Read:
    """A table of contents ("| Maintenance | P. 36 |"), an index's columns taken for a table,
    or a table of values ("content")."""
    rows = [_cells(line) for line in block.lines if not TABLE_SEPARATOR.match(line)]
    rows = [row for row in rows if row]
    paged = [contents_row(row) for row in rows]
    if len(rows) >= 2 and all(paged):
        return _Read("entries", [found for found in paged if found])
    entries: list[Entry] = []
    for cell in (cell for row in rows for cell in row):
        if found := entry(cell):
            entries.append(found)
        elif not (LETTER.match(cell) or bare_term(cell)):
            return _Read("content")
    return _Read("entries", entries) if entries else _Read("term")


def _cells(line: str) -> list[str]:
    """A row's filled cells: a pipe table's, or the two sides of a "label: value" row."""
    if line.lstrip().startswith("|"):
        cells = line.strip().strip("|").split("|")
    else:
        cells = plain(line).split(": ")
    return [plain(cell) for cell in cells if plain(cell)]


def _signs(reads: Sequence[_Read]) -> int:
    """How much in these blocks only a finding aid has: an entry marked as a page reference
    ("P. 12") is one sign; a leader or a page in brackets is none (see `Strength`)."""
    entries = [e for r in reads for e in r.entries]
    signs = sum(e.count for e in entries if e.strength == "marked")
    if any(r.role == "title" for r in reads):
        signs += MIN_SIGNS
    letters = [letter for r in reads for letter in r.letters]
    if len(letters) >= 2 and letters == sorted(set(letters)):
        signs += MIN_SIGNS
    if _ascending(entries) >= MIN_ASCENDING:
        signs += MIN_SIGNS
    return signs


def _ascending(entries: Sequence[Entry]) -> int:
    """The longest run of entries whose pages go up, over more pages than entries (values in
    a list may happen to rise a little)."""
    best = run = 0
    first = previous = -1
    for page in (page for found in entries for page in found.pages):
        if page >= previous:
            run += 1
        else:
            run, first = 1, page
        first = page if run == 1 else first
        previous = page
        if page - first >= run:
            best = max(best, run)
    return best


def _bridged(reads: list[_Read]) -> None:
    """A stray line or two between blocks of a finding aid is read as part of it; anywhere
    else it is prose."""
    i = 0
    while i < len(reads):
        if reads[i].role != "stray":
            i += 1
            continue
        end = i
        while end < len(reads) and reads[end].role == "stray":
            end += 1
        inside = (
            end - i <= MAX_STRAY_LINES
            and i > 0
            and end < len(reads)
            and reads[i - 1].role not in ("content", "heading")
            and reads[end].role not in ("content", "heading")
        )
        for j in range(i, end):
            reads[j].role = "bridged" if inside else "content"
        i = end


def finding_aids(blocks: Sequence[Block]) -> set[int]:
    """The positions of the blocks that are an index or a table of contents."""
    reads = [_read(block) for block in blocks]
    _bridged(reads)
    found: set[int] = set()
    start = 0
    while start < len(reads):
        if reads[start].role == "content":
            start += 1
            continue
        end = start
        while end < len(reads) and reads[end].role != "content":
            end += 1
        found |= _region(reads, start, end)
        start = end
    return found


def _region(reads: Sequence[_Read], start: int, end: int) -> set[int]:
    """Of the blocks start..end (no prose among them), those that make a finding aid: from
    its first entry, title or letter to its last, and the bare terms after that when nothing
    but a heading of the document's own follows them."""
    span = reads[start:end]
    if sum(e.count for r in span for e in r.entries) < MIN_ENTRIES or _signs(span) < MIN_SIGNS:
        return set()
    marks = [i for i in range(start, end) if reads[i].role in MARKS]
    first, last = marks[0], marks[-1]
    after = last + 1
    while after < end and reads[after].role in ("term", "filler", "bridged"):
        after += 1
    if after == len(reads) or reads[after].role == "heading":
        last = after - 1
    return {i for i in range(first, last + 1) if reads[i].role != "heading"}


def without_finding_aids(blocks: Sequence[Block]) -> list[Block]:
    """The blocks less any index or table of contents among them: their headings stay (a
    section with nothing in it makes no passage, and the sections around keep their paths),
    and a break stands where each run of their lines was, so that what came before it is
    not read as one passage with what follows."""
    dropped = finding_aids(blocks)
    kept: list[Block] = []
    for i, block in enumerate(blocks):
        if i not in dropped or block.kind == "heading":
            kept.append(block)
        elif not kept or kept[-1].kind != "break":
            kept.append(Block("break", (), block.page))
    return kept
