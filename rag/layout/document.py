"""Pages to blocks: the reading rules applied in order, to a whole document at once.

1. Pages with pictures and no text are noted as scanned.
2. Running headers, footers and page numbers go (`running`), from the upright pages and from
   the text set turned on them (`turns`) apart.
3. The type scale is measured (`headings`).
4. Each page is read in column order (`columns`), aligned rows becoming tables (`rows`); the
   text set turned on it (a table printed sideways) after it, in the frame where it stands
   upright.
5. Lines become headings, list items and paragraphs; a hyphenated word at a line end is
   joined (`hyphenation`); a paragraph cut by a column or page break mid-sentence goes on.
6. Tables are read with their headers (`tables`); one that continues on the next page
   without its header takes the one it had.
7. Lines the document's outline names are headings at its depth (`outline`); a table's
   footnotes go into the cells they qualify (`footnotes`); a maintenance schedule's grid of
   marks is read out item by item (`schedules`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from rag.blocks import Block, BlockKind, ParsedDocument
from rag.layout.columns import reading_order
from rag.layout.footnotes import attach_footnotes, note
from rag.layout.geometry import Line, Page, Table
from rag.layout.headings import TypeScale, label, type_scale
from rag.layout.hyphenation import join_lines, vocabulary
from rag.layout.outline import Entry, with_outline
from rag.layout.rows import in_rows, with_text_tables
from rag.layout.running import page_number_line, without_running_lines
from rag.layout.tables import (
    TableText,
    carried_over,
    continued,
    markdown_lines,
    read_table,
)

# A page with no text whose pictures cover this share of it was scanned.
SCANNED_IMAGE_SHARE = 0.3
# A heading longer than this (a bold paragraph set over several lines) is text.
MAX_HEADING_CHARS = 90
# A gap between lines wider than this share of the font size starts a new paragraph.
PARAGRAPH_GAP = 0.6
# ("*1: Except…", "**", "*:" start footnotes, not items.)
BULLET = re.compile(
    r"^([•●○◦▪▫■□◆◇►▶➢➤✓✔\u2022\u2023\u2043\u25aa\ue000-\uf8ff]|[-–—]|\*(?![\d:]|\*+[\s\d:]))\s*"
)
NUMBERED = re.compile(r"^(\d{1,2}[.)]|\(\d{1,2}\)|[a-z][.)])\s+")
SENTENCE_END = re.compile(r"[.!?:;][\"')\]]?$")
# A table of contents' or an index's line: words, a leader of dots, a page number.
LEADER = re.compile(r"(?:\.\s?|…|·|_){4,}\s*\d{1,4}\s*$")
LEADERS = re.compile(r"(?:\.\s?|…|·|_){4,}\s*\d{1,4}\b")


def scanned_pages(pages: Sequence[Page]) -> list[int]:
    return [
        p.number
        for p in pages
        if not p.lines and not p.tables and not p.turned and p.image_share >= SCANNED_IMAGE_SHARE
    ]


def _without_running_lines(pages: Sequence[Page]) -> list[Page]:
    """The pages, and the turned text on them, without running lines: turned text has its
    own edges (a landscape page set sideways has its header and page number turned too)."""
    upright = without_running_lines(pages)
    turned = iter(without_running_lines([t for page in pages for t in page.turned]))
    return [replace(page, turned=tuple(next(turned) for _ in page.turned)) for page in upright]


def read_pages(
    pages: Sequence[Page], title: str | None = None, outline: Sequence[Entry] = ()
) -> ParsedDocument:
    """The document a reader sees in `pages`, headings named by its `outline` too."""
    scanned = scanned_pages(pages)
    pages = _without_running_lines(pages)
    frames = [frame for page in pages for frame in (page, *page.turned)]
    scale = type_scale(frames)
    known = vocabulary(line.text for frame in frames for line in frame.lines)
    writer = _Writer(scale, known)
    for frame in frames:
        ordered = reading_order(frame)
        cells = in_rows(ordered)
        for item in with_text_tables(ordered):
            if isinstance(item, Table):
                writer.table(item, frame.number)
            else:
                writer.line(item, frame.number, id(item) in cells)
    blocks = attach_footnotes(with_outline(writer.finish(), outline))
    heading = next((b.text for b in blocks if b.kind == "heading"), None)
    return ParsedDocument(tuple(blocks), title or heading, len(pages), tuple(scanned))


@dataclass
class _Paragraph:
    kind: BlockKind
    lines: list[Line]
    page: int
    last_page: int
    lead: str = ""  # a label that leads it ("WARNING")

    @property
    def last(self) -> Line:
        return self.lines[-1]


@dataclass
class _Writer:
    scale: TypeScale
    known: set[str]
    blocks: list[Block] = field(default_factory=list)
    open: _Paragraph | None = None
    heading: list[Line] = field(default_factory=list)
    heading_page: int = 0
    label: str = ""
    last_table: TableText | None = None
    last_table_block: int | None = None  # where the last table's block is in `blocks`
    last_was_table: bool = False

    def line(self, line: Line, page: int, in_row: bool = False) -> None:
        text = line.text.strip()
        if not text or _noise(text):
            return
        level = None if in_row else self.scale.level(line)
        if level is not None:
            if self.heading and self._same_heading(line, level):
                self.heading.append(line)
                return
            self._close()
            self.heading, self.heading_page = [line], page
            return
        if self.heading:
            self._close_heading()
        if label(line) and not in_row:
            self._close_paragraph()
            self.label = text.rstrip(":")
            return
        marker = BULLET.match(text) or NUMBERED.match(text)
        if self.open and not marker and not note(text) and self._continues(line, page):
            self.open.lines.append(line)
            self.open.last_page = page
            self.last_was_table = False
            return
        self._close_paragraph()
        self.open = _Paragraph("list" if marker else "text", [line], page, page, self.label)
        self.label = ""
        self.last_was_table = False

    def table(self, table: Table, page: int) -> None:
        self._close()
        read = read_table(table)
        if isinstance(read, str):
            if read and not _noise(read) and len(LEADERS.findall(read)) < 2:
                self._emit("text", [read], page)
            return
        read = TableText(read.header, tuple(r for r in read.rows if not _noise_row(r)))
        if not read.rows:
            return
        if self.last_was_table or not self.blocks or self._table_starts_page(page):
            read = self._carry_over(read, page)
            if not read.rows:
                return
            read = continued(read, self.last_table)
        self.last_table = read
        self._emit("table", markdown_lines(read), page)
        self.last_table_block = len(self.blocks) - 1
        self.last_was_table = True

    def _carry_over(self, read: TableText, page: int) -> TableText:
        """`read` without the end of the last table's last row that it opens with, if it
        does: joined onto that row, whose block now ends on this page."""
        at, previous = self.last_table_block, self.last_table
        if previous is None or at is None or at >= len(self.blocks):
            return read
        block = self.blocks[at]
        if page <= (block.page_end or block.page or 0):
            return read  # no page break between them: two tables, side by side or one under
        carried = carried_over(read, previous)
        if carried is None:
            return read
        self.last_table, read = carried
        self.blocks[at] = replace(
            block, lines=tuple(markdown_lines(self.last_table)), page_end=_end(block.page, page)
        )
        return read

    def _table_starts_page(self, page: int) -> bool:
        """No text was read on this page before the table (it may continue one)."""
        return bool(self.blocks) and (self.blocks[-1].last_page or 0) < page

    def finish(self) -> list[Block]:
        self._close()
        return self.blocks

    # --- deciding -----------------------------------------------------------------------

    def _same_heading(self, line: Line, level: int) -> bool:
        """A heading set over two lines: same type, right under the first."""
        first = self.heading[-1]
        return (
            len(self.heading) < 3
            and self.scale.level(first) == level
            and abs(line.size - first.size) < 0.3
            and 0 <= line.top - first.bottom <= PARAGRAPH_GAP * line.size
        )

    def _continues(self, line: Line, page: int) -> bool:
        """Whether the line goes on with the open paragraph."""
        open_ = self.open
        assert open_ is not None
        last = open_.last
        if abs(line.size - last.size) > 0.2 * last.size:
            return False
        gap = line.top - last.bottom
        below = page == open_.last_page and -0.3 * line.size <= gap <= PARAGRAPH_GAP * line.size
        left = min(x.x0 for x in open_.lines)
        aligned = left - line.size <= line.x0 <= left + 3 * line.size
        if below and aligned:
            return True
        # Cut mid-sentence by a column or page break: it goes on where the next line starts.
        first = line.text.strip()[:1]
        return not SENTENCE_END.search(last.text.strip()) and first.islower()

    # --- writing ------------------------------------------------------------------------

    def _close(self) -> None:
        self._close_paragraph()
        self._close_heading()

    def _close_heading(self) -> None:
        if not self.heading:
            return
        lines, self.heading = self.heading, []
        self.last_was_table = False
        text = join_lines([line.text for line in lines], self.known)
        if len(text) > MAX_HEADING_CHARS or (SENTENCE_END.search(text) and len(lines) > 1):
            self._emit("text", [_escaped(text)], self.heading_page)  # a bold paragraph
            return
        level = self.scale.level(lines[0]) or 1
        self.blocks.append(Block("heading", (text,), self.heading_page, level=level))

    def _close_paragraph(self) -> None:
        paragraph, self.open = self.open, None
        if paragraph is None:
            return
        text = join_lines([line.text for line in paragraph.lines], self.known)
        if paragraph.kind == "list":
            text = _as_item(text)
        if paragraph.lead:
            text = f"{paragraph.lead}: {text}"
        kind: BlockKind = paragraph.kind
        if kind == "list" and self.blocks and self.blocks[-1].kind == "list":
            previous = self.blocks.pop()  # items of one list stay one block
            self.blocks.append(
                Block(
                    "list",
                    (*previous.lines, text),
                    previous.page,
                    _end(previous.page, paragraph.last_page),
                )
            )
            return
        self._emit(kind, [text], paragraph.page, paragraph.last_page)

    def _emit(self, kind: BlockKind, lines: list[str], page: int, last: int | None = None) -> None:
        if kind == "text":
            lines = [_escaped(line) for line in lines]
        self.blocks.append(Block(kind, tuple(lines), page, _end(page, last)))


def _end(page: int | None, last: int | None) -> int | None:
    return last if last is not None and last != page else None


def _escaped(text: str) -> str:
    """Prose that would read as Markdown structure ("# - Kms or months…") kept prose."""
    return f"\\{text}" if text[:1] in "#|" else text


def _as_item(text: str) -> str:
    """A list item as Markdown: "- text", or "1. text" for a numbered one."""
    numbered = NUMBERED.match(text)
    if numbered:
        mark = numbered.group(1).strip("()").rstrip(".)")
        return f"{mark}. {text[numbered.end() :]}" if mark.isdigit() else f"- {text}"
    return f"- {BULLET.sub('', text, count=1)}"


def _noise_row(row: Sequence[str]) -> bool:
    """A table row of contents lines and bare numbers (a contents page set as a grid)."""
    filled = [cell for cell in row if cell]
    return bool(filled) and all(_noise(cell) or cell.isdigit() for cell in filled)


def _noise(text: str) -> bool:
    """A figure's callout number, a stray mark, a contents line: not text to answer from."""
    return (
        (len(text) <= 3 and not any(c.isalpha() for c in text))
        or page_number_line(text)
        or bool(LEADER.search(text))
    )
