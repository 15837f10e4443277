"""The document model every reader produces and chunking consumes: blocks in reading order,
each with its kind, its Markdown lines and the page it stands on.

Markdown is the common notation (a table is a pipe table, a list item starts "- "), so a PDF,
a Word file and a Markdown file are chunked and cited the same way. `from_markdown` reads
Markdown-shaped text into blocks, taking the page breaks a converter may have left
(`<!-- page 12 -->`, a form feed) as the pages of what follows; `to_markdown` writes blocks
back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

# "break": where something that is no passage was left out (an index, a contents list), so
# that what stood before it and what follows are not read as one passage; it has no lines.
BlockKind = Literal["heading", "text", "list", "table", "code", "break"]

HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
TABLE_ROW = re.compile(r"^\s*\|")
TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
LIST_ITEM = re.compile(r"^\s*([-*+]|\d+[.)])\s+")
# Page breaks as converters write them: an HTML comment naming the page, marker's
# "{12}------" pagination, or a form feed (which starts the next page).
PAGE_MARK = re.compile(
    r"^\s*(?:<!--\s*page(?:\s*(?:number|no\.?))?\s*[:=#]?\s*(\d{1,5})\s*-->|\{(\d{1,5})\}-{8,})\s*$",
    re.IGNORECASE,
)
FORM_FEED = "\f"
# Page breaks that only count pages: a thematic break of five dashes or more between blank
# lines (pymupdf4llm's), an HTML comment saying so; read as pages when a text has at least
# MIN_PAGE_RULES of them, so a writer's occasional rule is not one.
PAGE_RULE = re.compile(r"^\s*(?:-{5,}|<!--\s*page[\s_-]*break\s*-->)\s*$", re.IGNORECASE)
MIN_PAGE_RULES = 3
THEMATIC_BREAK = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,})\s*$")
ENDS_SENTENCE = re.compile(r"[.!?:;)\]]\s*$")


@dataclass(frozen=True)
class Block:
    kind: BlockKind
    lines: tuple[str, ...]  # Markdown; a heading's one line is its title, without the #s
    page: int | None = None  # the page it starts on, 1-based; None when the format has none
    page_end: int | None = None  # the page it ends on, when that is another
    level: int = 0  # a heading's level, 1 for the top
    # The type size (points) most of its letters are set in, and whether they are bold, where
    # the format says so paragraph by paragraph (Word): headings are told by them.
    size: float | None = field(default=None, compare=False)
    bold: bool = field(default=False, compare=False)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def last_page(self) -> int | None:
        return self.page_end or self.page


@dataclass(frozen=True)
class ParsedDocument:
    """What a reader made of one file."""

    blocks: tuple[Block, ...]
    title: str | None = None
    pages: int | None = None  # how many pages the file has, when it has pages
    # Pages with pictures and no text: scanned, unread without OCR.
    scanned_pages: tuple[int, ...] = ()
    # Scanned pages whose text was read by OCR (`rag.readers.ocr`).
    ocr_pages: tuple[int, ...] = ()

    @property
    def markdown(self) -> str:
        return to_markdown(self.blocks)


def to_markdown(blocks: Iterable[Block]) -> str:
    """The blocks as Markdown, one blank line between them."""
    parts = []
    for block in blocks:
        if block.kind == "break":
            continue
        if block.kind == "heading":
            parts.append(f"{'#' * max(1, min(block.level, 6))} {block.text}")
        else:
            parts.append(block.text)
    return "\n\n".join(parts) + ("\n" if parts else "")


def page_number(line: str) -> int | None:
    """The page a page-break marker line starts, or None when the line is not one."""
    match = PAGE_MARK.match(line)
    if not match:
        return None
    return int(match.group(1) or match.group(2))


def from_markdown(text: str) -> list[Block]:
    """Markdown-shaped text as blocks: headings, and the tables, lists, code and prose under
    them. Blocks after a page-break marker carry its page."""
    blocks: list[Block] = []
    kind: BlockKind | None = None
    current: list[str] = []
    page: int | None = None
    start_page: int | None = None
    in_fence = False

    def flush() -> None:
        nonlocal kind, current
        if kind and any(line.strip() for line in current):
            end = page if page != start_page else None
            blocks.append(Block(kind, tuple(_trim(current)), start_page, end))
        kind, current = None, []

    segments = text.split(FORM_FEED)
    lines = [
        (index + 1 if len(segments) > 1 else None, line)
        for index, segment in enumerate(segments)
        for line in segment.splitlines()
    ]
    rules = _page_rules([line for _, line in lines])
    if rules:
        page = 1
    glued = False
    for number, (fed, line) in enumerate(lines):
        if fed is not None and fed != page and (page is None or fed > page):
            page = fed
            if kind in (None, "text", "list"):
                flush()
        if in_fence:
            current.append(line)
            if FENCE.match(line):
                in_fence = False
                flush()
            continue
        marked = page_number(line)
        if marked is None and number in rules:
            marked = (page or 1) + 1
        if marked is None and THEMATIC_BREAK.match(line) and not _after_text(lines, number):
            flush()  # a rule between sections: structure, not content
            continue
        if marked is not None:
            page = marked
            if kind in (None, "text", "list"):
                flush()
            continue
        if FENCE.match(line):
            flush()
            kind, current, in_fence, start_page = "code", [line], True, page
            continue
        heading = HEADING.match(line)
        if heading and _fragment(heading.group(2), lines[number + 1 :]):
            # A sentence's start set as a heading by a converter: it goes on below.
            flush()
            kind, current, start_page = "text", [heading.group(2).strip()], page
            glued = True
            continue
        if glued and not line.strip():
            continue  # the blank line a converter put inside the sentence
        glued = False
        if heading:
            flush()
            level, title = len(heading.group(1)), heading.group(2).strip()
            blocks.append(Block("heading", (title,), page, level=level))
            continue
        if not line.strip():
            if kind == "list":
                current.append(line)
                continue
            flush()
            continue
        line_kind: BlockKind | None = (
            "table" if TABLE_ROW.match(line) else "list" if LIST_ITEM.match(line) else None
        )
        if kind == "list" and line_kind is None and line.startswith((" ", "\t")):
            line_kind = "list"  # an indented continuation of a list item
        line_kind = line_kind or "text"
        if line_kind != kind:
            flush()
            kind, start_page = line_kind, page
        current.append(line)
    flush()
    return blocks


def _after_text(lines: Sequence[tuple[int | None, str]], number: int) -> bool:
    """The line right above is text: "---" under it underlines a heading (setext)."""
    return number > 0 and bool(lines[number - 1][1].strip())


def _page_rules(lines: Sequence[str]) -> set[int]:
    """The positions of the lines that break pages, when the text has enough of them."""
    found = {
        i
        for i, line in enumerate(lines)
        if PAGE_RULE.match(line) and (i == 0 or not lines[i - 1].strip())
    }
    return found if len(found) >= MIN_PAGE_RULES else set()


def _fragment(title: str, after: Sequence[tuple[int | None, str]]) -> bool:
    """A heading that is the start of a sentence going on below it ("##### If the warning
    light comes on, the airbag" over "system should be repaired…")."""
    if ENDS_SENTENCE.search(title):
        return False
    following = next((line.strip() for _, line in after if line.strip()), "")
    return following[:1].islower()


def joined_across_pages(blocks: Sequence[Block]) -> list[Block]:
    """A table cut by a page break, its second part opened by the page's converter as a new
    table, read as one: the second part's first row is data (figures where the first table
    has names) or the same header again. A line or two standing between the parts (the
    page's footer, its header) go."""
    out: list[Block] = []
    for block in blocks:
        previous = _last_table(out)
        if (
            block.kind == "table"
            and previous is not None
            and block.page is not None
            and (out[previous].last_page or 0) < block.page
            and _continues_table(out[previous], block)
        ):
            first = out[previous]
            rows = (
                list(block.lines[2:])
                if _header(block) == _header(first)
                else [
                    block.lines[0],
                    *block.lines[2:],
                ]
            )
            del out[previous + 1 :]
            out[previous] = Block(
                "table", (*first.lines, *rows), first.page, block.last_page or first.page
            )
            continue
        out.append(block)
    return out


def _last_table(blocks: Sequence[Block]) -> int | None:
    """The last block, when it is a table, or a table followed by no more than two short
    lines of text (a running footer or header)."""
    for back in range(1, 4):
        if len(blocks) < back:
            return None
        block = blocks[-back]
        if block.kind == "table":
            return len(blocks) - back
        if block.kind != "text" or len(block.text.split()) > 8:
            return None
    return None


def _header(block: Block) -> list[str]:
    return [c.strip() for c in block.lines[0].strip().strip("|").split("|")]


def _continues_table(first: Block, second: Block) -> bool:
    if len(second.lines) < 2 or not TABLE_SEPARATOR.match(second.lines[1]):
        return False
    head, opening = _header(first), _header(second)
    if len(head) != len(opening):
        return False
    if head == opening:
        return True
    figures = [cell for cell in opening[1:] if any(c.isdigit() for c in cell)]
    named = [cell for cell in head[1:] if cell and not any(c.isdigit() for c in cell)]
    return len(figures) * 2 >= len(opening) - 1 and len(named) * 2 >= len(head) - 1


def _trim(lines: Sequence[str]) -> list[str]:
    kept = list(lines)
    while kept and not kept[-1].strip():
        kept.pop()
    return kept
