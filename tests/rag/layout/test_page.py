"""A page put together from its words: a table printed sideways read in its own frame, a
column's name set sideways read in its cell, a tab down the edge left out."""

from __future__ import annotations

import pytest

from rag.layout.geometry import Word
from rag.layout.grid import Edge
from rag.layout.page import lay_out
from rag.layout.tables import TableText, read_table
from rag.layout.turns import on_page, turn_back
from tests.rag.layout.words import line, word

WIDTH, HEIGHT = 600.0, 800.0
ROWS = (
    ("Fluid", "Petrol", "Diesel"),
    ("Engine oil", "3.6 l", "4.4 l"),
    ("Coolant", "5.2 l", "6.0 l"),
)


def _placed(words: list[Word], rules: list[Edge], turn: int) -> tuple[list[Word], list[Edge]]:
    """Words and rules set upright in the frame of `turn`, as they stand on the page."""
    edges = [Edge(*turn_back((e.x0, e.top, e.x1, e.bottom), turn, WIDTH, HEIGHT)) for e in rules]
    return [on_page(w, turn, WIDTH, HEIGHT) for w in words], edges


@pytest.mark.parametrize("turn", [90, 270])
def test_a_table_printed_sideways_is_read_row_by_row_in_its_own_frame(turn: int) -> None:
    xs, tops = (100.0, 220.0, 300.0, 380.0), (100.0, 120.0, 140.0, 160.0)
    cells = [
        word(text, x + 4, top + 4)
        for top, row in zip(tops, ROWS, strict=False)
        for text, x in zip(row, xs, strict=False)
    ]
    rules = [Edge(xs[0], y, xs[-1], y) for y in tops] + [Edge(x, tops[0], x, tops[-1]) for x in xs]
    words, edges = _placed(cells, rules, turn)
    heading = line("Capacities", 60, 40, size=13, bold=True)
    page = lay_out(5, WIDTH, HEIGHT, [*heading.words, *words], edges)
    assert [x.text for x in page.lines] == ["Capacities"]
    assert page.tables == ()
    (turned,) = page.turned
    assert (turned.number, turned.width, turned.height) == (5, HEIGHT, WIDTH)
    (table,) = turned.tables
    read = read_table(table)
    assert isinstance(read, TableText)
    assert read.rows == (ROWS[1], ROWS[2])


def test_a_column_name_set_sideways_is_read_upright_in_its_cell() -> None:
    edges = [Edge(50, y, 250, y) for y in (100, 160, 180)]
    edges += [Edge(x, 100, x, 180) for x in (50, 150, 200, 250)]
    # Each name read bottom to top in its narrow column: upright in the frame of 270.
    names = [
        *(word("10,000", 645, 160), word("km", 680, 160)),
        *(word("20,000", 645, 210), word("km", 680, 210)),
    ]
    turned, _ = _placed(names, [], 270)
    body = [word("Oil", 55, 164), word("R", 170, 164), word("I", 220, 164)]
    page = lay_out(1, WIDTH, HEIGHT, [*turned, *body], edges)
    assert page.turned == () and page.lines == ()
    (table,) = page.tables
    texts = {(c.row, c.col): c.text for c in table.cells}
    assert texts[(0, 1)] == "10,000 km" and texts[(0, 2)] == "20,000 km"
    assert (texts[(1, 0)], texts[(1, 1)], texts[(1, 2)]) == ("Oil", "R", "I")


def test_a_tab_down_the_page_edge_is_not_read() -> None:
    tab, _ = _placed([word("Specifications", 300, 10, size=9)], [], 90)
    body = line("The engine number is stamped on the block.", 60, 100)
    page = lay_out(2, WIDTH, HEIGHT, [*body.words, *tab], [])
    assert [x.text for x in page.lines] == [body.text]
    assert page.turned == ()
