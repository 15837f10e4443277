"""Word documents read into the one document model: headings with their levels, lists, pipe
tables that keep their merged cells' meaning, note boxes as text, and pages."""

from __future__ import annotations

import io
import re
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from docx.enum.section import WD_SECTION
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from rag.blocks import Block, ParsedDocument
from rag.chunking import chunk_blocks
from rag.documents import load
from rag.readers import READERS, SUFFIXES
from rag.readers.docx import read_docx
from rag.readers.errors import UnreadableDocument
from rag.readers.limits import ReadingLimits
from tests.utils.docx_packages import (
    CONTINUED,
    SECTION_END,
    minimal_package,
    paragraph,
    table,
    zip_bomb,
)
from tests.utils.manual_docx import DocxFacts, build


@pytest.fixture(scope="module")
def manual(tmp_path_factory: pytest.TempPathFactory) -> DocxFacts:
    return build(tmp_path_factory.mktemp("docx") / "vela.docx")


@pytest.fixture(scope="module")
def parsed(manual: DocxFacts) -> ParsedDocument:
    return read_docx(manual.path.read_bytes())


def _kind(parsed: ParsedDocument, kind: str) -> list[Block]:
    return [b for b in parsed.blocks if b.kind == kind]


def _table_with(parsed: ParsedDocument, text: str) -> Block:
    return next(b for b in _kind(parsed, "table") if text in b.text)


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _word(*paragraphs: str) -> bytes:
    """A Word file whose body is these paragraphs, written as WordprocessingML."""
    document = docx.Document()
    body = document.element.body
    for p in body.findall(f"{{{body.nsmap['w']}}}p"):
        body.remove(p)
    section = body[-1]
    for xml in paragraphs:
        section.addprevious(parse_xml(f"<w:p {nsdecls('w')}>{xml}</w:p>"))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _run(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>'


def test_docx_files_are_read_by_the_word_reader() -> None:
    assert READERS[SUFFIXES[".docx"]] is read_docx


def test_the_title_comes_from_the_core_properties(
    manual: DocxFacts, parsed: ParsedDocument
) -> None:
    assert parsed.title == manual.title


def test_without_a_core_title_the_first_title_paragraph_is_the_title() -> None:
    document = docx.Document()
    document.add_paragraph("Vela Quick Start", style="Title")
    document.add_heading("Charging", level=1)
    out = io.BytesIO()
    document.save(out)
    assert read_docx(out.getvalue()).title == "Vela Quick Start"


def test_a_file_without_core_properties_takes_the_title_of_its_first_title_paragraph() -> None:
    document = docx.Document()
    document.add_paragraph("Vela Quick Start", style="Title")
    out = io.BytesIO()
    document.save(out)
    raw = _replace(out.getvalue(), "docProps/core.xml", None)
    assert read_docx(raw).title == "Vela Quick Start"


def test_headings_keep_their_levels_in_document_order(
    manual: DocxFacts, parsed: ParsedDocument
) -> None:
    assert [(b.level, b.text) for b in _kind(parsed, "heading")] == list(manual.headings)


def test_a_custom_style_with_an_outline_level_is_a_heading(
    manual: DocxFacts, parsed: ParsedDocument
) -> None:
    level, text = manual.custom_heading
    assert Block("heading", (text,), manual.section_pages["Maintenance"], level=level) in (
        parsed.blocks
    )


def test_a_short_bold_line_followed_by_text_stays_text(
    manual: DocxFacts, parsed: ParsedDocument
) -> None:
    bold = next(b for b in parsed.blocks if manual.bold_line in b.text)
    assert (bold.kind, bold.lines) == ("text", (manual.bold_line,))


def _sized(text: str, half_points: int, bold: bool = False) -> str:
    weight = "<w:b/>" if bold else ""
    return (
        f'<w:r><w:rPr>{weight}<w:sz w:val="{half_points}"/></w:rPr>'
        f'<w:t xml:space="preserve">{text}</w:t></w:r>'
    )


def test_a_file_without_heading_styles_takes_its_headings_from_their_type() -> None:
    body = "Check the level with the dipstick when the engine is cold and the car is level."
    raw = _word(
        _sized("Maintenance", 38),
        _sized(body, 18),
        _sized("Engine Oil", 18, bold=True),
        _sized(body, 18),
        _sized("WARNING", 18, bold=True),
        _sized(body, 18),
        _sized("If it comes on while riding:", 18, bold=True),
        _sized(body, 18),
    )
    headings = [(b.level, b.text) for b in read_docx(raw).blocks if b.kind == "heading"]
    assert headings == [(1, "Maintenance"), (2, "Engine Oil")]


def test_bulleted_items_form_one_list_with_nested_items_indented(
    manual: DocxFacts, parsed: ParsedDocument
) -> None:
    bullets = next(b for b in _kind(parsed, "list") if manual.bullets[0][1] in b.text)
    assert bullets.lines == tuple(f"{'  ' * level}- {text}" for level, text in manual.bullets)


def test_numbered_items_are_numbered_in_order(manual: DocxFacts, parsed: ParsedDocument) -> None:
    steps = next(b for b in _kind(parsed, "list") if manual.steps[0] in b.text)
    assert steps.lines == tuple(f"{n}. {step}" for n, step in enumerate(manual.steps, start=1))


def test_numbering_set_on_the_paragraph_decides_bullet_or_number() -> None:
    styles = docx.Document().styles
    numbers = styles["List Number"].element.pPr.numPr.numId.val
    bullets = styles["List Bullet"].element.pPr.numPr.numId.val

    def item(num_id: int, level: int, text: str) -> str:
        return (
            f'<w:pPr><w:pStyle w:val="ListParagraph"/><w:numPr><w:ilvl w:val="{level}"/>'
            f'<w:numId w:val="{num_id}"/></w:numPr></w:pPr>{_run(text)}'
        )

    parsed = read_docx(
        _word(
            item(numbers, 0, "Open the bonnet."),
            item(numbers, 0, "Find the dipstick."),
            _run("Wipe it clean before you read it."),
            item(numbers, 0, "Read the level."),
            item(bullets, 0, "Between MIN and MAX is correct."),
            '<w:pPr><w:pStyle w:val="ListParagraph"/></w:pPr>' + _run("Not an item."),
        )
    )
    assert [(b.kind, b.lines) for b in parsed.blocks] == [
        ("list", ("1. Open the bonnet.", "2. Find the dipstick.")),
        ("text", ("Wipe it clean before you read it.",)),
        # Word goes on counting the same list after the paragraph between.
        ("list", ("3. Read the level.", "- Between MIN and MAX is correct.")),
        ("text", ("Not an item.",)),
    ]


def test_a_header_cell_merged_over_two_named_columns_heads_each_of_them(
    manual: DocxFacts, parsed: ParsedDocument
) -> None:
    label, merged, first, second = manual.spec_header
    table = _table_with(parsed, merged)
    assert table.lines[:2] == (
        _row(label, f"{merged} {first}", f"{merged} {second}"),
        "|---|---|---|",
    )


def test_a_merged_header_cell_names_both_columns_once(
    manual: DocxFacts, parsed: ParsedDocument
) -> None:
    item, interval = manual.schedule_header
    table = _table_with(parsed, interval)
    assert table.lines == (
        _row(item, interval, ""),
        "|---|---|---|",
        *(_row(*row) for row in manual.schedule_rows),
    )


def test_a_value_merged_across_two_columns_applies_to_both(
    manual: DocxFacts, parsed: ParsedDocument
) -> None:
    gearbox = next(row for row in manual.spec_rows if row[0] == "Gearbox")
    assert gearbox[1] == gearbox[2]
    assert _row(*gearbox) in _table_with(parsed, "Gearbox").lines


def test_a_label_merged_downwards_labels_every_row_it_covers(
    manual: DocxFacts, parsed: ParsedDocument
) -> None:
    covered = [row for row in manual.spec_rows if row[0] == "Service interval"]
    assert len(covered) == 2
    lines = _table_with(parsed, "Service interval").lines
    assert [_row(*row) for row in covered] == [line for line in lines if "Service interval" in line]


def test_table_cells_are_one_line_with_no_pipe_of_their_own(
    manual: DocxFacts, parsed: ParsedDocument
) -> None:
    table = _table_with(parsed, "Maximum power")
    assert list(table.lines[2:]) == [
        _row(label.replace("|", "/"), *values) for label, *values in manual.spec_rows
    ]
    assert all(line.count("|") == 4 for line in table.lines)


def test_a_label_merged_across_columns_and_down_is_each_row_s_label_once() -> None:
    """As a converter writes a specifications table: "Tire size" over two grid columns and
    down over the front and rear rows."""
    parsed = read_docx(
        minimal_package(
            table(
                [("Service data", 3), "Value"],
                [("Tire size", 2), "Front", "80/90-17 44P"],
                [(CONTINUED, 2), "Rear", "80/90-17 50P"],
                [("Tire type", 3), "Bias-ply, tube"],
            )
        )
    )
    assert parsed.blocks[0].lines[2:] == (
        _row("Tire size", "", "Front", "80/90-17 44P"),
        _row("Tire size", "", "Rear", "80/90-17 50P"),
        _row("Tire type", "", "", "Bias-ply, tube"),
    )


def test_a_page_a_converter_set_as_a_table_of_lines_reads_each_line_once() -> None:
    parsed = read_docx(
        minimal_package(
            table(
                ["Safety", "Practice"],
                ["Follow these guidelines:", ""],
                [CONTINUED, "Even if you have ridden"],
                ["Perform all inspections", CONTINUED],
                [CONTINUED, "practise in a safe area"],
            )
        )
    )
    text = parsed.blocks[0].text
    for line in ("Follow these guidelines:", "Even if you have ridden", "Perform all inspections"):
        assert text.count(line) == 1


def test_a_page_set_as_a_table_of_its_lines_is_read_as_its_columns_of_text() -> None:
    left = [
        "Follow these guidelines",
        "to enhance your safety:",
        "inspect the vehicle",
        "before every ride.",
    ]
    right = [
        "Even if you have ridden",
        "other vehicles, practise",
        "in a safe area to learn",
        "how this vehicle handles.",
    ]
    rows = [[left[0], ""]]
    for n in range(4):
        rows += [[CONTINUED, right[n]], [left[n + 1] if n < 3 else "", CONTINUED]]
    parsed = read_docx(minimal_package(table(*rows)))
    assert [(b.kind, b.lines) for b in parsed.blocks] == [
        ("text", tuple(left)),
        ("text", tuple(right)),
    ]


PAGE_TEXT = "Check the oil level with the engine off and cold. Park on level ground first."


def _converted(*numbers: str, sections: bool) -> bytes:
    """Pages as a PDF-to-Word converter ends them: each page's text, then its printed number
    and, with `sections`, a section that starts the next page."""
    body = []
    for n, number in enumerate(numbers):
        body += [
            paragraph(f"Page {n}: {PAGE_TEXT}"),
            paragraph(number),
        ]
        if sections and n < len(numbers) - 1:
            body.append(SECTION_END)
    return minimal_package(*body)


def test_printed_page_numbers_are_not_content() -> None:
    parsed = read_docx(_converted("3", "4", "5", sections=True))
    assert [(b.text, b.page) for b in parsed.blocks] == [
        (f"Page {n}: {PAGE_TEXT}", n + 1) for n in range(3)
    ]
    assert parsed.pages == 3


def test_a_running_line_with_the_page_s_number_is_not_content() -> None:
    parsed = read_docx(_converted("Continued 21", "Continued 23", "Continued 25", sections=True))
    assert not any("Continued" in b.text for b in parsed.blocks)


def test_a_word_file_without_page_breaks_takes_its_pages_from_its_printed_numbers() -> None:
    parsed = read_docx(_converted("3", "4", "5", sections=False))
    assert [(b.text, b.page) for b in parsed.blocks] == [
        (f"Page {n}: {PAGE_TEXT}", n + 3) for n in range(3)
    ]
    assert parsed.pages == 5


def test_a_one_cell_table_is_a_note_in_the_text(manual: DocxFacts, parsed: ParsedDocument) -> None:
    label, sentence = manual.note
    note = next(b for b in parsed.blocks if sentence in b.text)
    assert (note.kind, note.lines) == ("text", (f"{label}: {sentence}",))


def test_blocks_carry_the_page_they_start_on(manual: DocxFacts, parsed: ParsedDocument) -> None:
    assert parsed.pages == manual.pages
    for title, page in manual.section_pages.items():
        assert Block("heading", (title,), page, level=1) in parsed.blocks
    assert _table_with(parsed, "Maximum power").page == manual.spec_page
    assert _table_with(parsed, manual.schedule_header[1]).page == manual.schedule_page
    assert all(b.page_end is None for b in parsed.blocks)


def test_a_document_without_page_breaks_has_no_pages() -> None:
    parsed = read_docx(_word(_run("One page."), _run("Still the same page.")))
    assert parsed.pages is None
    assert [b.page for b in parsed.blocks] == [None, None]


def test_pages_word_laid_out_are_counted_once_each() -> None:
    """Word marks where it last broke pages; a hard break is marked again at the next
    page's first text, so only the marks are counted when there are any."""
    rendered = "<w:r><w:lastRenderedPageBreak/></w:r>"
    parsed = read_docx(
        _word(
            _run("Page one."),
            _run("Last words of page one.") + '<w:r><w:br w:type="page"/></w:r>',
            rendered + _run("Page two starts here."),
            _run("A paragraph that runs over") + rendered + _run(" onto page three."),
            _run("Still page three."),
        )
    )
    pages = [(b.text, b.page, b.page_end) for b in parsed.blocks]
    assert pages == [
        ("Page one.", 1, None),
        ("Last words of page one.", 1, None),
        ("Page two starts here.", 2, None),
        ("A paragraph that runs over onto page three.", 2, 3),
        ("Still page three.", 3, None),
    ]
    assert parsed.pages == 3


def test_a_section_that_starts_a_new_page_starts_one() -> None:
    document = docx.Document()
    document.add_paragraph("Section one.")
    document.add_section(WD_SECTION.CONTINUOUS)
    document.add_paragraph("Section two, on the same page.")
    document.add_section(WD_SECTION.NEW_PAGE)
    document.add_paragraph("Section three, on a page of its own.")
    out = io.BytesIO()
    document.save(out)
    parsed = read_docx(out.getvalue())
    assert [b.page for b in parsed.blocks] == [1, 1, 2]
    assert parsed.pages == 2


def test_text_deleted_hidden_or_in_field_codes_is_not_read() -> None:
    parsed = read_docx(
        _word(
            _run("Check the ")
            + '<w:del w:id="1" w:author="x"><w:r><w:delText>old </w:delText></w:r></w:del>'
            + '<w:ins w:id="2" w:author="x">'
            + _run("new ")
            + "</w:ins>"
            + "<w:r><w:rPr><w:vanish/></w:rPr><w:t>secret </w:t></w:r>"
            + '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
            + "<w:r><w:instrText> PAGEREF _Ref1 </w:instrText></w:r>"
            + '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
            + _run("fuse box")
            + '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
        )
    )
    assert parsed.blocks[0].text == "Check the new fuse box"


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda raw: b"this is not a zip", "not a zip"),
        (lambda raw: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + raw, "password-protected"),
        (lambda raw: _replace(raw, "word/document.xml", b"<w:document><w:body>"), "bad XML"),
    ],
    ids=["not a zip", "an encrypted or old Word file", "broken XML"],
)
def test_a_corrupt_file_is_unreadable_with_a_reason(
    damage: Callable[[bytes], bytes], reason: str, manual: DocxFacts
) -> None:
    with pytest.raises(UnreadableDocument, match=reason):
        read_docx(damage(manual.path.read_bytes()))


def _replace(raw: bytes, name: str, data: bytes | None) -> bytes:
    """The package with one part's bytes replaced, or the part (and what names it) left out."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == name:
                if data is None:
                    continue
                content = data
            elif data is None and item.filename.endswith((".rels", "[Content_Types].xml")):
                content = re.sub(
                    rb'<[^<>]*"/?' + re.escape(name.encode()) + rb'"[^<>]*/>', b"", content
                )
            target.writestr(item, content)
    return out.getvalue()


def test_a_loaded_word_file_chunks_with_heading_paths_and_pages(
    manual: DocxFacts, tmp_path: Path
) -> None:
    path = tmp_path / "specs" / "vela.docx"
    path.parent.mkdir()
    path.write_bytes(manual.path.read_bytes())
    document = load(path, tmp_path, ("specs",))
    assert (document.source, document.title, document.domain) == (
        "specs/vela.docx",
        manual.title,
        "specs",
    )
    assert document.pages == manual.pages
    chunks = chunk_blocks(document.blocks)
    table = next(c for c in chunks if "Maximum power" in c.text)
    assert (table.heading_path, table.page) == (manual.spec_path, manual.spec_page)
    steps = next(c for c in chunks if manual.steps[0] in c.text)
    assert (steps.heading_path, steps.page) == (("Getting started", "Starting the engine"), 1)
    schedule = next(c for c in chunks if manual.schedule_rows[0][0] in c.text)
    assert (schedule.heading_path, schedule.page) == (
        ("Maintenance", manual.custom_heading[1]),
        manual.schedule_page,
    )


def test_a_package_without_a_numbering_part_is_read() -> None:
    """As some generators write a .docx: its document, content types and one relationship."""
    raw = minimal_package(paragraph("Press the START button."), paragraph("Wait for READY."))
    assert "numbering" not in str(zipfile.ZipFile(io.BytesIO(raw)).namelist())
    parsed = read_docx(raw)
    assert [b.text for b in parsed.blocks] == ["Press the START button.", "Wait for READY."]


def test_a_zip_bomb_is_refused_before_a_byte_of_it_is_unpacked() -> None:
    bomb = zip_bomb(100)
    started = time.perf_counter()
    with pytest.raises(UnreadableDocument, match=r"unpacks to 100 MB .* \(a zip bomb\?\)"):
        read_docx(bomb)
    assert time.perf_counter() - started < 0.1  # unpacking it takes seconds


def test_a_file_that_holds_more_text_than_the_limit_is_refused(manual: DocxFacts) -> None:
    with pytest.raises(UnreadableDocument, match="more than 100 characters of text"):
        read_docx(manual.path.read_bytes(), ReadingLimits(chars=100))
