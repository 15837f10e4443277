"""HTML: headings, paragraphs, list items, preformatted text and tables, in document order.

Whitespace is read as a browser reads it: any run of spaces and line breaks outside `<pre>` is
one space. (An HTML page exported from a PDF breaks a cell's text over source lines, "Cruise\n
        Control Fault"; kept, the breaks split the table row and the name.)"""

from __future__ import annotations

from rag.blocks import ParsedDocument, from_markdown
from rag.readers import html_tables
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

    for element in root.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "table", "pre"]):
        if element.find_parent(["table", "li", "pre"]) is not None:
            continue
        name = element.name
        if name and name.startswith("h") and len(name) == 2:
            out.append(f"\n{'#' * int(name[1])} {text(element)}\n")
        elif name == "p":
            out.append(text(element) + "\n")
        elif name == "li":
            out.append(f"- {text(element)}")
        elif name == "pre":
            out.append(element.get_text() + "\n")
        elif name == "table":
            lines = html_tables.pipe_table(element)
            if lines:
                out.extend(["", *lines, ""])
    return "\n".join(out), title


def read_html(raw: bytes, limits: ReadingLimits = DEFAULT_LIMITS) -> ParsedDocument:
    html = decode(raw)
    check_chars(len(html), limits)
    body, title = html_to_markdown(html)
    return ParsedDocument(tuple(from_markdown(body)), title=title)
