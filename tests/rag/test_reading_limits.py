"""What a file may make of the server is decided before it is read, from figures a reader finds
without reading it through: a zip's central directory, a PDF's page count, text counted as it
comes. Each refusal says why, in the file's own terms."""

from __future__ import annotations

import pytest

from rag.readers.errors import UnreadableDocument
from rag.readers.limits import (
    DEFAULT_LIMITS,
    MB,
    ReadingLimits,
    ZipMember,
    check_chars,
    check_pages,
    check_unpacking,
    zip_members,
)
from tests.utils.docx_packages import minimal_package, paragraph, zip_bomb
from tests.utils.manual_docx import build

LIMITS = ReadingLimits(unpacked_mb=200, unpack_ratio=200, pdf_pages=100, chars=1000)


def test_a_zips_parts_are_read_from_its_central_directory_without_unpacking() -> None:
    bomb = zip_bomb(20)
    members = {m.name: m for m in zip_members(bomb)}
    document = members["word/document.xml"]
    assert document.file_size > 20 * MB - 1024 and document.compress_size < len(bomb)


def test_a_file_that_unpacks_past_the_limit_is_refused_saying_how_far() -> None:
    members = [ZipMember("word/document.xml", 150 * MB, 15 * MB), ZipMember("a.png", 60 * MB, 59)]
    with pytest.raises(UnreadableDocument, match=r"^unpacks to 210 MB, more than the limit of 200"):
        check_unpacking(members, LIMITS)


def test_a_part_that_unpacks_past_the_ratio_is_refused_as_a_zip_bomb() -> None:
    members = [ZipMember("word/document.xml", 100 * MB, MB // 3), ZipMember("b.png", MB, MB)]
    with pytest.raises(UnreadableDocument) as refused:
        check_unpacking(members, LIMITS)
    assert str(refused.value) == (
        "its part word/document.xml unpacks to 100 MB from 0.3 MB, 300 times its packed size: "
        "more than the limit of 200 times (a zip bomb?)"
    )


def test_many_small_parts_that_pack_past_the_ratio_together_are_refused() -> None:
    members = [ZipMember(f"word/part{i}.xml", MB - 1, MB // 1000) for i in range(150)]
    with pytest.raises(UnreadableDocument, match=r"^it unpacks to 150 MB .* \(a zip bomb\?\)$"):
        check_unpacking(members, LIMITS)


def test_a_small_part_may_pack_as_well_as_it_likes() -> None:
    check_unpacking([ZipMember("word/settings.xml", MB, 10)], LIMITS)


def test_a_real_word_manual_and_a_minimal_package_are_within_the_default_limits(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    manual = build(tmp_path_factory.mktemp("docx") / "vela.docx").path.read_bytes()
    check_unpacking(zip_members(manual), DEFAULT_LIMITS)
    check_unpacking(zip_members(minimal_package(paragraph("Hello"))), DEFAULT_LIMITS)


def test_a_zip_bomb_of_under_half_a_megabyte_is_refused_by_the_default_limits() -> None:
    bomb = zip_bomb(100)
    assert len(bomb) < MB // 2
    with pytest.raises(UnreadableDocument, match=r"word/document\.xml unpacks to 100 MB"):
        check_unpacking(zip_members(bomb), DEFAULT_LIMITS)


def test_pages_and_characters_past_their_limits_are_refused() -> None:
    check_pages(100, LIMITS)
    with pytest.raises(UnreadableDocument, match=r"^101 pages, more than the limit of 100$"):
        check_pages(101, LIMITS)
    check_chars(1000, LIMITS)
    with pytest.raises(UnreadableDocument, match="more than 1,000 characters of text"):
        check_chars(1001, LIMITS)
