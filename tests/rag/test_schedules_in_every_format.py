"""A maintenance schedule set as a grid of marks (items down the side, intervals across the top)
reads as when each item is due, whichever format it comes in; in HTML, whatever cells the
header merges (`rowspan`, `colspan`). The PDF reader's own case is in `test_pdf_reader`."""

from __future__ import annotations

from pathlib import Path

import docx

from rag.chunking import chunk_blocks
from rag.documents import load

KM = ("10,000 km", "20,000 km", "30,000 km", "40,000 km")
ROWS = (
    ("Engine oil", "●", "●", "●", "●"),
    ("Air filter", "", "✓", "", "✓"),
    ("Coolant", "", "", "X", ""),
)
READ = (
    "- Engine oil: every 10,000 km (at 10,000 km, 20,000 km, 30,000 km, 40,000 km)",
    "- Air filter: every 20,000 km (at 20,000 km, 40,000 km)",
    "- Coolant: at 30,000 km",
)


def _passages(path: Path) -> str:
    document = load(path, path.parent)
    return "\n".join(chunk.text for chunk in chunk_blocks(document.blocks))


def _assert_read_item_by_item(passages: str) -> None:
    for line in READ:
        assert line in passages, passages
    assert "| ● |" not in passages


def _cells(tag: str, texts: tuple[str, ...]) -> str:
    return "".join(f"<{tag}>{t}</{tag}>" for t in texts)


def test_markdown(tmp_path: Path) -> None:
    path = tmp_path / "schedule.md"
    path.write_text(
        "# Maintenance schedule\n\n"
        f"| Item | {' | '.join(KM)} |\n|{'---|' * 5}\n"
        + "".join(f"| {' | '.join(row)} |\n" for row in ROWS)
    )
    _assert_read_item_by_item(_passages(path))


def test_html_with_a_header_that_groups_the_intervals(tmp_path: Path) -> None:
    path = tmp_path / "schedule.html"
    path.write_text(
        "<html><body><h1>Maintenance schedule</h1><table><thead>"
        '<tr><th rowspan="2">Item</th><th colspan="4">Service interval</th></tr>'
        f"<tr>{_cells('th', KM)}</tr></thead><tbody>"
        + "".join(f"<tr>{_cells('td', row)}</tr>" for row in ROWS)
        + "</tbody></table></body></html>"
    )
    _assert_read_item_by_item(_passages(path))


def test_html_with_a_group_spanning_its_rows(tmp_path: Path) -> None:
    body = "".join(f"<tr>{_cells('td', row)}</tr>" for row in ROWS)
    body = body.replace("<tr>", '<tr><td rowspan="3">Engine</td>', 1)
    path = tmp_path / "schedule.html"
    path.write_text(f"<table><tr>{_cells('th', ('Group', 'Item', *KM))}</tr>{body}</table>")
    passages = _passages(path)
    assert "- Engine – Air filter: every 20,000 km (at 20,000 km, 40,000 km)" in passages
    assert "- Engine – Coolant: at 30,000 km" in passages


def test_word(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("Maintenance schedule", 1)
    table = document.add_table(rows=len(ROWS) + 1, cols=len(KM) + 1)
    for r, row in enumerate((("Item", *KM), *ROWS)):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    path = tmp_path / "schedule.docx"
    document.save(str(path))
    _assert_read_item_by_item(_passages(path))
