"""A page put together from its words and the lines it draws: its ruled tables, its lines of
text, and its turned text (`turns`) read as a page of its own in the frame where it stands
upright. Pure: the PDF adapter gives the words, each with the turn of its letters, and the
edges.

A ruled table is read where it stands, a turned word in it (a narrow column's name set
sideways) read upright in its cell, unless nearly all its words are turned: then it is a table
printed sideways, read in the turned frame, its rows as rows.
"""

from __future__ import annotations

from collections.abc import Sequence

from rag.layout.geometry import Page, Word, group_lines
from rag.layout.grid import Edge, find_tables
from rag.layout.turns import frame_size, turn_box, upright

# Turned text of fewer lines than this is a tab down the page's edge or a stamp, not content.
MIN_TURNED_LINES = 3
# A table this much of whose letters are turned is printed sideways; one with fewer (its
# columns' names turned over narrow columns) is read where it stands.
SIDEWAYS = 0.8


def lay_out(
    number: int,
    width: float,
    height: float,
    words: Sequence[Word],
    edges: Sequence[Edge],
    image_share: float = 0.0,
) -> Page:
    """The page of `words` (boxes on the page as shown) and `edges`."""
    tables = []
    used: set[int] = set()
    for table, inside in find_tables(edges, words):
        if _turned_share(words, inside) >= SIDEWAYS:
            continue  # printed sideways: read in its own frame
        tables.append(table)
        used |= inside
    lines = group_lines(w for i, w in enumerate(words) if not w.turn and i not in used)
    turned: dict[int, list[Word]] = {}
    for i, word in enumerate(words):
        if word.turn and i not in used:
            turned.setdefault(word.turn, []).append(upright(word, width, height))
    pages = (_turned_page(number, t, turned[t], edges, width, height) for t in sorted(turned))
    return Page(
        number=number,
        width=width,
        height=height,
        lines=tuple(lines),
        tables=tuple(tables),
        image_share=image_share,
        turned=tuple(page for page in pages if page is not None),
    )


def _turned_share(words: Sequence[Word], inside: set[int]) -> float:
    """The share of a table's letters that are turned."""
    letters = sum(len(words[i].text) for i in inside)
    turned = sum(len(words[i].text) for i in inside if words[i].turn)
    return turned / letters if letters else 0.0


def _turned_page(
    number: int, turn: int, words: list[Word], edges: Sequence[Edge], width: float, height: float
) -> Page | None:
    """The words set at `turn` (already upright in its frame) as a page in that frame, unless
    they are too few to be more than a tab or a stamp."""
    if len(group_lines(words)) < MIN_TURNED_LINES:
        return None
    turned_edges = [
        Edge(*turn_box((e.x0, e.top, e.x1, e.bottom), turn, width, height)) for e in edges
    ]
    tables = find_tables(turned_edges, words)
    in_tables = set().union(*(inside for _, inside in tables)) if tables else set()
    lines = group_lines(w for i, w in enumerate(words) if i not in in_tables)
    frame_width, frame_height = frame_size(turn, width, height)
    return Page(
        number=number,
        width=frame_width,
        height=frame_height,
        lines=tuple(lines),
        tables=tuple(table for table, _ in tables),
    )
