"""Headings of a Word file that sets them by type alone, as a tool that made it from a PDF
does: every paragraph "Normal", its titles larger or bold. Pure.

Where no paragraph's style makes a heading, the type scale decides as it does for a PDF
(`rag.layout.headings`): the size most letters are set in is the body's; a short paragraph
set larger is a heading, the largest sizes the top levels; a short bold one at body size the
deepest. A file whose styles mark headings keeps only those: its bold lines are emphasis.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from rag.blocks import Block
from rag.layout.headings import LABEL, scale_of

# What a title is not: a lead-in ("If it comes on while riding:"), a sentence, a line that
# goes on from the one before ("or TWI").
NOT_A_TITLE = re.compile(r"[:.;,]$|^[a-z]")
# A symbol font's glyph before a word ("3WARNING": a warning sign, then its label).
GLYPH = re.compile(r"^[^A-Za-z]{1,2}(?=[A-Z])")


def titled(text: str) -> bool:
    """The line could be a section's title: not a lead-in, a sentence or a label."""
    text = text.strip()
    return not NOT_A_TITLE.search(text) and not LABEL.match(GLYPH.sub("", text))


def headings_by_type(blocks: Sequence[Block]) -> list[Block]:
    """The blocks, each one-line paragraph the type scale reads as a heading made one."""
    if any(b.kind == "heading" for b in blocks):
        return list(blocks)
    scale = scale_of([(b.text, b.size) for b in blocks if b.kind == "text" and b.size is not None])
    out = []
    for block in blocks:
        level = (
            scale.level_of(block.lines[0].strip(), block.size, block.bold)
            if block.kind == "text"
            and block.size is not None
            and len(block.lines) == 1
            and titled(block.lines[0])
            else None
        )
        out.append(replace(block, kind="heading", level=level) if level else block)
    return out
