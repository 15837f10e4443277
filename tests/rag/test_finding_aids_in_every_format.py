"""A manual's index and table of contents make no passage, whichever format it comes in; the
text and the tables of values beside them do."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from rag.chunking import chunk_blocks
from rag.documents import UnreadableDocument, load

PROSE = "Check the engine oil level with the engine warm and the vehicle on level ground."
INDEX_TERMS = ("Exhaust", "Towing", "Replacing", "Rotation", "Fastening")


def _passages(path: Path) -> str:
    document = load(path, path.parent)
    return "\n".join(chunk.text for chunk in chunk_blocks(document.blocks))


def _assert_only_content(passages: str, *values: str) -> None:
    assert PROSE in passages
    for value in values:
        assert value in passages
    for term in INDEX_TERMS:
        assert term not in passages
    assert "...." not in passages


def test_markdown(tmp_path: Path) -> None:
    path = tmp_path / "manual.md"
    path.write_text(
        "# Table of Contents\n\n"
        "- Engine oil (page 12)\n- Exhaust (page 20)\n- Towing (page 88)\n\n"
        f"# Engine oil\n\n{PROSE}\n\n"
        "| Fastener | Torque (Nm) |\n|---|---|\n| Drain plug | 30 |\n| Wheel nut | 110 |\n\n"
        "# Index\n\n## E\n\n- Engine oil\n  - Checking ........ 12\n- Exhaust ........ 20\n\n"
        "## T\n\n- Towing ........ 88\n- Tyres\n  - Rotation ........ 91\n"
        "  - Pressure .... 145, 210\n"
    )
    _assert_only_content(_passages(path), "| Drain plug | 30 |")


def test_html(tmp_path: Path) -> None:
    path = tmp_path / "manual.html"
    path.write_text(
        "<html><body><h1>Contents</h1>"
        "<p>Engine oil ........ 12</p><p>Exhaust ........ 20</p><p>Towing ........ 88</p>"
        f"<h1>Engine oil</h1><p>{PROSE}</p>"
        "<table><tr><th>Item</th><th>Value</th></tr><tr><td>Oil capacity</td><td>4.5 L</td></tr>"
        "<tr><td>Seats</td><td>5</td></tr></table>"
        "<h2>Index</h2><h3>E</h3><ul><li>Engine oil, 12, 14</li><li>Exhaust, 20</li></ul>"
        "<h3>T</h3><ul><li>Towing 88</li><li>Tyres, pressure 145, 210</li></ul>"
        "</body></html>"
    )
    _assert_only_content(_passages(path), "| Oil capacity | 4.5 L |", "| Seats | 5 |")


def test_word(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("Contents", 1)
    for title, page in [("Safety", 3), ("Exhaust", 20), ("Towing", 40), ("Specifications", 90)]:
        document.add_paragraph(f"{title}\t{page}")
    document.add_heading("Maintenance", 1)
    document.add_paragraph(PROSE)
    table = document.add_table(rows=3, cols=2)
    for r, row in enumerate([("Fastener", "Torque (Nm)"), ("Wheel nut", "110"), ("Plug", "30")]):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    path = tmp_path / "manual.docx"
    document.save(str(path))
    _assert_only_content(_passages(path), "| Wheel nut | 110 |")


def _index_pdf() -> bytes:
    """Three pages: a contents page in two columns, a page of text, an index in two columns
    with its letters in bold."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4)

    def lines(x: float, rows: list[tuple[str, bool]]) -> None:
        y = 740.0
        for text, bold in rows:
            canvas.setFont("Helvetica-Bold" if bold else "Helvetica", 12 if bold else 10)
            canvas.drawString(x, y, text)
            y -= 14

    canvas.setFont("Helvetica-Bold", 18)
    canvas.drawString(60, 770, "Contents")
    lines(60, [("Engine oil ........................ 2", False), ("Exhaust ..... 2", False)])
    lines(300, [("Towing ............................ 3", False), ("Index ......... 3", False)])
    canvas.showPage()
    canvas.setFont("Helvetica-Bold", 18)
    canvas.drawString(60, 770, "Engine oil")
    lines(60, [(PROSE, False)])
    canvas.showPage()
    canvas.setFont("Helvetica-Bold", 18)
    canvas.drawString(60, 770, "Index")
    lines(
        60,
        [
            ("E", True),
            ("Engine oil", False),
            ("   Checking the level .............. 2", False),
            ("Exhaust ........................... 2", False),
            ("F", True),
            ("Fuses", False),
            ("   Replacing ....................... 5, 9", False),
        ],
    )
    lines(
        300,
        [
            ("S", True),
            ("Seat belts", False),
            ("   Fastening ........................ 4", False),
            ("T", True),
            ("Towing ............................ 8", False),
            ("Tyres", False),
            ("   Rotation ......................... 7", False),
        ],
    )
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def test_pdf(tmp_path: Path) -> None:
    path = tmp_path / "manual.pdf"
    path.write_bytes(_index_pdf())
    _assert_only_content(_passages(path))


def test_a_file_that_is_only_an_index_says_so(tmp_path: Path) -> None:
    path = tmp_path / "index.md"
    path.write_text(
        "Engine oil ........ P. 12\n\nExhaust ........ P. 20\n\nTowing ........ P. 88\n"
    )
    with pytest.raises(UnreadableDocument, match="only an index or a table of contents"):
        load(path, tmp_path)
