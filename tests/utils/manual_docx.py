"""A small Word owner's guide written with python-docx, with what real Word manuals have:
a title, three levels of headings (one set by a custom style's outline level), bulleted,
nested and numbered lists, a table with a two-row header under a merged cell, a value merged
across columns and a label merged downwards, a header cell merged over two columns, a
one-cell note box, a bold line that is not a heading, and explicit page breaks.

`build` writes it and returns `DocxFacts`: what a reader should find, and where.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import docx
from docx.document import Document as WordDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

TITLE = "Corvid Vela Owner's Guide"


@dataclass(frozen=True)
class DocxFacts:
    path: Path
    title: str
    pages: int
    headings: tuple[tuple[int, str], ...]  # (level, text) in document order
    custom_heading: tuple[int, str]  # set by a custom style's outline level, not "Heading N"
    bullets: tuple[tuple[int, str], ...]  # (nesting level, text), one list
    steps: tuple[str, ...]  # a numbered list
    bold_line: str  # bold, short, followed by text: still text
    # The engine table: its two header rows, and each body row as the grid shows it.
    spec_path: tuple[str, ...]
    spec_page: int
    spec_header: tuple[str, str, str, str]  # label, merged cell, its two sub-columns
    spec_rows: tuple[tuple[str, str, str], ...]
    pipe_label: str  # a cell with "|" in it
    # The maintenance table: "Item" and one header cell merged over two columns.
    schedule_header: tuple[str, str]
    schedule_rows: tuple[tuple[str, str, str], ...]
    schedule_page: int
    note: tuple[str, str]  # a one-cell table: its label and its sentence
    section_pages: dict[str, int]  # first page of each top-level section


STEPS = ("Press the brake pedal.", "Press the START button.", "Wait for the READY light.")
BULLETS = (
    (0, "Press the lock button once to lock all doors."),
    (0, "Press it twice to fold the door mirrors."),
    (1, "The mirrors unfold when you unlock."),
    (0, "Hold the boot button to open the tailgate."),
)
SPEC_HEADER = ("Specification", "Engine version", "1.2 Petrol", "1.5 Diesel")
PIPE_LABEL = "Tyre pressure front|rear"
SPEC_ROWS = (
    ("Maximum power", "62 kW (84 PS)", "85 kW (116 PS)"),
    ("Gearbox", "6-speed manual", "6-speed manual"),
    ("Service interval", "15,000 km", "20,000 km"),
    ("Service interval", "12 months", "12 months"),
    (PIPE_LABEL, "2.3 / 2.1 bar", "2.5 / 2.3 bar"),
)
SCHEDULE_HEADER = ("Item", "Interval")
SCHEDULE_ROWS = (
    ("Engine oil and filter", "15,000 km", "12 months"),
    ("Brake fluid", "40,000 km", "24 months"),
)
NOTE = ("NOTE", "Use only fuel that meets EN 228 (petrol) or EN 590 (diesel).")
BOLD_LINE = "Before a long journey"


def build(path: Path) -> DocxFacts:
    """Write the guide to `path`."""
    document = docx.Document()
    document.core_properties.title = TITLE
    section_style = document.styles.add_style("Manual Section", WD_STYLE_TYPE.PARAGRAPH)
    section_style.base_style = document.styles["Normal"]
    section_style.font.bold = True
    outline = OxmlElement("w:outlineLvl")
    outline.set(qn("w:val"), "1")
    section_style.element.get_or_add_pPr().append(outline)

    document.add_paragraph(TITLE, style="Title")
    document.add_paragraph("Read this guide before you drive your Vela for the first time.")

    document.add_heading("Getting started", level=1)
    document.add_heading("Keys and locking", level=2)
    document.add_paragraph("The remote key locks and unlocks the car from up to 20 metres.")
    for level, text in BULLETS:
        document.add_paragraph(text, style="List Bullet 2" if level else "List Bullet")
    document.add_heading("Starting the engine", level=2)
    for step in STEPS:
        document.add_paragraph(step, style="List Number")
    document.add_paragraph("The engine starts only when the key is inside the car.")
    document.add_paragraph("")  # an empty paragraph, as manuals have between sections
    document.add_page_break()

    document.add_heading("Technical data", level=1)
    document.add_heading("Engines", level=2)
    document.add_heading("Engine figures", level=3)
    document.add_paragraph("Figures are measured to ECE R85.")
    _spec_table(document)
    note = document.add_table(rows=1, cols=1)
    note.style = "Table Grid"
    cell = note.cell(0, 0)
    cell.text = NOTE[0]
    cell.add_paragraph(NOTE[1])
    document.add_page_break()

    document.add_heading("Maintenance", level=1)
    document.add_paragraph("Service intervals", style="Manual Section")
    _schedule_table(document)
    document.add_paragraph().add_run(BOLD_LINE).bold = True
    document.add_paragraph("Check the tyre pressures and the oil level when the engine is cold.")
    document.save(str(path))

    return DocxFacts(
        path=path,
        title=TITLE,
        pages=3,
        headings=(
            (1, TITLE),
            (1, "Getting started"),
            (2, "Keys and locking"),
            (2, "Starting the engine"),
            (1, "Technical data"),
            (2, "Engines"),
            (3, "Engine figures"),
            (1, "Maintenance"),
            (2, "Service intervals"),
        ),
        custom_heading=(2, "Service intervals"),
        bullets=BULLETS,
        steps=STEPS,
        bold_line=BOLD_LINE,
        spec_path=("Technical data", "Engines", "Engine figures"),
        spec_page=2,
        spec_header=SPEC_HEADER,
        spec_rows=SPEC_ROWS,
        pipe_label=PIPE_LABEL,
        schedule_header=SCHEDULE_HEADER,
        schedule_rows=SCHEDULE_ROWS,
        schedule_page=3,
        note=NOTE,
        section_pages={"Getting started": 1, "Technical data": 2, "Maintenance": 3},
    )


def _spec_table(document: WordDocument) -> None:
    """Rows 0–1: "Specification" merged downwards beside "Engine version" merged across the
    two engine columns, which the second row names. "Gearbox" has one value across both
    engines; "Service interval" is merged down over two rows. One cell has two paragraphs."""
    table = document.add_table(rows=2 + len(SPEC_ROWS), cols=3)
    table.style = "Table Grid"
    label, merged, petrol, diesel = SPEC_HEADER
    table.cell(0, 0).merge(table.cell(1, 0)).text = label
    table.cell(0, 1).merge(table.cell(0, 2)).text = merged
    table.cell(1, 1).text, table.cell(1, 2).text = petrol, diesel
    for r, (name, first, second) in enumerate(SPEC_ROWS, start=2):
        table.cell(r, 0).text = name
        if name == "Gearbox":
            table.cell(r, 1).merge(table.cell(r, 2)).text = first
        else:
            table.cell(r, 1).text, table.cell(r, 2).text = first, second
    interval = [r for r, row in enumerate(SPEC_ROWS, start=2) if row[0] == "Service interval"]
    table.cell(interval[0], 0).merge(table.cell(interval[-1], 0)).text = "Service interval"
    power, ps = SPEC_ROWS[0][1].split(" (")
    cell = table.cell(2, 1)
    cell.text = power
    cell.add_paragraph(f"({ps}")


def _schedule_table(document: WordDocument) -> None:
    table = document.add_table(rows=1 + len(SCHEDULE_ROWS), cols=3)
    table.style = "Table Grid"
    table.cell(0, 0).text = SCHEDULE_HEADER[0]
    table.cell(0, 1).merge(table.cell(0, 2)).text = SCHEDULE_HEADER[1]
    for r, row in enumerate(SCHEDULE_ROWS, start=1):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
