"""Running headers and footers left in text a converter made of a paged document.

A tool that turns a PDF into Markdown page by page (pymupdf4llm, for one) keeps each page's
running line, "Minor Repairs 305" or "## 146 Instrument Panel", wherever on the page it
happens to read it, sometimes as a heading that would become every following chunk's section.
Its position says little then; its number does: it is the page's own, so it grows with the
page breaks. A short line of a few words and one number at an end, whose words come back on
several pages, once a page, with a number larger on each, is a running line and goes.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from rag.blocks import Block

NUMBERED_LINE = re.compile(
    r"^\W*(?:(?P<lead>\d{1,4})\s+(?P<after>[^\W\d][^\d]{2,80}?)"
    r"|(?P<before>[^\W\d][^\d]{2,80}?)\s+(?P<trail>\d{1,4}))\W*$"
)
# Pages a running line's words must come back on.
MIN_PAGES = 3
MAX_WORDS = 10


def _numbered(line: str) -> tuple[str, int] | None:
    """A line's words (lower case) and its number, when it is words and one number at an
    end."""
    match = NUMBERED_LINE.match(line.replace("**", "").strip())
    if not match:
        return None
    words = match.group("after") or match.group("before")
    if len(words.split()) > MAX_WORDS or words.rstrip().endswith((".", ",", ";")):
        return None
    number = match.group("lead") or match.group("trail")
    return " ".join(words.lower().split()), int(number)


def running_lines(blocks: Sequence[Block]) -> set[tuple[int, int]]:
    """(block index, line index) of every running line among the text and headings."""
    seen: dict[str, list[tuple[int, int, int, int]]] = defaultdict(list)
    for b, block in enumerate(blocks):
        if block.page is None or block.kind not in ("text", "heading"):
            continue
        for i, line in enumerate(block.lines):
            found = _numbered(line)
            if found:
                words, number = found
                seen[words].append((b, i, block.page, number))
    drop: set[tuple[int, int]] = set()
    for occurrences in seen.values():
        if _paged(occurrences):
            drop.update((b, i) for b, i, _, _ in occurrences)
    return drop


def _paged(occurrences: Sequence[tuple[int, int, int, int]]) -> bool:
    """On enough pages, one a page, its number growing with the page."""
    pages = [page for _, _, page, _ in occurrences]
    numbers = [number for _, _, _, number in occurrences]
    return (
        len(occurrences) >= MIN_PAGES
        and len(set(pages)) == len(pages)
        and all(a < b for a, b in itertools.pairwise(numbers))
    )


def without_running_lines(blocks: Sequence[Block]) -> list[Block]:
    """The blocks without running lines; a heading or paragraph that was only one, gone."""
    drop = running_lines(blocks)
    if not drop:
        return list(blocks)
    out = []
    for b, block in enumerate(blocks):
        kept = tuple(line for i, line in enumerate(block.lines) if (b, i) not in drop)
        if kept == block.lines:
            out.append(block)
        elif kept and any(line.strip() for line in kept):
            out.append(replace(block, lines=kept))
    return out
