"""Word packages as other programs write them, and as an attacker would: a minimal package with
no numbering part (nor styles), the tables and page ends a PDF-to-Word converter writes, and a
zip bomb, a small file whose XML unpacks to many MB."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from xml.sax.saxutils import escape

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="word/document.xml" Type="http://schemas.openxmlformats.org'
    '/officeDocument/2006/relationships/officeDocument"/>'
    "</Relationships>"
)
# One paragraph as a bomb repeats it: deflate packs the repeats about a thousand times.
BOMB_PARAGRAPH = "<w:p><w:r><w:t>Check the brake fluid level every month.</w:t></w:r></w:p>"


def paragraph(text: str, style: str | None = None) -> str:
    properties = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    return f"<w:p>{properties}<w:r><w:t>{escape(text)}</w:t></w:r></w:p>"


# A table cell that goes on from the one above it (merged downwards, `w:vMerge`).
CONTINUED = "^"
Cell = str | tuple[str, int]  # its text, or its text and the grid columns it spans
# A paragraph that ends its section, the next starting on a new page (as converters end pages).
SECTION_END = '<w:p><w:pPr><w:sectPr><w:type w:val="nextPage"/></w:sectPr></w:pPr></w:p>'


def table(*rows: Sequence[Cell]) -> str:
    """A table of these rows: each cell its text, or (text, columns) for one merged across
    columns; CONTINUED for one merged down from the row above."""
    placed = [_placed(row) for row in rows]
    out = []
    for r, row in enumerate(placed):
        following = placed[r + 1] if r + 1 < len(placed) else []
        below = {c for c, _, text in following if text == CONTINUED}
        cells = []
        for column, span, text in row:
            merge = (
                '<w:vMerge w:val="restart"/>'
                if column in below and text != CONTINUED
                else "<w:vMerge/>"
                if text == CONTINUED
                else ""
            )
            width = f'<w:gridSpan w:val="{span}"/>' if span > 1 else ""
            content = paragraph("" if text == CONTINUED else text)
            cells.append(f"<w:tc><w:tcPr>{width}{merge}</w:tcPr>{content}</w:tc>")
        out.append(f"<w:tr>{''.join(cells)}</w:tr>")
    columns = sum(span for _, span, _ in placed[0])
    grid = "".join('<w:gridCol w:w="2000"/>' for _ in range(columns))
    return f"<w:tbl><w:tblGrid>{grid}</w:tblGrid>{''.join(out)}</w:tbl>"


def _placed(row: Sequence[Cell]) -> list[tuple[int, int, str]]:
    """(first grid column, columns spanned, text) of each cell of a row."""
    out, column = [], 0
    for cell in row:
        text, span = (cell, 1) if isinstance(cell, str) else cell
        out.append((column, span, text))
        column += span
    return out


def minimal_package(*paragraphs: str) -> bytes:
    """A valid .docx of three parts, as some generators write it: its document, the content
    types and the relationship naming it; no numbering, styles or properties."""
    body = "".join(paragraphs)
    document = f'<w:document xmlns:w="{W_NS}"><w:body>{body}</w:body></w:document>'
    return _zipped(
        {
            "[Content_Types].xml": CONTENT_TYPES.encode(),
            "_rels/.rels": PACKAGE_RELS.encode(),
            "word/document.xml": document.encode(),
        }
    )


def zip_bomb(unpacked_mb: int) -> bytes:
    """A minimal package whose document.xml unpacks to about `unpacked_mb` MB of paragraphs
    (100 MB packs into under half a megabyte)."""
    repeats = unpacked_mb * 1024 * 1024 // len(BOMB_PARAGRAPH)
    return minimal_package(BOMB_PARAGRAPH * repeats)


def _zipped(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as package:
        for name, data in parts.items():
            package.writestr(name, data)
    return out.getvalue()
