"""HTML: headings, paragraphs, list items, preformatted text and tables, in document order;
a table that lays the page out is read as the page's flow (`rag.readers.html_layout`).

Whitespace is read as a browser reads it: any run of spaces and line breaks outside `<pre>` is
one space. (An HTML page exported from a PDF breaks a cell's text over source lines, "Cruise\n
        Control Fault"; kept, the breaks split the table row and the name.)"""

from __future__ import annotations

from typing import Any

from rag.blocks import ParsedDocument, from_markdown
from rag.readers import html_layout, html_tables
from rag.readers.limits import DEFAULT_LIMITS, ReadingLimits, check_chars
from rag.readers.markdown import decode


def html_to_markdown(html: str) -> tuple[str, str | None]:
    from bs4 import BeautifulSoup, NavigableString, Tag

    soup = BeautifulSoup(html, "html.parser")
    for dead in soup(["script", "style", "nav", "footer"]):
        dead.decompose()
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    root = soup.body or soup
    out: list[str] = []
    current: list[str] = []

    def text(element: Tag) -> str:
        return " ".join(element.get_text(" ").split())

    def end_line() -> None:
        """Text written straight into a block (a division, the body), outside any paragraph,
        is a line of its own up to the next line break or block, as a browser shows it."""
        line = html_layout.joined(current)
        current.clear()
        if line:
            out.append(line + "\n")

    # The page is walked in document order with a stack of its own, not by recursion: a page
    # that never closes its tags (3,000 nested <font>s) is as deep as it is long.
    # Each entry: ("node", element, loose) to read an element, where `loose` says whether its
    # loose text is read (not within a layout table's cell, whose loose text
    # `html_layout.loose_lines` reads); ("cell", cell) for a layout table's cell; ("end",) to
    # end the line being written.
    stack: list[tuple[Any, ...]] = []

    def children(element: Tag, loose: bool) -> None:
        stack.extend(("node", child, loose) for child in reversed(list(element.children)))

    children(root, True)
    while stack:
        entry = stack.pop()
        if entry[0] == "end":
            end_line()
            continue
        if entry[0] == "cell":
            out.extend(line + "\n" for line in html_layout.loose_lines(entry[1]))
            children(entry[1], False)
            continue
        _, child, loose = entry
        if isinstance(child, NavigableString):
            if loose and type(child) is NavigableString:  # not a comment or doctype
                current.append(str(child))
            continue
        if not isinstance(child, Tag):
            continue
        name = child.name
        if name in html_layout.HEADINGS:
            end_line()
            out.append(f"\n{'#' * int(name[1])} {text(child)}\n")
        elif name == "p":
            end_line()
            out.append(text(child) + "\n")
            children(child, False)
        elif name == "li":
            end_line()
            out.append(f"- {text(child)}")
        elif name == "pre":
            end_line()
            out.append(child.get_text() + "\n")
        elif name == "table":
            end_line()
            if html_layout.is_layout(child):
                stack.extend(("cell", cell) for cell in reversed(html_layout.own_cells(child)))
            else:
                lines = html_tables.pipe_table(child)
                if lines:
                    out.extend(["", *lines, ""])
        elif loose and name in html_layout.BLOCKS:
            end_line()
            stack.append(("end",))
            children(child, loose)
        else:
            children(child, loose)

    end_line()
    return "\n".join(out), title


def read_html(raw: bytes, limits: ReadingLimits = DEFAULT_LIMITS) -> ParsedDocument:
    html = decode(raw)
    check_chars(len(html), limits)
    body, title = html_to_markdown(html)
    return ParsedDocument(tuple(from_markdown(body)), title=title)
