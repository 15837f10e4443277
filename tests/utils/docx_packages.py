"""Word packages as other programs write them, and as an attacker would: a minimal package with
no numbering part (nor styles), and a zip bomb, a small file whose XML unpacks to many MB."""

from __future__ import annotations

import io
import zipfile
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
