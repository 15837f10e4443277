"""Positioned words and lines for the layout rules' tests: text set at a place, no PDF."""

from __future__ import annotations

from rag.layout.geometry import Line, Page, Table, Word

CHAR = 5.0  # points per character at 10 pt


def word(text: str, x: float, top: float, size: float = 10.0, bold: bool = False) -> Word:
    return Word(text, x, x + CHAR * len(text) * size / 10, top, top + size * 1.15, size, bold)


def line(text: str, x: float, top: float, size: float = 10.0, bold: bool = False) -> Line:
    words, cursor = [], x
    for part in text.split():
        words.append(word(part, cursor, top, size, bold))
        cursor = words[-1].x1 + CHAR * size / 10
    return Line(words)


def page(number: int, *lines: Line, width: float = 600, height: float = 800,
         tables: tuple[Table, ...] = ()) -> Page:  # fmt: skip
    return Page(number, width, height, tuple(lines), tables)
