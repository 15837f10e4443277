"""PDF, read with PDFium (pypdfium2: Chrome's PDF engine, BSD/Apache): every character with its
box, size and weight, the lines and boxes the page draws, and its pictures. What a page then
means (columns, headings, paragraphs, tables) is decided by the pure rules in `rag.layout`.

PDFium over pdfplumber's own parser: it reads a page in a few milliseconds where pdfminer
takes tens, which keeps reading a manual of hundreds of pages well below the time its chunks
take to embed; pdfplumber's table geometry is still used (`rag.layout.grid`).
"""

from __future__ import annotations

import ctypes
import math
import re
from dataclasses import dataclass, field, replace

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from rag.blocks import ParsedDocument
from rag.layout.document import SCANNED_IMAGE_SHARE, read_pages
from rag.layout.geometry import LOOSE_BOX, Char, Page, words_from_chars
from rag.layout.grid import Edge
from rag.layout.outline import Entry
from rag.layout.page import lay_out
from rag.layout.turns import on_page, quarter_turn, turn_box, turn_char, written_down
from rag.readers import ocr
from rag.readers.errors import UnreadableDocument
from rag.readers.limits import DEFAULT_LIMITS, ReadingLimits, check_chars, check_pages

BOLD_WEIGHT = 600
BOLD_NAMES = ("bold", "black", "heavy", "semibold", "demi")
# A stroke or rectangle thinner than this is a line; wider, a box (its four sides are edges).
THIN = 2.0
# Forms nested deeper than this are not searched for lines.
MAX_FORM_DEPTH = 4


def read_pdf(raw: bytes, limits: ReadingLimits = DEFAULT_LIMITS) -> ParsedDocument:
    try:
        pdf = pdfium.PdfDocument(raw)
    except pdfium.PdfiumError as exc:
        reason = str(exc)
        if "password" in reason.lower():
            raise UnreadableDocument("encrypted PDF: it needs a password") from exc
        raise UnreadableDocument(f"corrupt PDF: {reason}") from exc
    try:
        check_pages(len(pdf), limits)
        text = _TextCount(limits)
        scans = _Scans(limits.ocr_pages if ocr.available() else 0)
        pages = [_read_page(pdf, index, text, scans) for index in range(len(pdf))]
        title = (pdf.get_metadata_dict().get("Title") or "").strip() or None
        outline = _outline(pdf)
    except pdfium.PdfiumError as exc:
        raise UnreadableDocument(f"corrupt PDF: {exc}") from exc
    finally:
        pdf.close()
    parsed = read_pages(pages, title, outline)
    return replace(parsed, ocr_pages=tuple(scans.read)) if scans.read else parsed


# Bookmarks read at most, and how deep: an outline is a book's contents, not an index.
MAX_BOOKMARKS = 5000
MAX_DEPTH = 6


def _outline(pdf: pdfium.PdfDocument) -> list[Entry]:
    """The document's bookmarks that lead to one of its pages."""
    entries: list[Entry] = []
    for bookmark in pdf.get_toc(max_depth=MAX_DEPTH):
        if len(entries) >= MAX_BOOKMARKS:
            break
        page = _bookmark_page(pdf, bookmark)
        title = " ".join(bookmark.get_title().split())
        if page is not None and title:
            entries.append(Entry(title, page + 1, bookmark.level))
    return entries


def _bookmark_page(pdf: pdfium.PdfDocument, bookmark: pdfium.PdfBookmark) -> int | None:
    """The page index a bookmark leads to, by its destination or its go-to action."""
    dest = pdfium_c.FPDFBookmark_GetDest(pdf.raw, bookmark.raw)
    if not dest:
        action = pdfium_c.FPDFBookmark_GetAction(bookmark.raw)
        dest = pdfium_c.FPDFAction_GetDest(pdf.raw, action) if action else None
    if not dest:
        return None
    index = pdfium_c.FPDFDest_GetDestPageIndex(pdf.raw, dest)
    return index if 0 <= index < len(pdf) else None


@dataclass(frozen=True)
class _Frame:
    """From PDF user space (origin bottom-left, y up) to the page as shown: the crop box's
    top-left corner as origin, y down, the page's /Rotate applied."""

    left: float
    bottom: float
    right: float
    top: float
    rotation: int

    @property
    def size(self) -> tuple[float, float]:
        width, height = self.right - self.left, self.top - self.bottom
        return (height, width) if self.rotation in (90, 270) else (width, height)

    def point(self, x: float, y: float) -> tuple[float, float]:
        px, py = x - self.left, self.top - y
        if not self.rotation:
            return px, py
        width, height = self.right - self.left, self.top - self.bottom
        match self.rotation:
            case 90:
                return height - py, px
            case 180:
                return width - px, height - py
            case 270:
                return py, width - px
        return px, py

    def box(
        self, left: float, bottom: float, right: float, top: float
    ) -> tuple[float, float, float, float]:
        """(x0, top, x1, bottom) on the page as shown."""
        if not self.rotation:
            return left - self.left, self.top - top, right - self.left, self.top - bottom
        ax, ay = self.point(left, top)
        bx, by = self.point(right, bottom)
        return min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)


@dataclass
class _TextCount:
    """The characters of the pages read so far, held to the limit before a page's are read."""

    limits: ReadingLimits
    chars: int = 0

    def add(self, chars: int) -> None:
        self.chars += max(0, chars)
        check_chars(self.chars, self.limits)


# Pixels a point a scanned page is rendered at for OCR (144 dpi): letters of body type come
# out about 20 pixels high, which the recogniser reads; more costs time and reads no better.
OCR_SCALE = 2.0


@dataclass
class _Scans:
    """The scanned pages read by OCR so far, held to the limit; past it they stay unread."""

    limit: int
    read: list[int] = field(default_factory=list)

    def wanted(self, chars: int, image_share: float) -> bool:
        return not chars and image_share >= SCANNED_IMAGE_SHARE and len(self.read) < self.limit


def _read_page(pdf: pdfium.PdfDocument, index: int, text: _TextCount, scans: _Scans) -> Page:
    page = pdf[index]
    try:
        left, bottom, right, top = page.get_cropbox()
        frame = _Frame(left, bottom, right, top, page.get_rotation() % 360)
        width, height = frame.size
        textpage = page.get_textpage()
        try:
            count = pdfium_c.FPDFText_CountChars(textpage.raw)
            text.add(count)
            chars = _chars(textpage, frame, width, height)
        finally:
            textpage.close()
        edges, image_area = _drawing(page, frame)
        image_share = min(1.0, image_area / (width * height)) if width and height else 0.0
        if scans.wanted(count, image_share):
            words = ocr.read_picture(page.render(scale=OCR_SCALE).to_pil(), OCR_SCALE)
            text.add(sum(len(word.text) + 1 for word in words))
            if words:
                scans.read.append(index + 1)
            return lay_out(index + 1, width, height, words, edges, image_share)
    finally:
        page.close()
    words = words_from_chars(chars[0])
    for turn, turned in chars.items():
        if turn:
            words.extend(on_page(word, turn, width, height) for word in words_from_chars(turned))
    return lay_out(index + 1, width, height, words, edges, image_share)


# FPDFText_GetTextObject, typed to give the object's address as a plain int (a dict key).
_text_object = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int)(
    ctypes.cast(pdfium_c.FPDFText_GetTextObject, ctypes.c_void_p).value or 0
)


# Fonts of pictograms (a warning triangle, a pointing hand) whose glyphs sit on letter codes:
# their "letters" are pictures, not words ("f Check the level", "h DANGER"). (The standard
# Symbol font maps its glyphs to what they show.)
PICTOGRAM_FONT = re.compile(rb"dingbat|wingding|webding|sym(?!bol(?:mt|ps)?\b)", re.I)


@dataclass(frozen=True)
class _Style:
    size: float
    bold: bool
    # The quarter turn it is set at as the page is shown (`rag.layout.turns`); None at a
    # slant (a stamp, a label along a drawing's diagonal), which is not read.
    turn: int | None
    pictogram: bool = False  # a pictogram font (PICTOGRAM_FONT)


def _style(handle: object, i: int, fonts: dict[bytes, bool], rotation: int) -> _Style:
    name = ctypes.create_string_buffer(128)
    flags = ctypes.c_int()
    pdfium_c.FPDFText_GetFontInfo(handle, i, name, len(name), ctypes.byref(flags))
    font = name.value
    if font not in fonts:
        fonts[font] = any(part.encode() in font.lower() for part in BOLD_NAMES)
    # As the page is shown: the page's /Rotate turns the text set at an angle back upright.
    angle = pdfium_c.FPDFText_GetCharAngle(handle, i)
    return _Style(
        size=round(pdfium_c.FPDFText_GetFontSize(handle, i), 1),
        bold=pdfium_c.FPDFText_GetFontWeight(handle, i) >= BOLD_WEIGHT or fonts[font],
        turn=quarter_turn(angle + math.radians(rotation)) if angle >= 0 else None,
        pictogram=bool(PICTOGRAM_FONT.search(font)),
    )


BREAK = Char(" ", 0, 0, 0, 0, 0)  # between words


def _chars(
    textpage: pdfium.PdfTextPage, frame: _Frame, width: float, height: float
) -> dict[int, list[Char]]:
    """The page's characters by the quarter turn they are set at (0: upright), each turn's in
    the frame where it reads upright; letters at a slant are left out. The style of each text
    object is read once, for its first. (The loop runs once a character: what it calls is
    bound to local names.)"""
    handle = textpage.raw
    count = pdfium_c.FPDFText_CountChars(handle)
    by_turn: dict[int, list[Char]] = {0: []}
    if count <= 0:
        return by_turn
    codes = (ctypes.c_ushort * (count + 1))()
    pdfium_c.FPDFText_GetText(handle, 0, count, codes)
    wide = any(0xD800 <= codes[i] <= 0xDFFF for i in range(count))
    box = pdfium_c.FS_RECTF()
    fonts: dict[bytes, bool] = {}
    styles: dict[int | None, _Style] = {}
    unicode_at, generated = pdfium_c.FPDFText_GetUnicode, pdfium_c.FPDFText_IsGenerated
    char_box, to_page = pdfium_c.FPDFText_GetLooseCharBox, frame.box
    upright = current = by_turn[0]
    for i in range(count):
        code = unicode_at(handle, i) if wide else codes[i]
        if code == 0 or code == 0xFFFF:
            continue
        # PDFium marks a hyphen at a line end (\x02, 0xFFFE in bulk text); the hyphenation
        # rule decides on it.
        text = "-" if code == 2 or code == 0xFFFE else chr(code)
        if text.isspace() or generated(handle, i):
            current.append(BREAK)
            continue
        key = _text_object(handle, i)
        style = styles.get(key) if key else None
        if style is None:
            style = _style(handle, i, fonts, frame.rotation)
            if key:
                styles[key] = style
        turn = style.turn
        if turn is None or (style.pictogram and text.isascii()) or not char_box(handle, i, box):
            continue
        x0, top, x1, bottom = to_page(box.left, box.bottom, box.right, box.top)
        if x1 < 0 or top > height or x0 > width or bottom < 0:
            continue  # outside the crop box: not shown
        if turn:
            x0, top, x1, bottom = turn_box((x0, top, x1, bottom), turn, width, height)
            current = by_turn.setdefault(turn, [])
        else:
            current = upright
        size = style.size
        if size <= 0 or size < 0.5 * (bottom - top):
            size = _size(size, bottom - top)
        current.append(Char(text, x0, x1, top, bottom, size, style.bold))
    across, vertical = written_down(upright)
    if vertical:  # letters the text layer holds upright, set one under another
        by_turn[0] = across
        for turn, letters in vertical.items():
            turned = by_turn.setdefault(turn, [])
            turned.append(BREAK)
            turned.extend(
                turn_char(c, turn, width, height) if c.text.strip() else BREAK for c in letters
            )
    return by_turn


def _size(reported: float, height: float) -> float:
    """The font size: as the text layer reports it, unless a text matrix scales the glyphs
    (a size of 1 drawn 10 points high), then as high as the letter box shows."""
    if reported <= 0 or reported < 0.5 * height:
        return round(height / LOOSE_BOX, 1)
    return round(reported, 1)


def _drawing(page: pdfium.PdfPage, frame: _Frame) -> tuple[list[Edge], float]:
    """The page's strokes and box sides as edges, and the area its pictures cover."""
    edges: list[Edge] = []
    image_area = 0.0
    identity = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    handle = page.raw
    for i in range(pdfium_c.FPDFPage_CountObjects(handle)):
        image_area += _walk(pdfium_c.FPDFPage_GetObject(handle, i), identity, frame, edges, 0)
    return edges, image_area


Matrix = tuple[float, float, float, float, float, float]


def _compose(inner: Matrix, outer: Matrix) -> Matrix:
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer
    return (
        a * A + b * C,
        a * B + b * D,
        c * A + d * C,
        c * B + d * D,
        e * A + f * C + E,
        e * B + f * D + F,
    )


def _walk(obj: object, outer: Matrix, frame: _Frame, edges: list[Edge], depth: int) -> float:
    """Edges of one page object (a form's objects, recursively); returns its picture area."""
    kind = pdfium_c.FPDFPageObj_GetType(obj)
    matrix = pdfium_c.FS_MATRIX()
    pdfium_c.FPDFPageObj_GetMatrix(obj, matrix)
    own = (matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f)
    if kind == pdfium_c.FPDF_PAGEOBJ_FORM:
        if depth >= MAX_FORM_DEPTH:
            return 0.0
        combined = _compose(own, outer)
        return sum(
            _walk(pdfium_c.FPDFFormObj_GetObject(obj, j), combined, frame, edges, depth + 1)
            for j in range(pdfium_c.FPDFFormObj_CountObjects(obj))
        )
    if kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
        box = _bounds(obj)
        if box is None:
            return 0.0
        x0, top, x1, bottom = _transformed_box(box, outer, frame)
        return max(0.0, x1 - x0) * max(0.0, bottom - top)
    if kind == pdfium_c.FPDF_PAGEOBJ_PATH:
        box = _bounds(obj)
        if box is not None and max(box[2] - box[0], box[3] - box[1]) >= THIN:
            thin = min(box[2] - box[0], box[3] - box[1]) <= THIN
            _path_edges(obj, _compose(own, outer), frame, edges, thin)
    return 0.0


def _bounds(obj: object) -> tuple[float, float, float, float] | None:
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    ok = pdfium_c.FPDFPageObj_GetBounds(
        obj, ctypes.byref(left), ctypes.byref(bottom), ctypes.byref(right), ctypes.byref(top)
    )
    return (left.value, bottom.value, right.value, top.value) if ok else None


def _transformed_box(
    box: tuple[float, float, float, float], outer: Matrix, frame: _Frame
) -> tuple[float, float, float, float]:
    left, bottom, right, top = box
    corners = [_apply(outer, x, y) for x in (left, right) for y in (bottom, top)]
    xs = [x for x, _ in corners]
    ys = [y for _, y in corners]
    return frame.box(min(xs), min(ys), max(xs), max(ys))


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def _path_edges(obj: object, matrix: Matrix, frame: _Frame, edges: list[Edge], thin: bool) -> None:
    """The path's straight strokes along an axis. A shaded area (filled, not stroked, not a
    thin line) gives only its top and bottom: shading bands a table's rows, it does not
    divide its columns."""
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    pdfium_c.FPDFPath_GetDrawMode(obj, ctypes.byref(fill), ctypes.byref(stroke))
    if not stroke.value and fill.value == pdfium_c.FPDF_FILLMODE_NONE:
        return  # a clipping path: nothing is drawn
    shading = not stroke.value and not thin
    found: list[Edge] = []
    points: list[tuple[float, float]] = []
    start: tuple[float, float] | None = None
    x, y = ctypes.c_float(), ctypes.c_float()
    for i in range(pdfium_c.FPDFPath_CountSegments(obj)):
        segment = pdfium_c.FPDFPath_GetPathSegment(obj, i)
        pdfium_c.FPDFPathSegment_GetPoint(segment, ctypes.byref(x), ctypes.byref(y))
        point = frame.point(*_apply(matrix, x.value, y.value))
        kind = pdfium_c.FPDFPathSegment_GetType(segment)
        if kind == pdfium_c.FPDF_SEGMENT_MOVETO or not points:
            points, start = [point], point
        else:
            if kind == pdfium_c.FPDF_SEGMENT_LINETO:
                _segment(points[-1], point, found)
            points.append(point)
        if pdfium_c.FPDFPathSegment_GetClose(segment) and start is not None:
            _segment(points[-1], start, found)
    edges.extend(e for e in found if not shading or e.horizontal)


def _segment(a: tuple[float, float], b: tuple[float, float], edges: list[Edge]) -> None:
    """A straight stroke that runs along an axis becomes an edge; a slanted one does not."""
    (ax, ay), (bx, by) = a, b
    if abs(ay - by) <= THIN or abs(ax - bx) <= THIN:
        edges.append(Edge(min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)))
