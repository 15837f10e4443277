"""HTML: headings, paragraphs, list items, preformatted text and tables, in document order;
a table that lays the page out is read as the page's flow (`rag.readers.html_layout`).

Whitespace is read as a browser reads it: any run of spaces and line breaks outside `<pre>` is
one space. (An HTML page exported from a PDF breaks a cell's text over source lines, "Cruise\n
        Control Fault"; kept, the breaks split the table row and the name.)"""

from __future__ import annotations

from rag.blocks import ParsedDocument, from_markdown
from rag.readers import html_layout, html_tables
from rag.readers.limits import DEFAULT_LIMITS, ReadingLimits, check_chars
from rag.readers.markdown import decode


def html_to_markdown(html: str) -> tuple[str, str | None]:
    from bs4 import BeautifulSoup, Tag

    soup = BeautifulSoup(html, "html.parser")
    for dead in soup(["script", "style", "nav", "footer"]):
        dead.decompose()
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    root = soup.body or soup
    out: list[str] = []

    def text(element: Tag) -> str:
        return " ".join(element.get_text(" ").split())

    def written_with_another(element: Tag) -> bool:
        """Inside a heading, a list item, preformatted text or a table of data: written
        with it."""
        if element.find_parent(["li", "pre", *html_layout.HEADINGS]) is not None:
            return True
        return any(not layout(table) for table in element.find_parents("table"))

    verdicts: dict[int, bool] = {}

    def layout(table: Tag) -> bool:
        key = id(table)
        if key not in verdicts:
            verdicts[key] = html_layout.is_layout(table)
        return verdicts[key]

    for element in root.find_all([*html_layout.WRITTEN, "td", "th"]):
        if written_with_another(element):
            continue
        name = element.name
        if name in html_layout.HEADINGS:
            out.append(f"\n{'#' * int(name[1])} {text(element)}\n")
        elif name == "p":
            out.append(text(element) + "\n")
        elif name == "li":
            out.append(f"- {text(element)}")
        elif name == "pre":
            out.append(element.get_text() + "\n")
        elif name == "table":
            lines = [] if layout(element) else html_tables.pipe_table(element)
            if lines:
                out.extend(["", *lines, ""])
        else:  # a cell of a table that lays the page out
            out.extend(line + "\n" for line in html_layout.loose_lines(element))
    return "\n".join(out), title


def read_html(raw: bytes, limits: ReadingLimits = DEFAULT_LIMITS) -> ParsedDocument:
    html = decode(raw)
    check_chars(len(html), limits)
    body, title = html_to_markdown(html)
    return ParsedDocument(tuple(from_markdown(body)), title=title)
