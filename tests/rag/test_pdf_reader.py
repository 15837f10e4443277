"""A PDF owner's manual is read as a person reads it: each reading rule checked on a manual
that has what real manuals have (`tests/utils/manual_pdf.py`)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from rag.blocks import Block, ParsedDocument
from rag.chunking import chunk_blocks
from rag.documents import load
from rag.readers.errors import UnreadableDocument
from rag.readers.limits import ReadingLimits
from rag.readers.pdf import read_pdf
from tests.utils.manual_pdf import SCANNED_LINES, PdfFacts, build


@pytest.fixture(scope="module")
def manual(tmp_path_factory: pytest.TempPathFactory) -> tuple[PdfFacts, ParsedDocument]:
    facts = build(tmp_path_factory.mktemp("manual") / "vela.pdf")
    return facts, read_pdf(facts.path.read_bytes())


def _text(document: ParsedDocument) -> str:
    return "\n".join(block.text for block in document.blocks)


def _block(document: ParsedDocument, containing: str) -> Block:
    return next(b for b in document.blocks if containing in b.text)


def test_running_headers_footers_and_page_numbers_are_not_read_as_content(
    manual: tuple[PdfFacts, ParsedDocument],
) -> None:
    facts, document = manual
    text = _text(document)
    assert facts.header_left not in text.replace(facts.title, "", 1)  # the cover's title
    assert facts.footer_right not in text
    for chapter in set(facts.header_right.values()):
        assert text.count(chapter) == 1, chapter  # its heading only, not its running header
    lone_numbers = [b.text for b in document.blocks if re.fullmatch(r"\W*\d+\W*", b.text)]
    assert lone_numbers == []


def test_a_word_hyphenated_at_a_line_end_is_whole_again(
    manual: tuple[PdfFacts, ParsedDocument],
) -> None:
    facts, document = manual
    text = _text(document)
    for broken in facts.hyphenated:
        assert broken.word in text
        assert f"{broken.line_end} {broken.line_start}" not in text


def test_a_compound_broken_at_its_own_hyphen_keeps_it(
    manual: tuple[PdfFacts, ParsedDocument],
) -> None:
    facts, document = manual
    text = _text(document)
    assert facts.compound.word in text
    assert facts.compound.word.replace("-", "") not in text


def test_two_columns_are_read_one_after_the_other_and_a_cut_paragraph_goes_on(
    manual: tuple[PdfFacts, ParsedDocument],
) -> None:
    facts, document = manual
    for cut in facts.column_breaks:
        block = _block(document, cut.left_last_line)
        assert cut.paragraph in block.text
        assert block.page == cut.page


def test_headings_are_told_by_their_type_and_nest_by_size(
    manual: tuple[PdfFacts, ParsedDocument],
) -> None:
    facts, document = manual
    levels = {b.text: b.level for b in document.blocks if b.kind == "heading"}
    assert {levels[c] for c in facts.chapters} == {2}  # under the cover's title
    assert {levels[s] for s in facts.sections} == {3}
    assert {levels[s] for s in facts.subsections} == {4}
    pages = {b.text: b.page for b in document.blocks if b.kind == "heading"}
    assert all(pages[title] == page for title, page in facts.sections.items())


def test_chunks_carry_their_section_path_and_page(
    manual: tuple[PdfFacts, ParsedDocument],
) -> None:
    facts, document = manual
    chunks = chunk_blocks(document.blocks)
    assert all(chunk.page is not None for chunk in chunks)
    warning = next(c for c in chunks if facts.warning in c.text)
    assert warning.page == facts.warning_page
    assert warning.heading_path[0] == facts.title
    assert warning.heading_path[1] in facts.chapters


def test_bullets_and_numbered_steps_are_list_items(
    manual: tuple[PdfFacts, ParsedDocument],
) -> None:
    facts, document = manual
    bullets = _block(document, facts.bullets[0])
    assert bullets.kind == "list"
    assert list(bullets.lines) == [f"- {item}" for item in facts.bullets]  # wrapped one whole
    steps = _block(document, facts.steps[0])
    assert steps.kind == "list" and list(steps.lines) == list(facts.steps)


def test_a_warning_label_leads_the_sentence_it_names(
    manual: tuple[PdfFacts, ParsedDocument],
) -> None:
    facts, document = manual
    assert _block(document, facts.warning).text == f"{facts.warning_label}: {facts.warning}"


def _table_rows(block: Block) -> dict[str, list[str]]:
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in block.lines]
    return {row[0]: row[1:] for row in rows}


def test_a_technical_table_reads_each_value_under_its_column_and_group(
    manual: tuple[PdfFacts, ParsedDocument],
) -> None:
    facts, document = manual
    table = _block(document, facts.spec_rows[0].label)
    assert table.kind == "table" and table.page == facts.spec_page
    rows = _table_rows(table)
    first, second = facts.spec_header
    header = rows[first[0]]
    assert all(name in cell for name, cell in zip(second, header, strict=True))
    for row in facts.spec_rows:
        if row in facts.spec_continued_rows:
            continue
        label = next(key for key in rows if key.endswith(row.label))
        assert row.group.lower() in label.lower()
        expected = list(row.values) * (2 // len(row.values))  # a spanning value is each's
        assert rows[label] == expected, row


def test_a_table_continued_on_the_next_page_keeps_its_header(
    manual: tuple[PdfFacts, ParsedDocument],
) -> None:
    facts, document = manual
    continued = _block(document, facts.spec_continued_rows[0].label)
    assert continued.page == facts.spec_continued_page
    rows = _table_rows(continued)
    assert facts.spec_header[1][1] in " ".join(rows[facts.spec_header[0][0]])
    for row in facts.spec_continued_rows:
        label = next(key for key in rows if key.endswith(row.label))
        assert rows[label] == list(row.values)


def test_an_unruled_list_of_labels_and_values_reads_as_pairs(
    manual: tuple[PdfFacts, ParsedDocument],
) -> None:
    facts, document = manual
    block = _block(document, facts.key_values[0][0])
    assert block.page == facts.key_values_page
    assert list(block.lines) == [f"- {label}: {value}" for label, value in facts.key_values]


def test_an_unruled_table_with_a_bold_header_is_a_table(
    manual: tuple[PdfFacts, ParsedDocument],
) -> None:
    facts, document = manual
    table = _block(document, facts.maintenance_rows[0][0])
    assert table.kind == "table"
    rows = _table_rows(table)
    assert rows[facts.maintenance_header[0]] == list(facts.maintenance_header[1:])
    for label, *values in facts.maintenance_rows:
        assert rows[label] == values


def test_a_table_printed_sideways_reads_row_by_row_with_its_values(
    manual: tuple[PdfFacts, ParsedDocument],
) -> None:
    facts, document = manual
    sideways = facts.sideways
    table = _block(document, "Engine coolant")
    assert table.kind == "table" and table.page == sideways.pages[0]
    rows = _table_rows(table)
    assert rows[sideways.header[0]] == list(sideways.header[1:])
    for label, *values in sideways.rows[1:]:
        assert rows[label] == values


def test_a_sideways_table_goes_on_over_the_next_page_with_its_header(
    manual: tuple[PdfFacts, ParsedDocument],
) -> None:
    facts, document = manual
    sideways = facts.sideways
    continued = _block(document, sideways.continued_rows[0][0])
    assert continued.kind == "table" and continued.page == sideways.pages[1]
    rows = _table_rows(continued)
    assert rows[sideways.header[0]] == list(sideways.header[1:])
    for label, *values in sideways.continued_rows:
        assert rows[label] == values


def test_a_table_in_vertical_writing_reads_row_by_row_not_letter_by_letter(
    manual: tuple[PdfFacts, ParsedDocument],
) -> None:
    facts, document = manual
    vertical = facts.vertical_table
    table = _block(document, vertical.rows[1][0])
    assert table.kind == "table" and table.page == vertical.page
    rows = _table_rows(table)
    for label, *values in vertical.rows:
        assert rows[label] == values


def test_a_footnote_under_a_table_goes_with_the_row_it_marks(
    manual: tuple[PdfFacts, ParsedDocument],
) -> None:
    facts, document = manual
    mark, note = facts.sideways.footnote
    marked = facts.sideways.rows[0]
    rows = _table_rows(_block(document, "Engine coolant"))
    label = marked[0].replace(mark, "")
    assert rows[f"{label} ({note})"] == list(marked[1:])


def test_a_turned_block_beside_upright_text_reads_as_its_rows(
    manual: tuple[PdfFacts, ParsedDocument],
) -> None:
    facts, document = manual
    turned = facts.turned_block
    for paragraph in turned.beside:
        assert _block(document, paragraph).text == paragraph
    title = _block(document, turned.title)
    assert title.kind == "heading" and title.page == turned.page
    block = _block(document, turned.rows[0][0])
    assert block.page == turned.page
    assert list(block.lines) == [f"- {label}: {value}" for label, value in turned.rows]


def test_a_maintenance_schedule_grid_reads_as_what_to_do_to_each_item_and_when(
    manual: tuple[PdfFacts, ParsedDocument],
) -> None:
    facts, _ = manual
    schedule = facts.schedule
    loaded = load(facts.path, facts.path.parent)  # schedules are read for every format there
    block = next(b for b in loaded.blocks if schedule.readings[0][0] in b.text)
    assert block.kind == "list" and block.page == schedule.page
    lines = {line.split(":")[0].split(" (")[0].removeprefix("- "): line for line in block.lines}
    for item, phrases in schedule.readings:
        assert all(phrase in lines[item] for phrase in phrases), lines[item]
    assert not any(interval in loaded.body for interval in ("| I |", "| R |"))


def test_the_outline_names_headings_the_type_does_not(
    manual: tuple[PdfFacts, ParsedDocument],
) -> None:
    facts, document = manual
    title, page = facts.body_type_title
    heading = _block(document, title)
    assert (heading.kind, heading.page, heading.level) == ("heading", page, 3)
    levels = {b.text: b.level for b in document.blocks if b.kind == "heading"}
    for entry, _, depth in facts.outline:
        assert levels[entry] == depth + 2, entry  # under the cover's title


def test_a_scanned_page_is_read_by_ocr_and_its_neighbours_read(
    manual: tuple[PdfFacts, ParsedDocument], tmp_path: Path
) -> None:
    facts, document = manual
    assert document.ocr_pages == (facts.scanned_page,) and document.scanned_pages == ()
    assert document.pages == facts.pages
    assert document.title == facts.title
    read = " ".join(b.text for b in document.blocks if b.page == facts.scanned_page)
    for line in SCANNED_LINES:
        assert line in read, read
    loaded = load(facts.path, facts.path.parent)
    assert loaded.ocr_pages == (facts.scanned_page,) and loaded.pages == facts.pages
    assert "Heated rear window" in loaded.body


def test_with_ocr_off_a_scanned_page_is_listed_unread(
    manual: tuple[PdfFacts, ParsedDocument],
) -> None:
    facts, _ = manual
    document = read_pdf(facts.path.read_bytes(), ReadingLimits(ocr_pages=0))
    assert document.scanned_pages == (facts.scanned_page,) and document.ocr_pages == ()


def test_a_pdf_of_scanned_pages_only_is_refused_with_the_pages_named(tmp_path: Path) -> None:
    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    path = tmp_path / "scan.pdf"
    canvas = Canvas(str(path))
    picture = ImageReader(Image.new("L", (200, 280), 200))
    for _ in range(3):
        canvas.drawImage(picture, 0, 0, 595, 842)
        canvas.showPage()
    canvas.save()
    with pytest.raises(UnreadableDocument, match=r"pages 1–3 scanned, and OCR found no text"):
        load(path, tmp_path)


def test_the_letters_of_a_pictogram_font_are_not_read_as_words(tmp_path: Path) -> None:
    """Manuals draw their warning triangles and pointing hands from a font of pictograms whose
    glyphs sit on letter codes: read as text they gave "f Check the level" and "h DANGER"."""
    import reportlab
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen.canvas import Canvas

    vera = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"  # shipped with reportlab
    pdfmetrics.registerFont(TTFont("Pictograms", str(vera)))
    path = tmp_path / "pictograms.pdf"
    canvas = Canvas(str(path))
    for y, (glyph, text) in enumerate([("f", "Check the oil level."), ("h", "DANGER")]):
        canvas.setFont("Pictograms", 10)
        canvas.drawString(72, 700 - 20 * y, glyph)
        canvas.setFont("Helvetica", 10)
        canvas.drawString(84, 700 - 20 * y, text)
    canvas.showPage()
    canvas.save()
    # The font keeps its family's name inside the file; a pictogram font's, of the same length.
    raw = path.read_bytes()
    assert raw.count(b"BitstreamVeraSans-Roman") >= 1
    raw = raw.replace(b"BitstreamVeraSans-Roman", b"WarnSymbols-Pictograms1")
    assert [block.text for block in read_pdf(raw).blocks] == ["Check the oil level.", "DANGER"]
    plain = path.read_bytes()  # the same letters in an ordinary font are words
    assert "f Check the oil level." in _text(read_pdf(plain))


def test_a_file_that_is_not_a_pdf_is_refused_as_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4 this is not a PDF")
    with pytest.raises(UnreadableDocument, match="corrupt PDF"):
        load(path, tmp_path)


def _blank_pdf(pages: int) -> bytes:
    pdf = pdfium.PdfDocument.new()
    for _ in range(pages):
        pdf.new_page(595, 842).close()
    out = io.BytesIO()
    pdf.save(out)
    pdf.close()
    return out.getvalue()


def test_a_pdf_of_more_pages_than_the_limit_is_refused_before_a_page_is_read() -> None:
    with pytest.raises(UnreadableDocument, match=r"^6 pages, more than the limit of 5$"):
        read_pdf(_blank_pdf(6), ReadingLimits(pdf_pages=5))


def test_a_pdf_of_more_text_than_the_limit_is_refused(
    manual: tuple[PdfFacts, ParsedDocument],
) -> None:
    facts, _ = manual
    with pytest.raises(UnreadableDocument, match="more than 1,000 characters of text"):
        read_pdf(facts.path.read_bytes(), ReadingLimits(chars=1000))
