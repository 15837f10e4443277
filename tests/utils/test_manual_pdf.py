"""The PDF owner's manual fixture builds, with its pages where its facts say."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium

from tests.utils.manual_pdf import build


def test_the_manual_builds_with_a_text_layer_on_every_page_but_the_scanned_one(
    tmp_path: Path,
) -> None:
    facts = build(tmp_path / "vela.pdf")
    pdf = pdfium.PdfDocument(facts.path)
    try:
        assert len(pdf) == facts.pages == 15
        assert pdf.get_metadata_dict()["Title"] == facts.title
        texts = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    finally:
        pdf.close()
    assert texts[facts.scanned_page - 1].strip() == ""
    assert all(text.strip() for page, text in enumerate(texts, 1) if page != facts.scanned_page)
    assert facts.spec_continued_page == facts.spec_page + 1
    assert facts.spec_header[0][0] not in texts[facts.spec_continued_page - 1]
