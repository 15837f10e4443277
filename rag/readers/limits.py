"""How much a file may make of the server before it is read: how far a zipped file unpacks, how
many pages a PDF has, how much text any file holds.

Each check is a pure function of figures a reader finds without reading the file through (a
zip's central directory, a PDF's page count, text counted as it comes), refusing with
`UnreadableDocument` and a reason in the file's own terms.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from rag.readers.errors import UnreadableDocument

MB = 1024 * 1024
# A part that unpacks to less than this is not held to the ratio: however well it packs, it
# cannot take much memory (a tiny settings part can pack 50 times).
RATIO_FLOOR_BYTES = 1 * MB


@dataclass(frozen=True)
class ReadingLimits:
    """The limits a file is read under (the service's from its settings)."""

    # All of a zipped file's parts together, unpacked. A Word manual of several hundred pages
    # has a document.xml of 20-40 MB (40 MB takes about 500 MB to parse) and its pictures,
    # stored about as packed as they are: 200 MB leaves room for both. The memory parsing
    # takes is bounded apart (`rag.reader_process`).
    unpacked_mb: int = 200
    # Unpacked over packed size, of each part over RATIO_FLOOR_BYTES and of the whole file.
    # Word's XML deflates 5-30 times; a long table of identical cells (a blank form) about
    # 140. Deflate reaches 1,000, which is how a file of under half a megabyte unpacks to
    # 100 MB and more: 200 refuses that and no real document.
    unpack_ratio: int = 200
    # A PDF's pages: a real manual has hundreds, a workshop manual a few thousand.
    pdf_pages: int = 5000
    # Characters of text a file may hold (about 5,000 dense pages), so that what one file
    # makes stays within what the ingest can chunk and embed.
    chars: int = 20_000_000
    # Scanned pages a file may have read by OCR, at one to four seconds a page on one core;
    # past it (and at 0) they are listed as scanned, unread.
    ocr_pages: int = 500


DEFAULT_LIMITS = ReadingLimits()


class ZipMember(NamedTuple):
    """One part of a zipped file as its central directory declares it. The declared size is
    a bound: `zipfile` unpacks a part no further (a part that lies fails its CRC check)."""

    name: str
    file_size: int
    compress_size: int


def zip_members(raw: bytes) -> list[ZipMember]:
    """The parts of a zipped file, read from its central directory; nothing is unpacked.
    Raises `zipfile.BadZipFile` when `raw` is no zip."""
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        return [ZipMember(i.filename, i.file_size, i.compress_size) for i in archive.infolist()]


def check_unpacking(members: Sequence[ZipMember], limits: ReadingLimits) -> None:
    """Refuse a zipped file that unpacks to more than the limit in all, or any part (or the
    whole) of which unpacks to more than the ratio allows."""
    total = sum(m.file_size for m in members)
    if total > limits.unpacked_mb * MB:
        raise UnreadableDocument(
            f"unpacks to {_mb(total)} MB, more than the limit of {limits.unpacked_mb} MB"
        )
    packed = sum(m.compress_size for m in members)
    for name, unpacked, size in [*members, ZipMember("", total, packed)]:
        if unpacked > RATIO_FLOOR_BYTES and unpacked > limits.unpack_ratio * max(size, 1):
            what = f"its part {name}" if name else "it"
            raise UnreadableDocument(
                f"{what} unpacks to {_mb(unpacked)} MB from {_mb(size)} MB, "
                f"{unpacked // max(size, 1)} times its packed size: more than the limit of "
                f"{limits.unpack_ratio} times (a zip bomb?)"
            )


def check_pages(pages: int, limits: ReadingLimits) -> None:
    """Refuse a document of more pages than the limit."""
    if pages > limits.pdf_pages:
        raise UnreadableDocument(f"{pages:,} pages, more than the limit of {limits.pdf_pages:,}")


def check_chars(chars: int, limits: ReadingLimits) -> None:
    """Refuse a document holding more characters of text than the limit (`chars`: so far)."""
    if chars > limits.chars:
        raise UnreadableDocument(
            f"more than {limits.chars:,} characters of text, the limit for one document"
        )


def _mb(size: int) -> str:
    """A size in MB as a reason says it: whole above 10, else to a tenth."""
    return f"{size / MB:.0f}" if size >= 10 * MB else f"{size / MB:.1f}"
