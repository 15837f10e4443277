"""What a page is made of, as a reader sees it: words with their boxes and fonts, grouped
into lines, and the tables found on it. Plain data, no I/O; the PDF adapter fills it in.

Coordinates are PDF points with the origin at the page's top-left corner (`top` grows
downwards), as pdfplumber gives them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

# A letter's loose box (ascent to descent) is about this many times its font size.
LOOSE_BOX = 1.15


class Char(NamedTuple):
    """One character as the PDF places it (a space may be one the text layer generated)."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool = False


class Word(NamedTuple):
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float = 10.0
    bold: bool = False
    # The quarter turn its letters are set at in the frame of its box (`rag.layout.turns`).
    turn: int = 0


class Line:
    """Words on one baseline, with no gap wider than a few spaces between them. Its box,
    text and type are worked out once, when it is made."""

    __slots__ = ("bold", "bottom", "size", "text", "top", "words", "x0", "x1")

    def __init__(self, words: Sequence[Word]) -> None:
        self.words = tuple(words)
        self.text = " ".join(w.text for w in self.words)
        self.x0 = min(w.x0 for w in self.words)
        self.x1 = max(w.x1 for w in self.words)
        self.top = min(w.top for w in self.words)
        self.bottom = max(w.bottom for w in self.words)
        sizes: Counter[float] = Counter()
        for word in self.words:
            sizes[round(word.size, 1)] += len(word.text)
        # The font size most of its letters are set in.
        self.size: float = sizes.most_common(1)[0][0]
        # Every word that has a letter is bold.
        lettered = [w for w in self.words if any(c.isalpha() for c in w.text)]
        self.bold = bool(lettered) and all(w.bold for w in lettered)

    @property
    def height(self) -> float:
        return self.bottom - self.top

    def __repr__(self) -> str:
        return f"Line({self.text!r} at {self.x0:.0f},{self.top:.0f})"


@dataclass(frozen=True)
class Cell:
    """A table cell: its text, where it starts in the table's grid and how far it spans."""

    text: str
    row: int
    col: int
    rows: int = 1
    cols: int = 1
    bold: bool = False


@dataclass(frozen=True)
class Table:
    """A table as drawn: its cells on a grid of `n_rows` × `n_cols` slots, and its box."""

    cells: tuple[Cell, ...]
    n_rows: int
    n_cols: int
    x0: float = 0.0
    top: float = 0.0
    x1: float = 0.0
    bottom: float = 0.0

    def grid(self) -> list[list[Cell | None]]:
        """Every slot with the cell that covers it (a merged cell covers several), or None."""
        slots: list[list[Cell | None]] = [[None] * self.n_cols for _ in range(self.n_rows)]
        for cell in self.cells:
            for r in range(cell.row, min(cell.row + cell.rows, self.n_rows)):
                for c in range(cell.col, min(cell.col + cell.cols, self.n_cols)):
                    slots[r][c] = cell
        return slots

    @classmethod
    def of_rows(cls, rows: Sequence[Sequence[str]], bold_rows: Iterable[int] = ()) -> Table:
        """A table of one cell per slot, as a pipe table or a reader without spans gives it."""
        bold = set(bold_rows)
        width = max((len(r) for r in rows), default=0)
        cells = tuple(
            Cell(text, r, c, bold=r in bold)
            for r, row in enumerate(rows)
            for c, text in enumerate(row)
        )
        return cls(cells, len(rows), width)


@dataclass(frozen=True)
class Page:
    number: int  # 1-based, as the reader counts pages
    width: float
    height: float
    lines: tuple[Line, ...]
    tables: tuple[Table, ...] = ()
    # Pictures cover this share of the page: a page with pictures and no text was scanned.
    image_share: float = 0.0
    # Text set at a quarter turn (a table printed sideways), each turn's as a page of its own
    # in the frame where it reads upright (`rag.layout.turns`).
    turned: tuple[Page, ...] = ()


# A gap wider than this share of the font size between two letters ends a word.
LETTER_GAP = 0.12


def words_from_chars(chars: Iterable[Char]) -> list[Word]:
    """Characters, in the order the text layer holds them, joined into words: a word ends at
    a space, a line break, a jump back or down, or a gap wider than a space."""
    words: list[Word] = []
    current: list[Char] = []

    def flush() -> None:
        if current:
            words.append(
                Word(
                    text="".join(c.text for c in current),
                    x0=min(c.x0 for c in current),
                    x1=max(c.x1 for c in current),
                    top=min(c.top for c in current),
                    bottom=max(c.bottom for c in current),
                    size=max(c.size for c in current),
                    bold=sum(c.bold for c in current) * 2 > len(current),
                )
            )
            current.clear()

    for char in chars:
        if not char.text.strip():
            flush()
            continue
        if current:
            last = current[-1]
            middle = (char.top + char.bottom) / 2
            if (
                not last.top - 0.2 * last.size <= middle <= last.bottom + 0.2 * last.size
                or char.x0 < last.x0
                or char.x0 - last.x1 > LETTER_GAP * max(char.size, last.size)
            ):
                flush()
        current.append(char)
    flush()
    return words


# Words whose bottoms are this close, as a share of the font size, share a baseline.
BASELINE = 0.35
# Words further apart than this many times the font size belong to different lines (a column
# gutter, a table's next cell).
WORD_GAP = 1.2


def group_lines(words: Iterable[Word], gap: float = WORD_GAP) -> list[Line]:
    """Words grouped into lines: same baseline, in reading order, split at wide gaps."""
    rows: list[list[Word]] = []
    baseline = 0.0  # the bottom of the row's first word: rows do not creep downwards
    for word in sorted(words, key=lambda w: (round(w.bottom, 0), w.x0)):
        if rows and abs(word.bottom - baseline) <= BASELINE * word.size:
            rows[-1].append(word)
        else:
            rows.append([word])
            baseline = word.bottom
    lines: list[Line] = []
    for row in rows:
        row.sort(key=lambda w: w.x0)
        current = [row[0]]
        for word in row[1:]:
            previous = current[-1]
            if word.x0 - previous.x1 > gap * max(previous.size, word.size):
                lines.append(Line(current))
                current = [word]
            else:
                current.append(word)
        lines.append(Line(current))
    return sorted(lines, key=lambda line: (round(line.top, 0), line.x0))
