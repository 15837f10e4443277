"""Running headers, footers and page numbers: found by their repetition across pages, dropped.

A line near the top or bottom edge whose text, with its digits masked, comes back at about the
same height on several pages is a running header or footer ("41 Driving", "Owner's Manual ·
Edition 2"); a lone page number ("41", "- 41 -", "Page 41 of 150") at an edge is dropped on
every page.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from rag.layout.geometry import Line, Page

# How far from the top or bottom edge a running line may stand, as a share of the page height.
EDGE = 0.15
# The first and the last this many baselines of a page's text are at its edges too.
EXTREME_LINES = 2
# Pages a line must come back on (a section title heads each of its pages).
MIN_REPEATS = 2
# Points a running line may move up or down between pages.
HEIGHT_TOLERANCE = 4.0
# A slot (edge, height, type) running lines fill on this many pages, and this share of them.
MIN_SLOT_PAGES = 3
SLOT_SHARE = 0.3
PAGE_NUMBER = re.compile(
    r"^[\W_]*(?:page|p\.?|seite|pag\.?)?\s*\d{1,4}(?:\s*(?:/|of|von|de)\s*\d{1,4})?[\W_]*$",
    re.IGNORECASE,
)
DIGITS = re.compile(r"\d+")


def page_number_line(text: str) -> bool:
    return bool(PAGE_NUMBER.match(text.strip()))


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", DIGITS.sub("#", text.lower())).strip()


def _edge(line: Line, page: Page, extremes: tuple[float, float]) -> str | None:
    """Where a running line may stand: near the page's top or bottom edge, or the first or
    last baselines of its text (a page printed small on a larger sheet)."""
    first, last = extremes
    if line.bottom <= page.height * EDGE or line.top <= first:
        return "top"
    if line.top >= page.height * (1 - EDGE) or line.bottom >= last:
        return "bottom"
    return None


def _alone(line: Line, page: Page) -> bool:
    """Nothing else stands on the line's baseline (a page number, not a table's figure)."""
    return not any(
        other is not line and abs(other.bottom - line.bottom) < 0.5 * line.size
        for other in page.lines
    )


def _extremes(page: Page) -> tuple[float, float]:
    """The tops of the page's two highest baselines and the bottoms of its two lowest."""
    tops = sorted({round(line.top) for line in page.lines})
    bottoms = sorted({round(line.bottom) for line in page.lines})
    if not tops:
        return (0.0, page.height)
    return float(tops[min(EXTREME_LINES, len(tops)) - 1]), float(
        bottoms[-min(EXTREME_LINES, len(bottoms))]
    )


def _body_size(pages: Sequence[Page]) -> float:
    letters: dict[float, int] = defaultdict(int)
    for page in pages:
        for line in page.lines:
            letters[line.size] += len(line.text)
    return max(letters, key=lambda size: letters[size]) if letters else 0.0


def running_lines(pages: Sequence[Page]) -> set[tuple[int, int]]:
    """(page index, line index) of every running header, footer and page number.

    Besides lines that come back word for word, a line in a slot that running lines fill
    on many pages (the same edge and height, in type smaller than the body's: the chapter's
    title at the top right, changing with the chapter) is one too. Headings are not smaller
    than the body, so a chapter's title that opens each of its pages stays.
    """
    repeats = MIN_REPEATS
    body = _body_size(pages)
    seen: dict[tuple[str, str], list[tuple[int, int, float]]] = defaultdict(list)
    slots: dict[tuple[str, int, float], list[tuple[int, int]]] = defaultdict(list)
    drop: set[tuple[int, int]] = set()
    for p, page in enumerate(pages):
        extremes = _extremes(page)
        for i, line in enumerate(page.lines):
            edge = _edge(line, page, extremes)
            if edge is None:
                continue
            in_band = line.bottom <= page.height * EDGE or line.top >= page.height * (1 - EDGE)
            if page_number_line(line.text) and (in_band or _alone(line, page)):
                drop.add((p, i))
                continue
            height = line.top if edge == "top" else page.height - line.bottom
            seen[(edge, _key(line.text))].append((p, i, height))
            if line.size <= body - 0.5:
                slots[(edge, round(height / HEIGHT_TOLERANCE), line.size)].append((p, i))
    for members in slots.values():
        if len({p for p, _ in members}) >= max(MIN_SLOT_PAGES, SLOT_SHARE * len(pages)):
            drop.update(members)
    for occurrences in seen.values():
        if len({p for p, _, _ in occurrences}) < repeats:
            continue
        heights = sorted(h for _, _, h in occurrences)
        usual = heights[len(heights) // 2]
        steady = [(p, i) for p, i, h in occurrences if abs(h - usual) <= HEIGHT_TOLERANCE]
        if len({p for p, _ in steady}) >= repeats:
            drop.update(steady)
    return drop


def without_running_lines(pages: Sequence[Page]) -> list[Page]:
    """The pages with their running headers, footers and page numbers taken out."""
    drop = running_lines(pages)
    return [
        replace(page, lines=tuple(line for i, line in enumerate(page.lines) if (p, i) not in drop))
        for p, page in enumerate(pages)
    ]
