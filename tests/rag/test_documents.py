"""Each supported format becomes Markdown-shaped text with a title and a domain."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.chunking import chunk_markdown
from rag.documents import UnreadableDocument, discover, load
from rag.readers.html import read_html
from tests.rag import DOMAINS


def minimal_pdf(text: str) -> bytes:
    """A valid one-page PDF showing `text`, written by hand so no PDF library is needed."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def test_markdown_takes_title_from_front_matter_and_domain_from_its_folder(tmp_path: Path) -> None:
    path = tmp_path / "specs" / "aster.md"
    path.parent.mkdir()
    path.write_text("---\ntitle: Kestrel Aster\n---\n# Aster\n\nText.\n")
    document = load(path, tmp_path, DOMAINS)
    assert (document.source, document.title, document.domain) == (
        "specs/aster.md",
        "Kestrel Aster",
        "specs",
    )


def test_front_matter_domain_wins_over_the_folder(tmp_path: Path) -> None:
    path = tmp_path / "misc" / "codes.md"
    path.parent.mkdir()
    path.write_text("---\ndomain: troubleshooting\n---\n# Codes\n\nP0A80.\n")
    assert load(path, tmp_path, DOMAINS).domain == "troubleshooting"


def test_the_domains_are_the_callers(tmp_path: Path) -> None:
    """A folder or front matter names a domain only among those the caller gives."""
    path = tmp_path / "recalls" / "rc-14.md"
    path.parent.mkdir()
    path.write_text("# Recall RC-14\n\nThe workshop replaces the clip.\n")
    assert load(path, tmp_path).domain == "general"
    assert load(path, tmp_path, ("recalls",)).domain == "recalls"
    path.write_text("---\ndomain: recalls\n---\n# Recall RC-14\n\nText.\n")
    with pytest.raises(UnreadableDocument, match="'recalls' is not one of specs, maintenance"):
        load(path, tmp_path, DOMAINS)


def test_html_headings_lists_and_tables_become_markdown(tmp_path: Path) -> None:
    path = tmp_path / "troubleshooting" / "infotainment.html"
    path.parent.mkdir()
    path.write_text(
        "<html><head><title>Infotainment</title><script>alert(1)</script></head><body>"
        "<h1>Infotainment</h1><h2>Pairing</h2><p>Hold the button.</p><ul><li>Step one</li></ul>"
        "<table><tr><th>Code</th><th>Meaning</th></tr><tr><td>INF-101</td><td>No signal</td></tr>"
        "</table></body></html>"
    )
    document = load(path, tmp_path)
    assert document.title == "Infotainment"
    assert "alert(1)" not in document.body
    chunks = chunk_markdown(document.body)
    (pairing,) = [c for c in chunks if c.heading_path == ("Infotainment", "Pairing")]
    assert "- Step one" in pairing.text
    assert "| Code | Meaning |\n|---|---|\n| INF-101 | No signal |" in pairing.text


def test_html_text_broken_over_source_lines_is_read_as_a_browser_shows_it() -> None:
    """A page exported from a PDF breaks a cell's words over source lines; kept, the breaks
    split the table's row and the warning's name ("Control Fault" for "Cruise Control
    Fault")."""
    parsed = read_html(
        b"<table><tr><td><p>Warning\n        Message</p></td><td><p>Procedure</p></td></tr>"
        b"<tr><td><p><br/></p><p>Cruise\n        Control Fault</p></td>"
        b"<td><p>Indicates\n   that it failed.</p><p>\n  Consult a repairer.</p></td></tr></table>"
        b"<p>Drive\n   carefully.</p><pre>keep\n  this</pre>"
    )
    assert parsed.markdown.startswith(
        "| Warning Message | Procedure |\n|---|---|\n"
        "| Cruise Control Fault | Indicates that it failed. Consult a repairer. |"
    )
    assert "Drive carefully." in parsed.markdown and "keep\n  this" in parsed.markdown


def test_markdown_reads_the_html_tables_and_line_breaks_a_converter_left_in_it(
    tmp_path: Path,
) -> None:
    """Converters write a table with merged cells as HTML inside the Markdown, and a line break
    as `<br>`: read as the table and the text they show as, not as tags."""
    path = tmp_path / "specs.md"
    path.write_text(
        "# Specifications\n\nTyres and oil.<br>Checked cold.\n\n"
        "<table><tr><th>Item</th><th>Value</th></tr>\n"
        "<tr><td>Engine oil</td><td>4.5 L<br>with filter</td></tr>\n"
        '<tr><td rowspan="2">Tyre pressure</td><td>Front: 230 kPa</td></tr>\n'
        "<tr><td>Rear: 210 kPa</td></tr></table>\n\nAfter the table.\n"
    )
    body = load(path, tmp_path).body
    assert "<" not in body
    assert "Tyres and oil. Checked cold." in body
    assert (
        "| Item | Value |\n|---|---|\n| Engine oil | 4.5 L with filter |\n"
        "| Tyre pressure | Front: 230 kPa |\n| Tyre pressure | Rear: 210 kPa |"
    ) in body
    assert "After the table." in body


def test_plain_text_uppercase_lines_are_headings(tmp_path: Path) -> None:
    path = tmp_path / "maintenance" / "fluids.txt"
    path.parent.mkdir()
    path.write_text("TYRE PRESSURES\nFront 2.5 bar.\n\nCOOLANT\nUse OAT coolant.\n")
    chunks = chunk_markdown(load(path, tmp_path).body)
    assert [c.heading_path for c in chunks] == [("Tyre Pressures",), ("Coolant",)]


def test_pdf_text_is_extracted(tmp_path: Path) -> None:
    path = tmp_path / "maintenance" / "recall.pdf"
    path.parent.mkdir()
    path.write_bytes(minimal_pdf("Recall notice for the Kestrel Sable rear brake hose"))
    document = load(path, tmp_path, DOMAINS)
    assert "rear brake hose" in document.body
    assert document.domain == "maintenance"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "PDF"),
        ("latin1.md", "caf\xe9".encode("latin-1"), "not UTF-8"),
        ("empty.md", b"   \n", "empty"),
    ],
)
def test_unusable_files_raise_with_a_reason(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnreadableDocument, match=reason):
        load(path, tmp_path)


def test_discover_skips_hidden_and_unsupported_files(tmp_path: Path) -> None:
    for name in ("a.md", ".hidden.md", "b.png", "c.txt"):
        (tmp_path / name).write_text("x")
    assert [p.name for p in discover(tmp_path)] == ["a.md", "c.txt"]
