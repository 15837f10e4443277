"""Running headers that carry no page number, left as paragraphs by a tool that made a paged
document of a PDF.

A PDF turned into Word keeps each page's running header as the page's first paragraph:
"Maintenance Fundamentals" opens every page of that section. Such a line, short and not a
sentence, opening MIN_PAGES pages in a row, is a running header: it stays where it first
stands (the section's title, as the page printed it) and goes from the pages after, where it
is not content.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.blocks import Block

MAX_WORDS = 8
# Pages in a row a line must open to be a running header, not a page's own title.
MIN_PAGES = 2
SENTENCE_END = re.compile(r"[.!?:;,]$")
DIGITS = re.compile(r"\d")


def _title(block: Block) -> str | None:
    """The block's one short line when it could be a running header: words, not a sentence,
    no figures (a line with the page's number is `running_text`'s)."""
    if block.kind != "text" or len(block.lines) != 1 or block.page is None:
        return None
    line = block.lines[0].strip()
    words = line.split()
    if not words or len(words) > MAX_WORDS or SENTENCE_END.search(line) or DIGITS.search(line):
        return None
    return line


def running_titles(blocks: Sequence[Block]) -> set[int]:
    """The blocks (by index) that repeat a running header on the pages after its first."""
    openers: list[tuple[int, int, str]] = []  # (block, page, line) of each page's first block
    page = None
    for index, block in enumerate(blocks):
        if block.page is not None and block.page != page:
            page = block.page
            title = _title(block)
            if title is not None:
                openers.append((index, page, title))
    repeats: set[int] = set()
    run: list[tuple[int, int, str]] = []
    for opener in [*openers, (-1, -1, "")]:
        if run and opener[2] == run[-1][2] and opener[1] == run[-1][1] + 1:
            run.append(opener)
            continue
        if len(run) >= MIN_PAGES:
            repeats.update(index for index, _, _ in run[1:])
        run = [opener]
    return repeats


def without_running_titles(blocks: Sequence[Block]) -> list[Block]:
    """The blocks without the repeats of their running headers."""
    repeats = running_titles(blocks)
    return [b for i, b in enumerate(blocks) if i not in repeats]
