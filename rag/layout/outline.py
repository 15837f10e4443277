"""A PDF's outline (its bookmarks) used for headings: a line on an entry's page that says the
entry's title is a heading, at the depth the outline gives it. Pure: blocks in, blocks out.

The type a heading is set in tells most headings, not all (a title in body type, in colour
only); the outline names them and nests them. An entry whose title no block on its page says
("Chapter 08 file", a bookmark named after the file it was made from) is passed over.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from rag.blocks import Block

MAX_LEVEL = 6
# A text that long is a paragraph, whatever an entry says.
MAX_TITLE_CHARS = 120


@dataclass(frozen=True)
class Entry:
    """One bookmark: its title, the page it leads to (1-based) and its depth (0 the top)."""

    title: str
    page: int
    depth: int


def _key(text: str) -> str:
    """A title as compared: case, punctuation and spacing aside."""
    return " ".join(re.sub(r"[\W_]+", " ", text.casefold()).split())


def _on_page(block: Block, page: int) -> bool:
    return block.page is not None and block.page <= page <= (block.last_page or block.page)


def matches(blocks: Sequence[Block], entries: Sequence[Entry]) -> dict[int, Entry]:
    """The block each entry names: the first heading or one-line text on the entry's page
    whose text is its title."""
    found: dict[int, Entry] = {}
    by_page: dict[int, list[int]] = {}
    for i, block in enumerate(blocks):
        one_line = len(block.lines) == 1 and len(block.text) <= MAX_TITLE_CHARS
        if block.kind in ("heading", "text") and one_line and block.page:
            by_page.setdefault(block.page, []).append(i)
    for entry in entries:
        key = _key(entry.title)
        if not key:
            continue
        for i in by_page.get(entry.page, []):
            if i not in found and _key(blocks[i].text.lstrip("\\")) == key:
                found[i] = entry
                break
    return found


def with_outline(blocks: Sequence[Block], entries: Sequence[Entry]) -> tuple[Block, ...]:
    """The blocks with each line the outline names made a heading at the outline's depth,
    counted from the level the document's type gives the headings it names."""
    found = matches(blocks, entries)
    if not found:
        return tuple(blocks)
    offsets = Counter(
        blocks[i].level - entry.depth for i, entry in found.items() if blocks[i].kind == "heading"
    )
    base = offsets.most_common(1)[0][0] if offsets else 1
    out = list(blocks)
    for i, entry in found.items():
        level = max(1, min(MAX_LEVEL, entry.depth + base))
        title = blocks[i].text.lstrip("\\")
        out[i] = replace(blocks[i], kind="heading", lines=(title,), level=level, page_end=None)
    return tuple(out)
