"""Tables that lay a page out, told apart from tables of data.

Pages exported from manual systems set every step, note and heading in a `<table>`: a column
for the illustration and one for the text, a "caution" label beside its warning, a heading in
a cell of its own. Written out as a data table, such a page becomes rows of empty cells and
headers repeating "Maintenance item", and its steps, torques and quantities are no longer
sentences. Browsers' reader modes make the same call (Mozilla Readability's "is this a data
table"); the signs here are the ones that page layout leaves and data tables do not:

- `role="presentation"` (or "none") says so;
- a table holding another table, or a heading, is a frame around content;
- a single row has no header and no records: it is a box around what its cells say;
- rows that never hold two cells of text are a column of content, not a grid of values.

A layout table is read as the page's flow: its headings stay headings, its tables are
judged in turn, and the text of its cells becomes paragraphs, one per line break.
"""

from __future__ import annotations

from typing import Any

from rag.readers.html_tables import own_rows

HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
# Elements the HTML reader writes out as blocks of their own: a cell's text outside them is
# the cell's loose text.
WRITTEN = (*HEADINGS, "p", "li", "pre", "table")
# Elements that set their text on lines of its own (a list with no items still does).
BREAKING = ("br", "ul", "ol", "dl", "div", "hr")
# Elements that set their text apart from what comes before and after it, in a browser.
BLOCKS = (
    *BREAKING,
    *("address", "article", "aside", "blockquote", "body", "center", "dd", "details", "dt"),
    *("fieldset", "figcaption", "figure", "form", "header", "main", "section", "summary"),
    *("td", "th", "tr"),
)


def _text(element: Any) -> str:
    return " ".join(element.get_text(" ").split())


def is_layout(table: Any) -> bool:
    """Whether `table` (a bs4 `<table>`) lays the page out rather than holding data."""
    if str(table.get("role", "")).lower() in ("presentation", "none"):
        return True
    if table.find(["table", *HEADINGS]) is not None:
        return True
    rows = own_rows(table)
    if len(rows) <= 1:
        return True
    return all(
        sum(1 for cell in row.find_all(["td", "th"], recursive=False) if _text(cell)) <= 1
        for row in rows
    )


def own_cells(table: Any) -> list[Any]:
    """A `<table>`'s cells, row by row, not those of a table inside it."""
    return [c for row in own_rows(table) for c in row.find_all(["td", "th"], recursive=False)]


def joined(pieces: list[str]) -> str:
    """Pieces of text met on one line, as a browser shows them: every run of whitespace one
    space, none at either end."""
    return " ".join(" ".join(pieces).split())


def loose_lines(cell: Any) -> list[str]:
    """The text of a layout table's cell outside the blocks written out on their own, one
    line per line break (`<br>`, a list, a division)."""
    from bs4 import NavigableString, Tag

    lines: list[str] = []
    current: list[str] = []

    def end_line() -> None:
        line = joined(current)
        if line:
            lines.append(line)
        current.clear()

    # Walked with a stack of its own (an element to read, or None to end a line), not by
    # recursion: a cell whose tags are never closed is as deep as it is long.
    stack: list[Any] = list(reversed(list(cell.children)))
    while stack:
        child = stack.pop()
        if child is None:
            end_line()
        elif isinstance(child, NavigableString):
            if type(child) is NavigableString:  # not a comment, doctype or CDATA
                current.append(str(child))
        elif isinstance(child, Tag) and child.name not in WRITTEN:
            # What is written out on its own, where the reader meets it, is left out here
            # without breaking the line: a step's number and its text stay together.
            breaking = child.name in BREAKING
            if breaking:
                end_line()
                stack.append(None)
            stack.extend(reversed(list(child.children)))
    end_line()
    return lines
