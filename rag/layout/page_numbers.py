"""Printed page numbers among a document's blocks, and the pages they say.

A PDF turned into Word (or Markdown) by a tool keeps each page's printed number as a paragraph
of its own: "12", "- 12 -" or "Page 12", at the end of the page's text or at its start. They
are not content. They are told from a figure's callout or a step's number by their sequence:
each one higher than the one before by a page or two, as many pages on where the document has
pages (else with a page's worth of text between them), at least MIN_RUN of them in a row.
In a document that says nowhere else where its pages end (no page breaks, no sections), they
are its pages: what stands before a number is that page, or what follows it when the document
opens with a number (numbers at the top of pages).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import replace

from rag.blocks import Block
from rag.layout.running import page_number_line

# Numbers in a row that make a sequence of page numbers, not a list's or a figure's.
MIN_RUN = 3
# A page may go unnumbered (a blank page, a full-page picture): the next number skips it.
MAX_STEP = 2
# Characters of text a page holds at the least between its number and the last.
MIN_PAGE_CHARS = 80
NUMBER = re.compile(r"\d{1,4}")


def _number(block: Block) -> int | None:
    """The number a block of one short line holds when that line is only a page number."""
    if block.kind != "text" or len(block.lines) != 1 or not page_number_line(block.lines[0]):
        return None
    found = NUMBER.search(block.lines[0])
    return int(found.group()) if found else None


def page_number_blocks(blocks: Sequence[Block]) -> dict[int, int]:
    """The blocks that are printed page numbers (by index), with the number each prints."""
    runs: list[list[tuple[int, int]]] = []
    chars = 0  # text since the latest number
    for index, block in enumerate(blocks):
        number = _number(block)
        if number is None:
            chars += len(block.text)
            continue
        previous = runs[-1][-1] if runs else None
        if previous is not None and _next_page(
            blocks[previous[0]], previous[1], block, number, chars
        ):
            runs[-1].append((index, number))
        else:
            runs.append([(index, number)])
        chars = 0
    return {i: n for run in runs if len(run) >= MIN_RUN for i, n in run}


def _next_page(before: Block, last: int, block: Block, number: int, chars: int) -> bool:
    """A number goes on from the one before: higher by a page or two, and as many pages on
    where the document has pages, else after a page's worth of text."""
    if not 0 < number - last <= MAX_STEP:
        return False
    if before.page is not None and block.page is not None:
        return block.page - before.page == number - last
    return chars >= MIN_PAGE_CHARS


def without_page_numbers(blocks: Sequence[Block]) -> list[Block]:
    """The blocks without their printed page numbers."""
    numbers = page_number_blocks(blocks)
    return [b for i, b in enumerate(blocks) if i not in numbers]


def paged_by_numbers(blocks: Sequence[Block]) -> list[Block]:
    """Blocks with no pages of their own given the pages their printed numbers say (those
    numbers then dropped); blocks that have pages, or no numbers to go by, as they are."""
    numbers = page_number_blocks(blocks)
    if not numbers or any(b.page is not None for b in blocks):
        return [b for i, b in enumerate(blocks) if i not in numbers]
    heads = min(numbers) == 0  # the document opens with a number: numbers head their pages
    marks = sorted(numbers.items())
    out: list[Block] = []
    for index, block in enumerate(blocks):
        if index in numbers:
            continue
        out.append(replace(block, page=_page_of(index, marks, heads), page_end=None))
    return out


def _page_of(index: int, marks: Sequence[tuple[int, int]], heads: bool) -> int:
    """The page of the block at `index`, given the (index, number) of every page number in
    order: the number after it, or before it when numbers head their pages."""
    at = bisect.bisect_left(marks, (index, 0))  # the first number after the block
    if heads:
        return marks[at - 1][1] if at else max(marks[0][1] - 1, 1)
    return marks[at][1] if at < len(marks) else marks[-1][1] + 1
