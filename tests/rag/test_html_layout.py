"""Tables that lay an HTML page out are read as its flow; tables of data stay tables."""

from __future__ import annotations

from bs4 import BeautifulSoup

from rag.readers.html import html_to_markdown
from rag.readers.html_layout import is_layout, loose_lines

STEP = (
    '<table border="0" width="90%"><tr><td width="35%"><img src="a.png"></td>'
    '<td width="65%"><b>{n}.\n   </b>{text}<br /></td></tr></table>'
)


def _table(html: str) -> object:
    return BeautifulSoup(html, "html.parser").find("table")


def test_a_page_of_steps_in_layout_tables_reads_as_headings_and_paragraphs() -> None:
    page = (
        "<html><body><h1><h1>E3. CHANGE ENGINE OIL</h1><table><tr><td></td></tr></table></h1>"
        '<table border="0"><tr><td></td><td><h2>&#60;Petrol&#62;</h2><br /></td></tr></table>'
        + STEP.format(n=1, text="Remove the drain plug.")
        + '<table><tr><td></td><td><b>2.</b><table border="1"><tr><td>caution</td>'
        "<td>The oil may be hot.</td></tr></table>Refill with oil.<br />"
        "<b>Specified oil<br /></b><ul>API classification: SG or higher<br /></ul>"
        "<b>Total quantity: 4.9 L<br /></b></td></tr></table></body></html>"
    )
    markdown, _ = html_to_markdown(page)
    lines = [line for line in markdown.splitlines() if line.strip()]
    assert lines == [
        "# E3. CHANGE ENGINE OIL",
        "## <Petrol>",
        "1. Remove the drain plug.",
        "2. Refill with oil.",
        "Specified oil",
        "API classification: SG or higher",
        "Total quantity: 4.9 L",
        "caution",
        "The oil may be hot.",
    ]
    assert "|" not in markdown


def test_a_table_of_data_stays_a_table_inside_a_layout_table() -> None:
    page = (
        "<body><table><tr><td><h2>Capacities</h2>"
        "<table><tr><th>Item</th><th>Quantity</th></tr>"
        "<tr><td>Engine oil</td><td>4.9 L</td></tr><tr><td>Coolant</td><td>9.0 L</td></tr>"
        "</table></td></tr></table></body>"
    )
    markdown, _ = html_to_markdown(page)
    assert "## Capacities" in markdown
    assert "| Item | Quantity |" in markdown
    assert "| Engine oil | 4.9 L |" in markdown


def test_the_signs_of_layout() -> None:
    grid = "<table><tr><td>Oil</td><td>4.9 L</td></tr><tr><td>Coolant</td><td>9 L</td></tr>"
    assert not is_layout(_table(grid + "</table>"))
    assert is_layout(_table(grid.replace("<table>", '<table role="presentation">') + "</table>"))
    assert is_layout(_table("<table><tr><td>caution</td><td>Hot.</td></tr></table>"))
    assert is_layout(_table("<table><tr><td><h3>A</h3></td></tr><tr><td>B</td></tr></table>"))
    column = "<table><tr><td></td><td>Step one.</td></tr><tr><td>Step two.</td><td></td></tr>"
    assert is_layout(_table(column + "</table>"))


def test_a_cells_loose_text_breaks_at_line_breaks_and_leaves_out_what_is_written_alone() -> None:
    cell = BeautifulSoup(
        "<td><b>3.</b><p>a paragraph</p>Drain it.<br/>Torque: 39 N·m<!-- note --></td>",
        "html.parser",
    ).find("td")
    assert loose_lines(cell) == ["3. Drain it.", "Torque: 39 N·m"]
