"""Text set at a quarter turn, moved into the frame where it reads upright and back."""

from __future__ import annotations

import math

import pytest

from rag.layout.geometry import Char, Word
from rag.layout.turns import (
    BLANK,
    frame_size,
    on_page,
    quarter_turn,
    turn_back,
    turn_box,
    upright,
    written_down,
)

WIDTH, HEIGHT = 600.0, 800.0


def test_an_angle_near_a_quarter_turn_is_that_turn_and_a_slant_is_none() -> None:
    assert quarter_turn(0.0) == 0
    assert quarter_turn(math.radians(90.4)) == 90
    assert quarter_turn(math.radians(269)) == 270
    assert quarter_turn(math.radians(359)) == 0
    assert quarter_turn(math.radians(-90)) == 270
    assert quarter_turn(math.radians(45)) is None


@pytest.mark.parametrize("turn", [0, 90, 180, 270])
def test_a_box_turned_and_turned_back_is_where_it_was(turn: int) -> None:
    box = (100.0, 200.0, 130.0, 260.0)
    turned = turn_box(box, turn, WIDTH, HEIGHT)
    width, height = frame_size(turn, WIDTH, HEIGHT)
    assert 0 <= turned[0] < turned[2] <= width and 0 <= turned[1] < turned[3] <= height
    assert turn_back(turned, turn, WIDTH, HEIGHT) == pytest.approx(box)


def test_letters_read_bottom_to_top_follow_each_other_left_to_right_when_turned() -> None:
    """Turn 270: a word read up the page; its first letter is the lowest."""
    first, second = (50.0, 400.0, 60.0, 406.0), (50.0, 394.0, 60.0, 400.0)
    a, b = (turn_box(box, 270, WIDTH, HEIGHT) for box in (first, second))
    assert a[2] <= b[0]  # the second letter follows the first
    assert a[1] == b[1]  # on one baseline


def test_letters_read_top_to_bottom_follow_each_other_left_to_right_when_turned() -> None:
    first, second = (500.0, 100.0, 510.0, 106.0), (500.0, 106.0, 510.0, 112.0)
    a, b = (turn_box(box, 90, WIDTH, HEIGHT) for box in (first, second))
    assert a[2] <= b[0] and a[1] == b[1]


def test_a_word_placed_on_the_page_keeps_its_turn_and_comes_back_upright() -> None:
    word = Word("Coolant", 100.0, 135.0, 40.0, 51.5, 10.0)
    placed = on_page(word, 270, WIDTH, HEIGHT)
    assert placed.turn == 270 and placed.x1 - placed.x0 == pytest.approx(11.5)
    assert upright(placed, WIDTH, HEIGHT) == word


def _stacked(text: str, x: float, top: float, step: float = 10.0) -> list[Char]:
    """Letters one under another from (x, top), down (or up, for a negative step), a blank
    Char for each space."""
    chars = []
    for i, letter in enumerate(text):
        y = top + i * step
        chars.append(Char(letter, x, x + 6, y, y + 11.5, 10.0) if letter != " " else BLANK)
    return chars


def test_letters_set_one_under_another_are_read_down_the_page() -> None:
    across = [Char(c, 60 + 6 * i, 66 + 6 * i, 100, 111.5, 10) for i, c in enumerate("Tyres")]
    down = _stacked("Rear 2.8 bar", 400, 100)
    kept, vertical = written_down([*across, BLANK, *down])
    assert "".join(c.text for c in kept).strip() == "Tyres"
    assert "".join(c.text for c in vertical[90]) == "Rear 2.8 bar"


def test_letters_set_one_over_another_are_read_up_the_page() -> None:
    """Glyphs turned by their font, not by their matrix, advance up the page: their boxes,
    as tall as a letter, overlap."""
    _, vertical = written_down(_stacked("Coolant 5.2 l", 300, 500, step=-5.5))
    assert "".join(c.text for c in vertical[270]) == "Coolant 5.2 l"


def test_lines_of_text_and_a_stacked_pair_stay_as_they_are() -> None:
    first = [Char(c, 60 + 6 * i, 66 + 6 * i, 100, 111.5, 10) for i, c in enumerate("ab")]
    second = [Char(c, 60 + 6 * i, 66 + 6 * i, 113, 124.5, 10) for i, c in enumerate("cd")]
    sub = [Char("H", 200, 207, 100, 111.5, 10), Char("2", 207, 211, 104, 112, 7)]
    fraction = _stacked("12", 300, 100)
    chars = [*first, BLANK, BLANK, *second, BLANK, *sub, BLANK, *fraction]
    assert written_down(chars) == (chars, {})
