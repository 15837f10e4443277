"""One line of a book's index or table of contents: a term and the pages it is on, often
after a leader of dots ("Engine oil ........ 6-12", "Tyres, pressure 145, 210", "Safety
Labels.......P. 6"), two or three of them run together when a reader took a page's columns as
one line ("Mirrors......56 Lights......94 Wipers"). Each entry says how sure its form is: "P.
12" reads only as a page reference, while "Seats ........ 5" may be a specification and a
step may end in "(page 55)"; `rag.layout.finding_aids` weighs them. Pure: text in, entry out.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rag.blocks import LIST_ITEM

# A leader: two dots or more (spaced or not), "…", middle dots or underscores.
LEADER = r"(?:\s?[.·_]){2,}|(?:\s?…)+"
# A page, a range of pages or a chapter's page ("6-12"); never a decimal figure.
PAGE = r"\d{1,4}(?:\s?[-–]\s?\d{1,4})?(?!\d|\.\d)"
THOUSANDS = re.compile(r"\d,\d{3}\b")
PAGE_WORD = r"(?i:pp?|pg|pages?)\.?\s*"
REFS = rf"(?:{PAGE_WORD})?{PAGE}(?:\s*[,;]\s*(?:{PAGE_WORD})?{PAGE})*"
# Units a figure after a leader may carry ("Cylinder head ....... 25 Nm" is a value).
UNIT = r"(?:N·?m|[AVWLNJK]|Pa|MPa|PS|HP|Hz|Ah)\b"
# The next letter's heading, run on after an entry's page by a reader ("Winter driving ...291 C").
RUN_ON_LETTER = rf"\s+(?!{UNIT})[A-Z]"
# term, leader, pages, at the line's end.
ENTRY = re.compile(
    rf"^(?P<term>.*?[^\W\d_].*?)\s*(?P<leader>{LEADER})?\s*(?<!\d[.,])(?P<refs>{REFS})"
    rf"(?P<letter>{RUN_ON_LETTER})?$"
)
# "Seats and seat belts (page 13)", "Fuse box(P.77)"
ENTRY_IN_BRACKETS = re.compile(rf"^(?P<term>.*?[^\W\d_].*?)\s*\(\s*{PAGE_WORD}{PAGE}\s*\)$")
# Entries run together from columns read as one line: each leader with its pages, then the
# next entry's words or the line's end.
LEADED_PAGES = re.compile(
    rf"(?:{LEADER})\s*(?:{PAGE_WORD})?{PAGE}(?:\s*,\s*{PAGE})*(?=\s*$|\s*(?!{UNIT})[A-Z])"
)
PAGE_WORD_REF = re.compile(rf"^{PAGE_WORD}\d")
PAGE_WORD_IN = re.compile(rf"{PAGE_WORD}\d")
# "P. 12" without a leader before it; "Page 12" alone is a page's own label ("Cover Page 5").
PAGE_MARK = re.compile(r"^(?i:pp?|pg)\.\s*\d")
SEVERAL_PAGES = re.compile(rf"{PAGE}\s*[,;]\s*(?:{PAGE_WORD})?{PAGE}")
# A term that ends where a sentence's words go on into the number: "set the fan to 3",
# "see page 12".
GOES_ON = re.compile(
    r"\b(?:see|refer|to|on|from|at|by|of|the|a|an|with|in|for|than|and|or|is|are|be|up)$", re.I
)
SENTENCE_END = re.compile(r"[.!?;:]$")
SENTENCE_INSIDE = re.compile(r"[a-z][.!?]\s+\S")

# Entries whose term is longer than this are sentences that end in a number; a term before a
# leader may be longer (a wrapped entry, or two run together); a bare number follows a short
# term only.
MAX_TERM_WORDS = 14
MAX_LEADED_TERM_WORDS = 20
MAX_BARE_TERM_WORDS = 10
# The highest page number a manual's finding aid plausibly points to.
MAX_PAGE = 1500
# A longer line is no entry, nor three run together: prose, or a table flattened. Not matched
# at all, since the patterns' lazy terms cost time that grows with the square of a line's length
# (a 170 kB line of prose kept an ingest busy for minutes).
MAX_LINE_CHARS = 600

# marked: "P. 12", as only a page reference reads; bracketed: "(page 12)" or several pages
# ("17, 18"), as a step, a figure's callout ("Fuse box (P.77)" on a picture of where the parts
# are) or a row of two values may read too; leader: after a leader of dots, as a value in a
# list of specifications may stand too; bare: words and a number, as a figure in a list is.
Strength = Literal["marked", "bracketed", "leader", "bare"]


@dataclass(frozen=True)
class Entry:
    """A finding aid's line: the first page of each entry on it, and how sure its form is."""

    pages: tuple[int, ...]
    strength: Strength

    @property
    def count(self) -> int:
        return len(self.pages)


def entry(line: str) -> Entry | None:
    """The line as an index or contents entry, or None when it is not one."""
    text = plain(line)
    if len(text) > MAX_LINE_CHARS:
        return None
    leaded = list(LEADED_PAGES.finditer(text))
    if leaded:
        terms = [text[: leaded[0].start()]]
        terms += [text[a.end() : b.start()] for a, b in itertools.pairwise(leaded)]
        rest = text[leaded[-1].end() :].strip()
        pages = tuple(_first_page(found.group(0)) for found in leaded)
        if (
            all(_a_term(t, MAX_LEADED_TERM_WORDS) for t in terms)
            and _wrapped(rest)
            and max(pages) <= MAX_PAGE
        ):
            marked = any(PAGE_WORD_IN.search(found.group(0)) for found in leaded)
            return Entry(pages, "marked" if marked else "leader")
    bracketed = ENTRY_IN_BRACKETS.match(text)
    if bracketed and _a_term(bracketed.group("term"), MAX_TERM_WORDS):
        return Entry((_first_page(text[bracketed.end("term") :]),), "bracketed")
    match = ENTRY.match(text)
    if match is None:
        return None
    refs = match.group("refs")
    page = _first_page(refs)
    if page > MAX_PAGE or THOUSANDS.search(refs):
        return None
    leader = (match.group("leader") or "").replace(" ", "")
    strength: Strength = (
        "marked"
        if PAGE_MARK.match(refs)
        else "bracketed"
        if SEVERAL_PAGES.search(refs)
        else "leader"
        if len(leader) >= 2
        else "bare"
    )
    term = match.group("term").rstrip(" .")
    if strength != "bare" and _a_term(term, MAX_LEADED_TERM_WORDS if leader else MAX_TERM_WORDS):
        return Entry((page,), strength)
    if match.group("letter") or not _a_term(term, MAX_BARE_TERM_WORDS) or ":" in term:
        return None
    return Entry((page,), "bare")


def _a_term(term: str, max_words: int) -> bool:
    """Words an entry's pages may follow: not a sentence, nor words that go on into the
    number."""
    return _words(term, max_words) and not GOES_ON.search(term.strip())


def _words(text: str, max_words: int) -> bool:
    """A few words that make no sentence."""
    text = text.strip()
    return (
        0 < len(text.split()) <= max_words
        and any(c.isalpha() for c in text)
        and not SENTENCE_INSIDE.search(text)
        and not SENTENCE_END.search(text)
    )


def bare_term(line: str) -> bool:
    """Words alone, as an index's term reads when its pages are on the next line or lost
    (and it may end mid-phrase there: "Brief Overview – Opening and Locking From"): short, no
    figure, no colon, no sentence."""
    return (
        _words(line, MAX_BARE_TERM_WORDS)
        and not any(c.isdigit() for c in line)
        and (":" not in line)
    )


def _wrapped(words: str) -> bool:
    """What may follow an entry's pages on its line: nothing, or the start of the next entry,
    which may go on on the next line ("Air Suspension with Leveling System and")."""
    return not words or (
        _words(words, MAX_LEADED_TERM_WORDS) and not any(c.isdigit() for c in words)
    )


def _first_page(refs: str) -> int:
    found = re.search(r"\d{1,4}", refs)
    return int(found.group(0)) if found else 0


def plain(line: str) -> str:
    """A line without its list marker, emphasis and Markdown escapes."""
    text = LIST_ITEM.sub("", line, count=1)
    return text.replace("**", "").replace("\\", "").strip().strip("*_").strip()


def contents_row(row: Sequence[str]) -> Entry | None:
    """The entry a row of a table of contents makes: its last cell a page reference."""
    if len(row) < 2 or not re.fullmatch(REFS, row[-1]):
        return None
    if not (PAGE_WORD_REF.match(row[-1]) or re.search(rf"(?:{LEADER})$", row[-2])):
        return None
    return Entry((_first_page(row[-1]),), "marked" if PAGE_WORD_REF.match(row[-1]) else "leader")
