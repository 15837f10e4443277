"""Running lines a PDF-to-Markdown converter kept, found by the page number they carry."""

from __future__ import annotations

from rag.readers.markdown import read_markdown

SECTION = "Oil is checked with the engine warm. Top up between the marks."


def _manual(running: list[str]) -> str:
    pages = [f"{line}\n\n{SECTION}" for line in running]
    return "# Maintenance\n\n" + "\n\n-----\n\n".join(pages) + "\n"


def _blocks(text: str) -> list[tuple[str, str]]:
    return [(b.kind, b.text) for b in read_markdown(text.encode()).blocks]


def test_a_chapter_s_title_with_each_page_s_number_goes() -> None:
    text = _manual(
        ["Minor Repairs 263", "## 264 Minor Repairs", "Minor Repairs 265", "266 Minor Repairs"]
    )
    blocks = _blocks(text)
    assert not any("Minor Repairs" in body for _, body in blocks)
    # not a heading either: what follows stays under the document's own section
    assert [body for kind, body in blocks if kind == "heading"] == ["Maintenance"]


def test_a_line_whose_number_does_not_grow_with_the_pages_stays() -> None:
    blocks = _blocks(_manual(["See page 41", "See page 12", "See page 41", "See page 9"]))
    assert sum(body == "See page 41" for _, body in blocks) == 2


def test_a_document_without_pages_is_left_alone() -> None:
    text = "Fuse 12\n\nFuse 13\n\nFuse 14\n"
    assert len(_blocks(text)) == 3
