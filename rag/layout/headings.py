"""Headings, told by their type: larger than the body text, or bold and standing alone.

The body size is the size most of the document's letters are set in. Each larger size that
short lines are set in is a heading level, the largest first; a short bold line at body size
is the deepest level. A lone word in bold capitals ("WARNING", "NOTE") is a label that leads
the paragraph after it, not a heading.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from rag.layout.geometry import Line, Page

LARGER = 1.12  # a heading's size over the body's
MAX_HEADING_CHARS = 100
MAX_LEVELS = 4
LABEL = re.compile(r"^[A-Z][A-Z!]{1,14}:?$")


@dataclass(frozen=True)
class TypeScale:
    body: float
    levels: tuple[float, ...]  # heading sizes, largest (level 1) first

    def level(self, line: Line) -> int | None:
        """The line's heading level, or None when it is not a heading."""
        return self.level_of(line.text.strip(), line.size, line.bold)

    def level_of(self, text: str, size: float, bold: bool) -> int | None:
        """The heading level of a line of `text` set in `size` (bold or not), or None."""
        if not _heading_like(text):
            return None
        if size >= self.body * LARGER:
            nearest = min(range(len(self.levels)), key=lambda i: abs(self.levels[i] - size))
            return nearest + 1 if self.levels else 1
        if bold and abs(size - self.body) < 0.15 * self.body and not LABEL.match(text):
            return min(len(self.levels) + 1, MAX_LEVELS)
        return None


def label(line: Line) -> bool:
    """A lone bold word in capitals that names what follows: "WARNING", "NOTE"."""
    return line.bold and bool(LABEL.match(line.text.strip()))


def _heading_like(text: str) -> bool:
    letters = sum(c.isalpha() for c in text)
    return (
        letters >= 2
        and len(text) <= MAX_HEADING_CHARS
        and not text.endswith((",", ";"))
        and not (text.endswith(".") and len(text.split()) > 6)
    )


def type_scale(pages: Sequence[Page]) -> TypeScale:
    """The document's body size and its heading sizes."""
    return scale_of([(line.text, line.size) for page in pages for line in page.lines])


def scale_of(lines: Sequence[tuple[str, float]]) -> TypeScale:
    """The body size and heading sizes of lines of text, each with its type size."""
    letters: Counter[float] = Counter()
    for text, size in lines:
        letters[round(size * 2) / 2] += len(text)
    if not letters:
        return TypeScale(10.0, ())
    body = letters.most_common(1)[0][0]
    larger: Counter[float] = Counter()
    for text, size in lines:
        rounded = round(size * 2) / 2
        if rounded >= body * LARGER and _heading_like(text.strip()):
            larger[rounded] += 1
    levels = tuple(sorted(larger, reverse=True)[: MAX_LEVELS - 1])
    return TypeScale(body, levels)
