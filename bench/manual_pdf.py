"""A PDF owner's manual of several hundred pages, set from the sample knowledge base's
variants (bench.corpus) the way printed manuals are: two columns, a running header with the
chapter's name, a footer with the page number, headings by size, bulleted lists, ruled
tables with a bold header. For the ingestion benchmark: real text, real layout, no manual
of anyone's in the repository.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable

from bench.common import KNOWLEDGE_BASE
from bench.corpus import make_variant
from rag.blocks import from_markdown
from rag.chunking import split_front_matter
from rag.documents import discover

TITLE = "Owner's Manual"
BODY = ParagraphStyle("body", fontName="Helvetica", fontSize=9, leading=11.5, spaceAfter=4)
ITEM = ParagraphStyle("item", parent=BODY, leftIndent=10, bulletIndent=0)
HEADINGS = {
    1: ParagraphStyle("h1", fontName="Helvetica-Bold", fontSize=15, leading=18, spaceAfter=6),
    2: ParagraphStyle("h2", fontName="Helvetica-Bold", fontSize=12, leading=15, spaceAfter=4),
    3: ParagraphStyle("h3", fontName="Helvetica-Bold", fontSize=10, leading=13, spaceAfter=3),
}
CELL = ParagraphStyle("cell", fontName="Helvetica", fontSize=7.5, leading=9)
HEAD_CELL = ParagraphStyle("head", parent=CELL, fontName="Helvetica-Bold")
# About this many characters of text fill a page of two columns.
CHARACTERS_A_PAGE = 4400


@dataclass(frozen=True)
class ManualPdf:
    path: Path
    pages: int
    variants: int


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("**", "")


def _flowables(markdown: str, width: float) -> list[Flowable]:
    out: list[Flowable] = []
    for block in from_markdown(markdown):
        if block.kind == "heading":
            out.append(Paragraph(_escape(block.text), HEADINGS[min(block.level, 3)]))
        elif block.kind == "list":
            for line in block.lines:
                if line.strip():
                    item = line.strip().lstrip("-*+ ").strip()
                    out.append(Paragraph(_escape(item), ITEM, bulletText="•"))
        elif block.kind == "table":
            rows = [
                [c.strip() for c in line.strip().strip("|").split("|")]
                for line in block.lines
                if not set(line.replace("|", "").strip()) <= set("-: ")
            ]
            columns = max(len(r) for r in rows)
            cells = [
                [Paragraph(_escape(c), HEAD_CELL if i == 0 else CELL) for c in r]
                + [""] * (columns - len(r))
                for i, r in enumerate(rows)
            ]
            table = Table(cells, colWidths=[width / columns] * columns, repeatRows=0)
            table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
            out += [table, Spacer(1, 4)]
        else:
            out.append(Paragraph(_escape(" ".join(block.lines)), BODY))
    return out


def write_manual(path: Path, pages: int = 300, source: Path = KNOWLEDGE_BASE) -> ManualPdf:
    """Variants of every sample document, one chapter each, until about `pages` pages."""
    originals = [p for p in discover(source) if p.suffix in (".md", ".txt")]
    margin, gutter = 40.0, 18.0
    width = (A4[0] - 2 * margin - gutter) / 2
    frames = [
        Frame(margin, margin, width, A4[1] - 2 * margin - 20, id="left"),
        Frame(margin + width + gutter, margin, width, A4[1] - 2 * margin - 20, id="right"),
    ]

    def furniture(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.drawString(margin, A4[1] - 28, TITLE)
        canvas.drawRightString(A4[0] - margin, A4[1] - 28, getattr(document, "chapter", ""))
        canvas.drawCentredString(A4[0] / 2, 22, str(canvas.getPageNumber()))
        canvas.restoreState()

    document = BaseDocTemplate(str(path), pagesize=A4, title=TITLE)
    document.addPageTemplates([PageTemplate(id="columns", frames=frames, onPage=furniture)])
    story: list[Flowable] = []
    characters = variants = 0
    while characters < pages * CHARACTERS_A_PAGE:
        for original in originals:
            text = split_front_matter(make_variant(original, variants)).body
            story += _flowables(text, width)
            characters += len(text)
        variants += 1
    document.build(story)
    return ManualPdf(path=path, pages=document.page, variants=variants)
