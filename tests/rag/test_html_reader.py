"""An HTML page reads as a browser shows it: text written straight into a division or the
body, outside any paragraph, is read too, a line per line break, in its place."""

from __future__ import annotations

from rag.readers.html import html_to_markdown, read_html


def _lines(page: str) -> list[str]:
    markdown, _ = html_to_markdown(page)
    return [line for line in markdown.splitlines() if line.strip()]


def test_text_in_a_division_outside_any_paragraph_is_read_line_by_line() -> None:
    page = (
        "<html><body><div class='main'><h1>Engine Oil</h1>"
        "Engine Oil with Filter<span>\t</span>7.6 liters<br>"
        "<b>NOTE:</b> All capacities are approximate.<br></div></body></html>"
    )
    assert _lines(page) == [
        "# Engine Oil",
        "Engine Oil with Filter 7.6 liters",
        "NOTE: All capacities are approximate.",
    ]


def test_loose_text_keeps_its_place_among_headings_lists_and_tables() -> None:
    page = (
        "<body>Before the heading<h2>Drain Plug</h2>Remove the plug."
        "<ul><li>Use a new washer.</li></ul>Tighten to 39 N·m."
        "<table><tr><th>Item</th><th>Torque</th></tr><tr><td>Fill plug</td><td>39 N·m</td></tr>"
        "</table><div>After the table</div></body>"
    )
    assert _lines(page) == [
        "Before the heading",
        "## Drain Plug",
        "Remove the plug.",
        "- Use a new washer.",
        "Tighten to 39 N·m.",
        "| Item | Torque |",
        "|---|---|",
        "| Fill plug | 39 N·m |",
        "After the table",
    ]


def test_a_page_of_loose_text_is_not_empty_to_retrieval() -> None:
    page = (
        "<body><div><h1>Thermostat</h1>Begins to open at 90°C.<br>Fully open at 107°C.</div>"
    ).encode()
    texts = " ".join(block.text for block in read_html(page).blocks)
    assert "Begins to open at 90°C." in texts
    assert "Fully open at 107°C." in texts


def test_paragraphs_comments_and_scripts_are_read_as_before() -> None:
    page = (
        "<body><!-- a comment --><p>A paragraph <br>with a break.</p>"
        "<script>var x = 1;</script><footer>Footer text</footer></body>"
    )
    assert _lines(page) == ["A paragraph with a break."]


def test_a_page_that_never_closes_its_tags_is_read_however_deep() -> None:
    unclosed = "<font>" * 3000
    assert _lines(f"<body>{unclosed}Deep text<br>More</body>") == ["Deep text", "More"]
    assert _lines(f"<table><tr><td>{unclosed}In a cell</td></tr></table>") == ["In a cell"]
