"""Files read in a child process: one per ingest, its memory held to a limit, a file that
exhausts or crashes it failing alone while a fresh child reads the rest, and what it reads
coming back as the same document `load` makes in this process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rag.documents import load
from rag.reader_process import OutOfMemory, ReaderProcess
from rag.readers.errors import UnreadableDocument
from rag.readers.limits import ReadingLimits
from tests.utils.docx_packages import minimal_package, paragraph, zip_bomb
from tests.utils.manual_docx import build
from tests.utils.reader_stand_ins import failing_on_bug, killed_by_crash

DOMAINS = ("specs",)
# Limits that let a zip bomb through to the parser, to be stopped by the memory limit alone.
NO_LIMITS = ReadingLimits(unpacked_mb=10_000, unpack_ratio=1_000_000, chars=10**10)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "specs").mkdir()
    for name in ("aster", "sable"):
        (tmp_path / "specs" / f"{name}.md").write_text(f"# {name.title()}\n\nIt has four doors.\n")
    return tmp_path


def test_a_document_read_in_the_child_is_the_one_load_makes_here(
    root: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    manual = build(tmp_path_factory.mktemp("docx") / "vela.docx").path
    (root / "specs" / "vela.docx").write_bytes(manual.read_bytes())
    (root / "quick.docx").write_bytes(minimal_package(paragraph("Press START.")))
    with ReaderProcess(512) as read:
        for path in (root / "specs" / "vela.docx", root / "quick.docx", root / "specs/aster.md"):
            assert read(path, root, DOMAINS) == load(path, root, DOMAINS)
        assert read.children == 1  # one child for every file of the ingest


def test_a_file_that_needs_more_memory_than_the_limit_fails_alone(root: Path) -> None:
    (root / "bomb.docx").write_bytes(zip_bomb(100))
    with ReaderProcess(128, NO_LIMITS) as read:
        with pytest.raises(OutOfMemory, match=r"^needs more than 128 MB to read$"):
            read(root / "bomb.docx", root, DOMAINS)
        assert read(root / "specs" / "aster.md", root, DOMAINS).title == "Aster"
        assert read.children == 2  # the one that ran out is not trusted with the next file


def test_a_file_that_kills_the_child_fails_alone_and_a_fresh_child_reads_the_rest(
    root: Path,
) -> None:
    (root / "crash.md").write_text("# Crash\n\nThis file ends its reader.\n")
    with ReaderProcess(256, load=killed_by_crash) as read:
        assert read(root / "specs" / "aster.md", root, DOMAINS).title == "Aster"
        with pytest.raises(UnreadableDocument, match=r"reader process died reading it \(SIGKILL\)"):
            read(root / "crash.md", root, DOMAINS)
        assert read(root / "specs" / "sable.md", root, DOMAINS).title == "Sable"
        assert read.children == 2


def test_any_exception_of_a_reader_comes_back_as_the_files_reason(root: Path) -> None:
    (root / "bug.md").write_text("# Bug\n")
    with ReaderProcess(256, load=failing_on_bug) as read:
        with pytest.raises(UnreadableDocument) as failed:
            read(root / "bug.md", root, DOMAINS)
        reason = "could not be read (LibraryError: unexpected table cell (code 7))"
        assert str(failed.value) == reason
        assert read(root / "specs" / "aster.md", root, DOMAINS).title == "Aster"
        assert read.children == 1


def test_the_child_starts_with_the_first_file_and_ends_with_the_ingest(root: Path) -> None:
    with ReaderProcess(256) as read:
        assert read.pid is None
        read(root / "specs" / "aster.md", root, DOMAINS)
        child = read.pid
        assert child is not None and Path(f"/proc/{child}").exists()
    assert read.pid is None and not Path(f"/proc/{child}").exists()


def test_the_child_imports_what_reading_needs_and_nothing_of_the_service() -> None:
    heavy = ("onnxruntime", "torch", "chromadb", "sqlalchemy", "fastapi", "orchestrator", "api")
    imported = subprocess.run(
        [sys.executable, "-c", "import sys, rag.reader_process; print(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert "rag.documents" in imported
    assert [m for m in imported if m.split(".")[0] in heavy] == []
