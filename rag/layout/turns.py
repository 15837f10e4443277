"""Text set at a quarter turn: its boxes moved into the frame where it reads upright, and back.

A manual prints a wide table sideways (its letters turned by 90° or 270° on an upright page),
labels a table's narrow columns with turned words, or runs a tab down the page's edge. Turned
into the frame where its letters stand upright, such text is read by the same rules as the
rest: words, lines, columns, tables.

A turn is in degrees, clockwise, as the page is shown: 90 reads top to bottom, 270 bottom to
top, 180 upside down. Boxes are (x0, top, x1, bottom) with `top` growing downwards.

Vertical writing (a font set to write down the page, as a sideways table may be made) gives
letters that the text layer holds upright, one under another: read across, they come out as
letters scattered over many lines. Such a run is read the way it runs: down the page as text
at 90, up it as text at 270.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rag.layout.geometry import Char, Word

Box = tuple[float, float, float, float]
# How far from a quarter turn a letter may be set and still be read as set at it (degrees).
TOLERANCE = 3.0


def quarter_turn(angle: float) -> int | None:
    """The quarter turn of letters set at `angle` (radians, clockwise as shown), or None for
    letters at a slant (a stamp across a page, a label along a drawing's diagonal)."""
    degrees = math.degrees(angle) % 360
    turn = round(degrees / 90) % 4 * 90
    off = abs((degrees - turn + 180) % 360 - 180)
    return turn if off <= TOLERANCE else None


def frame_size(turn: int, width: float, height: float) -> tuple[float, float]:
    """The width and height of a page of `width` × `height` turned so `turn` reads upright."""
    return (height, width) if turn in (90, 270) else (width, height)


def turn_box(box: Box, turn: int, width: float, height: float) -> Box:
    """A box on the page (of `width` × `height`) in the frame where text set at `turn` reads
    upright, left to right."""
    x0, top, x1, bottom = box
    match turn:
        case 90:
            return top, width - x1, bottom, width - x0
        case 180:
            return width - x1, height - bottom, width - x0, height - top
        case 270:
            return height - bottom, x0, height - top, x1
    return box


def turn_back(box: Box, turn: int, width: float, height: float) -> Box:
    """A box in the frame where `turn` reads upright, on the page again: `turn_box` undone."""
    x0, top, x1, bottom = box
    match turn:
        case 90:
            return width - bottom, x0, width - top, x1
        case 180:
            return width - x1, height - bottom, width - x0, height - top
        case 270:
            return top, height - x1, bottom, height - x0
    return box


def on_page(word: Word, turn: int, width: float, height: float) -> Word:
    """A word read upright in the frame of `turn`, placed on the page: its box the page's,
    its `turn` the one its letters are set at there."""
    x0, top, x1, bottom = turn_back((word.x0, word.top, word.x1, word.bottom), turn, width, height)
    return word._replace(x0=x0, x1=x1, top=top, bottom=bottom, turn=turn)


def upright(word: Word, width: float = 0.0, height: float = 0.0) -> Word:
    """A word on the page, in the frame where its letters read upright (`on_page` undone).
    Without the page's size the frame's origin is off the page, which relative positions
    (lines, cells) do not mind."""
    if not word.turn:
        return word
    x0, top, x1, bottom = turn_box(
        (word.x0, word.top, word.x1, word.bottom), word.turn, width, height
    )
    return word._replace(x0=x0, x1=x1, top=top, bottom=bottom, turn=0)


# Letters of a vertical run: each the next's neighbour up or down the page, at most this many
# times their size from it (a space between words), hardly aside from it.
STACK_GAP = 2.5
STACK_STEP = 0.2
# A run of fewer letters (a stacked fraction, two figures) is left as it is.
MIN_STACK = 3
BLANK = Char(" ", 0, 0, 0, 0, 0)


def _step(before: Char, after: Char) -> int:
    """Where `after` stands from the letter before it: 90 right under it, 270 right over
    it, 0 anywhere else (beside it, as letters on a line follow each other)."""
    dx = (after.x0 + after.x1 - before.x0 - before.x1) / 2
    dy = (after.top + after.bottom - before.top - before.bottom) / 2
    size = max(before.size, after.size, 1.0)
    if abs(dy) < STACK_STEP * size or abs(dy) > STACK_GAP * size or abs(dy) < 2 * abs(dx):
        return 0
    return 90 if dy > 0 else 270


def written_down(chars: Sequence[Char]) -> tuple[list[Char], dict[int, list[Char]]]:
    """The characters (in text order, a blank Char between words) split into those read
    across and those of vertical runs: by the way they run (90 down the page, 270 up it),
    each with the blanks between its words."""
    runs: list[tuple[int, list[int]]] = []  # each run's way and positions
    previous, blanks, top = -1, 0, 0.0
    for i, char in enumerate(chars):
        if char.text == " ":
            blanks += 1
            continue
        # (A letter on the line of the one before stands as high: told without a call.)
        moved = previous >= 0 and blanks <= 1 and abs(char.top - top) > 1.0
        way = _step(chars[previous], char) if moved else 0
        if way:
            if runs and runs[-1][1][-1] == previous and runs[-1][0] == way:
                runs[-1][1].append(i)
            else:
                runs.append((way, [previous, i]))
        previous, blanks, top = i, 0, char.top
    kept = [(way, run) for way, run in runs if len(run) >= MIN_STACK]
    if not kept:
        return list(chars), {}
    taken = {i for _, run in kept for i in run}
    read: dict[int, list[Char]] = {}
    for way, run in kept:
        letters = read.setdefault(way, [])
        if letters:
            letters.append(BLANK)
        for i, j in zip(run, [*run[1:], run[-1]], strict=True):
            letters.append(chars[i])
            if j > i + 1:
                letters.append(BLANK)  # the space between two words of the run
    return [c for i, c in enumerate(chars) if i not in taken], read


def turn_char(char: Char, turn: int, width: float, height: float) -> Char:
    """A character's box in the frame where `turn` reads upright."""
    x0, top, x1, bottom = turn_box((char.x0, char.top, char.x1, char.bottom), turn, width, height)
    return char._replace(x0=x0, x1=x1, top=top, bottom=bottom)
