"""Word (.docx), read with python-docx: the body's paragraphs and tables in document order.

A paragraph's style says what it is: "Title" and "Heading N" (or a custom style with an
outline level) make headings (a file whose styles mark none, as a converter's, takes them
from their type: `rag.readers.word_headings`), "List …" styles and numbering make list items;
tables become pipe tables with each merged cell read once (`rag.readers.word_tables`), a
one-column table (a note box) its text. Pages come from the page breaks Word saved: where it
last laid out each page when the file has those, else the explicit ones and the sections that
start a new page; a file with none of them takes its pages from its printed page numbers.
Printed page numbers, running lines ("Continued 21") and the repeats of running headers are
not content (`rag.layout.page_numbers`, `rag.layout.running_text`,
`rag.layout.running_titles`).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from rag.blocks import Block, BlockKind, ParsedDocument
from rag.layout.page_numbers import paged_by_numbers
from rag.layout.running_text import without_running_lines
from rag.layout.running_titles import without_running_titles
from rag.readers.errors import UnreadableDocument
from rag.readers.limits import (
    DEFAULT_LIMITS,
    ReadingLimits,
    check_chars,
    check_unpacking,
    zip_members,
)
from rag.readers.word_headings import headings_by_type
from rag.readers.word_tables import Slot, table_parts

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # a compound file: an encrypted .docx or a Word 97 .doc
HEADING_STYLE = re.compile(r"^heading (\d)$")
LIST_STYLE = re.compile(r"^list(?: (?:bullet|number))?(?: (\d))?$")
SKIPPED_STYLE = re.compile(r"^toc(?: \d| heading)$")  # a table of contents repeats headings
BODY_TEXT_OUTLINE = 9
# Containers whose children are body content (content controls, custom XML, tracked moves).
TRANSPARENT = {f"{W}sdt", f"{W}sdtContent", f"{W}customXml", f"{W}ins", f"{W}moveTo"}
# Inside a paragraph: never text of its own (drawings and text boxes hold other paragraphs).
OPAQUE = {
    f"{W}drawing",
    f"{W}pict",
    f"{W}object",
    f"{W}del",
    f"{W}moveFrom",
    f"{W}instrText",
    f"{W}delText",
    f"{W}pPr",
    f"{W}rPr",
    f"{W}sdtPr",
    "{http://schemas.openxmlformats.org/markup-compatibility/2006}AlternateContent",
}
PAGE_START_SECTIONS = {"nextPage", "oddPage", "evenPage"}
BLOCK_TAGS = (f"{W}p", f"{W}tbl")

BREAK = None  # a page break among a paragraph's text pieces
Piece = str | None


def read_docx(raw: bytes, limits: ReadingLimits = DEFAULT_LIMITS) -> ParsedDocument:
    document = _open(raw, limits)
    body = document.element.body
    rendered = next(body.iter(f"{W}lastRenderedPageBreak"), None) is not None
    reader = _BodyReader(
        _StyleSheet(document.styles.element),
        _Numbering(_numbering(document)),
        rendered,
        _section_ends(body),
    )
    for element in _content(body):
        if element.tag == f"{W}p":
            reader.paragraph(element)
        else:
            reader.table(element)
    blocks = headings_by_type(
        without_running_titles(without_running_lines(paged_by_numbers(reader.finish())))
    )
    check_chars(sum(len(line) for block in blocks for line in block.lines), limits)
    pages = reader.pages or max((b.last_page or 0 for b in blocks), default=0) or None
    return ParsedDocument(tuple(blocks), title=_core_title(document) or reader.title, pages=pages)


def _open(raw: bytes, limits: ReadingLimits) -> Any:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import ErrorTypes, XMLSyntaxError

    if raw.startswith(OLE_MAGIC):
        raise UnreadableDocument(
            "not a .docx: a password-protected document or an old Word .doc (save it as .docx)"
        )
    try:
        check_unpacking(zip_members(raw), limits)  # before a byte of it is unpacked
        return docx.Document(io.BytesIO(raw))
    except (PackageNotFoundError, zipfile.BadZipFile) as exc:
        raise UnreadableDocument(f"corrupt .docx: not a zip package ({exc})") from exc
    except XMLSyntaxError as exc:
        if exc.code == ErrorTypes.ERR_NO_MEMORY:  # libxml2's malloc failed: not the file's fault
            raise MemoryError(f"parsing its XML: {exc}") from exc
        raise UnreadableDocument(f"corrupt .docx: bad XML ({exc})") from exc
    except (KeyError, ValueError) as exc:
        raise UnreadableDocument(f"corrupt .docx: {exc}") from exc


def _numbering(document: Any) -> Any:
    """The numbering definitions, empty for a file without them (a minimal package: python-docx
    would make up a part for it, and cannot)."""
    from docx.opc.constants import RELATIONSHIP_TYPE
    from lxml import etree

    try:
        return document.part.part_related_by(RELATIONSHIP_TYPE.NUMBERING).element
    except KeyError:
        return etree.Element(f"{W}numbering")


def _core_title(document: Any) -> str | None:
    """The title in the file's core properties, when it has them (python-docx makes up
    "Word Document" for a file without)."""
    from docx.opc.constants import RELATIONSHIP_TYPE

    rels = document.part.package.rels.values()
    if all(rel.reltype != RELATIONSHIP_TYPE.CORE_PROPERTIES for rel in rels):
        return None
    return (document.core_properties.title or "").strip() or None


def _content(container: Any, tags: Sequence[str] = BLOCK_TAGS) -> Iterator[Any]:
    """The children of a body, table, row or cell with these tags, in document order, taken
    out of the containers that only wrap them."""
    for child in container:
        if child.tag in tags:
            yield child
        elif child.tag in TRANSPARENT:
            yield from _content(child, tags)


def _val(element: Any, path: str) -> str | None:
    found = element.find(path) if element is not None else None
    return None if found is None else found.get(f"{W}val", "")


def _int(text: str | None, default: int) -> int:
    """A number attribute, or the default when it is missing or not a number."""
    return int(text) if text and text.isdigit() else default


def _section_ends(body: Any) -> list[Any]:
    """The paragraphs that end a section after which the next section starts a new page."""
    ends = [p for p in body.iter(f"{W}p") if p.find(f"{W}pPr/{W}sectPr") is not None]
    properties = [p.find(f"{W}pPr/{W}sectPr") for p in ends]
    # A section's properties, which come at its end, say how that section starts.
    following = [*properties[1:], body.find(f"{W}sectPr")]
    return [
        p
        for p, after in zip(ends, following, strict=False)
        if (_val(after, f"{W}type") or "nextPage") in PAGE_START_SECTIONS
    ]


@dataclass(frozen=True)
class _ParagraphStyle:
    heading: int | None = None  # the heading level it gives, 1 for the top
    list_kind: str | None = None  # "bullet" or "number" when the style is a list's
    num_id: str | None = None
    ilvl: int = 0
    page_break_before: bool = False
    skipped: bool = False


class _StyleSheet:
    """What each paragraph style means, following `basedOn` to the styles it inherits."""

    def __init__(self, styles: Any) -> None:
        self._by_id = {s.get(f"{W}styleId"): s for s in styles.iter(f"{W}style")}
        defaults = [
            s
            for s in styles.iter(f"{W}style")
            if s.get(f"{W}type") == "paragraph" and s.get(f"{W}default") in ("1", "true", "on")
        ]
        self._default = defaults[0].get(f"{W}styleId") if defaults else None
        self._cache: dict[str | None, _ParagraphStyle] = {}

    def of(self, style_id: str | None) -> _ParagraphStyle:
        style_id = style_id if style_id in self._by_id else self._default
        if style_id not in self._cache:
            self._cache[style_id] = self._resolve(style_id)
        return self._cache[style_id]

    def _chain(self, style_id: str | None) -> list[Any]:
        """The style and those it is based on, nearest first."""
        chain: list[Any] = []
        seen: set[str | None] = set()
        while style_id in self._by_id and style_id not in seen:
            seen.add(style_id)
            chain.append(self._by_id[style_id])
            style_id = _val(chain[-1], f"{W}basedOn")
        return chain

    def _resolve(self, style_id: str | None) -> _ParagraphStyle:
        chain = self._chain(style_id)
        names = [(_val(s, f"{W}name") or "").strip().lower() for s in chain]
        if names and SKIPPED_STYLE.match(names[0]):
            return _ParagraphStyle(skipped=True)
        heading = None
        for name, style in zip(names, chain, strict=True):
            outline = _val(style, f"{W}pPr/{W}outlineLvl")
            if name == "title":
                heading = 1
            elif match := HEADING_STYLE.match(name):
                heading = int(match.group(1))
            elif (level := _int(outline, -1)) >= 0:
                heading = level + 1 if level < BODY_TEXT_OUTLINE else None
            else:
                continue
            break
        num_id = ilvl = None
        for style in chain:
            num = style.find(f"{W}pPr/{W}numPr")
            if num is not None:
                num_id = _val(num, f"{W}numId")
                ilvl = _val(num, f"{W}ilvl")
                break
        list_kind, depth = None, 0
        named = LIST_STYLE.match(names[0]) if names else None
        if named:
            list_kind = "number" if "number" in names[0] else "bullet"
            depth = int(named.group(1)) - 1 if named.group(1) else 0
        depth = max(depth, _int(ilvl, 0))
        flags = [f for s in chain if (f := s.find(f"{W}pPr/{W}pageBreakBefore")) is not None]
        return _ParagraphStyle(
            heading=heading,
            list_kind=list_kind if list_kind or num_id in (None, "0") else "bullet",
            num_id=num_id if num_id != "0" else None,
            ilvl=depth,
            page_break_before=bool(flags) and _on(flags[0]),
        )


def _on(flag: Any) -> bool:
    """A WordprocessingML on/off property: present and not switched off."""
    return flag is not None and flag.get(f"{W}val", "true") not in ("0", "false", "off")


class _Numbering:
    """List numbering definitions: whether a list level is bulleted, and its running count."""

    def __init__(self, numbering: Any) -> None:
        abstract = {a.get(f"{W}abstractNumId"): a for a in numbering.iter(f"{W}abstractNum")}
        self._levels: dict[tuple[str, int], tuple[str, int]] = {}
        for num in numbering.iter(f"{W}num"):
            num_id = num.get(f"{W}numId")
            definition = abstract.get(_val(num, f"{W}abstractNumId"))
            for lvl in definition.iter(f"{W}lvl") if definition is not None else ():
                key = (num_id, _int(lvl.get(f"{W}ilvl"), 0))
                fmt = _val(lvl, f"{W}numFmt") or "decimal"
                self._levels[key] = (fmt, _int(_val(lvl, f"{W}start"), 1))
            for override in num.iter(f"{W}lvlOverride"):
                key = (num_id, _int(override.get(f"{W}ilvl"), 0))
                start = _int(_val(override, f"{W}startOverride"), -1)
                if start >= 0 and key in self._levels:
                    self._levels[key] = (self._levels[key][0], start)
        self._counts: dict[str, list[int]] = {}

    def kind(self, num_id: str, level: int) -> str | None:
        found = self._levels.get((num_id, level))
        if found is None:
            return None
        return "bullet" if found[0] in ("bullet", "none") else "number"

    def count(self, num_id: str, level: int) -> int:
        """The number Word shows on the next item of this list at this level."""
        counts = self._counts.setdefault(num_id, [])
        while len(counts) <= level:
            start = self._levels.get((num_id, len(counts)), ("decimal", 1))[1]
            counts.append(start - 1)
        del counts[level + 1 :]  # a deeper level starts again under each item
        counts[level] += 1
        return counts[level]


@dataclass
class _Paragraph:
    text: str
    leading: int  # page breaks before its text
    inner: int  # page breaks inside its text
    trailing: int  # page breaks after its text


def _pieces(element: Any, rendered: bool) -> Iterator[Piece]:
    """A paragraph's text in order, with BREAK where a page ends; hidden and deleted text,
    field codes and text boxes left out."""
    for child in element:
        tag = child.tag
        if tag in OPAQUE:
            continue
        if tag == f"{W}r" and _on(child.find(f"{W}rPr/{W}vanish")):
            continue
        if tag == f"{W}t":
            yield child.text or ""
        elif tag in (f"{W}tab", f"{W}ptab"):
            yield "\t"
        elif tag == f"{W}cr":
            yield "\n"
        elif tag == f"{W}noBreakHyphen":
            yield "-"
        elif tag == f"{W}br":
            kind = child.get(f"{W}type", "textWrapping")
            if kind == "page":
                if not rendered:
                    yield BREAK
            elif kind == "textWrapping":
                yield "\n"
        elif tag == f"{W}lastRenderedPageBreak":
            if rendered:
                yield BREAK
        else:
            yield from _pieces(child, rendered)


def _split(pieces: Sequence[Piece], extra_before: int = 0, extra_after: int = 0) -> _Paragraph:
    text = "".join(p for p in pieces if p is not None)
    visible = [i for i, p in enumerate(pieces) if p is not None and p.strip()]
    breaks = [i for i, p in enumerate(pieces) if p is None]
    if not visible:
        return _Paragraph("", extra_before + len(breaks) + extra_after, 0, 0)
    first, last = visible[0], visible[-1]
    return _Paragraph(
        text,
        extra_before + sum(i < first for i in breaks),
        sum(first < i < last for i in breaks),
        sum(i > last for i in breaks) + extra_after,
    )


def _clean(text: str) -> list[str]:
    """The paragraph's lines, spaces and tabs run together, blank lines dropped."""
    lines = (re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.split("\n"))
    return [line for line in lines if line]


@dataclass
class _BodyReader:
    styles: _StyleSheet
    numbering: _Numbering
    rendered: bool
    section_ends: list[Any]  # kept whole: lxml proxies are only the same while alive
    page: int = 1  # the page the next content starts on
    breaks: int = 0
    title: str | None = None
    blocks: list[Block] = field(default_factory=list)
    _list: list[str] = field(default_factory=list)
    _list_pages: tuple[int, int] = (1, 1)
    _list_counts: dict[tuple[str, int], int] = field(default_factory=dict)

    @property
    def pages(self) -> int | None:
        return self.page if self.breaks else None

    def _advance(self, count: int) -> None:
        self.page += count
        self.breaks += count

    def paragraph(self, p: Any) -> None:
        ppr = p.find(f"{W}pPr")
        style = self.styles.of(_val(ppr, f"{W}pStyle"))
        own = ppr.find(f"{W}pageBreakBefore") if ppr is not None else None
        breaks_before = _on(own) if own is not None else style.page_break_before
        before = 1 if not self.rendered and self.blocks and breaks_before else 0
        after = 1 if not self.rendered and any(p is end for end in self.section_ends) else 0
        read = _split(list(_pieces(p, self.rendered)), before, after)
        lines = _clean(read.text)
        self._advance(read.leading)
        start, end = self.page, self.page + read.inner
        self._advance(read.inner)
        if lines and not style.skipped:
            self._place(ppr, style, lines, start, end, _type_of(p))
        self._advance(read.trailing)

    def _place(
        self,
        ppr: Any,
        style: _ParagraphStyle,
        lines: list[str],
        start: int,
        end: int,
        typed: tuple[float | None, bool] = (None, False),
    ) -> None:
        own = _outline(ppr)
        heading = style.heading if own is None else own or None
        if heading:
            self._end_list()
            title = " ".join(lines)
            self._add("heading", (title,), start, end, level=heading)
            if self.title is None and heading == 1:
                self.title = title
            return
        item = self._list_item(ppr, style, " ".join(lines))
        if item is not None:
            if not self._list:
                self._list_pages = (start, end)
            self._list.append(item)
            self._list_pages = (self._list_pages[0], end)
            return
        self._end_list()
        self._add("text", tuple(lines), start, end, typed=typed)

    def _list_item(self, ppr: Any, style: _ParagraphStyle, text: str) -> str | None:
        num = ppr.find(f"{W}numPr") if ppr is not None else None
        num_id, level = style.num_id, style.ilvl
        if num is not None:
            num_id = _val(num, f"{W}numId") or style.num_id
            own = _val(num, f"{W}ilvl")
            level = _int(own, level)
            if num_id == "0":
                return None  # numbering switched off for this paragraph
        if num_id is None and style.list_kind is None:
            return None
        kind = (self.numbering.kind(num_id, level) if num_id else None) or style.list_kind
        if kind == "number":
            if num_id:
                number = self.numbering.count(num_id, level)
            else:
                key = (style.list_kind or "", level)
                number = self._list_counts[key] = self._list_counts.get(key, 0) + 1
            return f"{'  ' * level}{number}. {text}"
        return f"{'  ' * level}- {text}"

    def _end_list(self) -> None:
        if self._list:
            start, end = self._list_pages
            self._add("list", tuple(self._list), start, end)
            self._list = []
        self._list_counts.clear()

    def _add(
        self,
        kind: BlockKind,
        lines: tuple[str, ...],
        start: int,
        end: int,
        level: int = 0,
        typed: tuple[float | None, bool] = (None, False),
    ) -> None:
        size, bold = typed
        page_end = end if end != start else None
        self.blocks.append(Block(kind, lines, start, page_end, level, size=size, bold=bold))

    def table(self, tbl: Any) -> None:
        self._end_list()
        rows, header_rows, first_leading, row_breaks = _grid(tbl, self.rendered)
        self._advance(first_leading)
        start = self.page
        self._advance(sum(row_breaks) - first_leading)
        for lines in table_parts(rows, header_rows):
            kind: BlockKind = "table" if lines[0].startswith("|") else "text"
            self._add(kind, tuple(lines), start, self.page)

    def finish(self) -> list[Block]:
        self._end_list()
        if not self.breaks:
            return [replace(b, page=None, page_end=None) for b in self.blocks]
        return self.blocks


def _type_of(p: Any) -> tuple[float | None, bool]:
    """The size (points) most of a paragraph's letters are set in by its runs' own formatting,
    and whether most are bold; (None, False) when its runs set no size."""
    sizes: dict[float, int] = {}
    bold = letters = 0
    for run in p.iter(f"{W}r"):
        count = sum(len(t.text or "") for t in run.iter(f"{W}t"))
        half_points = _val(run.find(f"{W}rPr"), f"{W}sz")
        if not count or not half_points or not half_points.isdigit():
            continue
        sizes[int(half_points) / 2] = sizes.get(int(half_points) / 2, 0) + count
        letters += count
        bold += count if _on(run.find(f"{W}rPr/{W}b")) else 0
    if not sizes:
        return None, False
    return max(sizes, key=lambda s: sizes[s]), bold >= 0.8 * letters


def _outline(ppr: Any) -> int | None:
    """The heading level a paragraph's own outline level gives: 0 for body text, None when
    it sets none."""
    outline = _val(ppr, f"{W}outlineLvl")
    level = _int(outline, -1)
    if level < 0:
        return None
    return level + 1 if level < BODY_TEXT_OUTLINE else 0


def _grid(tbl: Any, rendered: bool) -> tuple[list[list[Slot]], int, int, list[int]]:
    """The table's rows as slots, how many leading rows Word marks as header rows, the page
    breaks before its first text and the breaks in each row."""
    rows: list[list[Slot]] = []
    row_breaks: list[int] = []
    first_leading = 0
    header_rows = 0
    counter = 0
    marking = True
    for r, tr in enumerate(_content(tbl, (f"{W}tr",))):
        trpr = tr.find(f"{W}trPr")
        marking = marking and _on(trpr.find(f"{W}tblHeader") if trpr is not None else None)
        header_rows += marking
        before = _val(trpr, f"{W}gridBefore")
        row: list[Slot] = [Slot(None)] * _int(before, 0)
        breaks, leading = 0, 0
        for tc in _content(tr, (f"{W}tc",)):
            tcpr = tc.find(f"{W}tcPr")
            span = _val(tcpr, f"{W}gridSpan")
            width = _int(span, 1)
            merge = _val(tcpr, f"{W}vMerge")
            paragraphs = [_split(list(_pieces(p, rendered))) for p in _cell_paragraphs(tc)]
            cell_breaks = sum(p.leading + p.inner + p.trailing for p in paragraphs)
            breaks = max(breaks, cell_breaks)
            leading = max(leading, _leading(paragraphs))
            above = rows[-1][len(row) : len(row) + width] if rows else []
            if merge is not None and merge != "restart" and above:
                row.extend(above + above[-1:] * (width - len(above)))  # the cell above goes on
                continue
            counter += 1
            texts = [" ".join(_clean(p.text)) for p in paragraphs]
            row.extend([Slot(counter, "\n".join(t for t in texts if t))] * width)
        if r == 0:
            first_leading = leading
        rows.append(row)
        row_breaks.append(breaks)
    width = max((len(row) for row in rows), default=0)
    rows = [row + [Slot(None)] * (width - len(row)) for row in rows]
    return rows, header_rows if header_rows < len(rows) else 0, first_leading, row_breaks


def _cell_paragraphs(container: Any) -> Iterator[Any]:
    """A cell's paragraphs, those of tables inside it included."""
    for element in _content(container):
        if element.tag == f"{W}p":
            yield element
        else:
            for tr in _content(element, (f"{W}tr",)):
                for tc in _content(tr, (f"{W}tc",)):
                    yield from _cell_paragraphs(tc)


def _leading(paragraphs: Sequence[_Paragraph]) -> int:
    """Page breaks before the first text of a cell."""
    count = 0
    for p in paragraphs:
        count += p.leading
        if p.text.strip():
            break
        count += p.inner + p.trailing
    return count
