"""Ingesting over REST with documents an attacker or an odd generator wrote: a batch is ingested
but for the file that cannot be read, a zip bomb leaves the server's memory where it was, names
that cannot name a file are refused with 422, and a file-system error is the upload's own.
"""

from __future__ import annotations

import base64
import errno
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.routes.knowledge import UploadedDocument, storage_problem
from orchestrator.settings import Settings
from tests.utils.docx_packages import minimal_package, paragraph, zip_bomb
from tests.utils.server import ServerProcess, sqlite_server


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory, kb_settings: Settings
) -> Iterator[ServerProcess]:
    """A server of its own: what these tests ingest changes no other module's answers."""
    with sqlite_server(tmp_path_factory.mktemp("knowledge"), kb_settings.chroma_path) as process:
        yield process


def _ingest(server: ServerProcess, *documents: dict[str, str]) -> httpx.Response:
    return httpx.post(
        f"{server.base_url}/api/v1/knowledge/ingest",
        json={"documents": list(documents)},
        headers={"Authorization": f"Bearer {server.token('admin-kb', 'admin')}"},
        timeout=120,
    )


def _word(source: str, raw: bytes) -> dict[str, str]:
    return {"source": source, "content_base64": base64.b64encode(raw).decode()}


def _note(source: str, text: str) -> dict[str, str]:
    return {"source": source, "content": f"# {text}\n\nThe {text} is covered by this note.\n"}


def _rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    return int(next(line for line in status if line.startswith("VmRSS")).split()[1]) / 1024


def _children(pid: int) -> set[str]:
    """The processes the server started and that still run (any of its threads' children)."""
    return {
        child
        for task in Path(f"/proc/{pid}/task").iterdir()
        for child in (task / "children").read_text().split()
    }


@pytest.mark.slow
def test_a_batch_is_ingested_but_for_a_zip_bomb_and_the_server_keeps_its_memory(
    live: ServerProcess,
) -> None:
    assert live.process is not None
    pid = live.process.pid
    notes = [_note(f"notes/note-{n}.md", f"service voucher {n}") for n in range(9)]
    quick = _word("notes/quick-start.docx", minimal_package(paragraph("Press START.")))
    batch = _ingest(live, *notes, quick)  # a Word file without a numbering part among them
    assert batch.status_code == 200, batch.text
    assert (batch.json()["added"], batch.json()["failed"]) == (10, [])

    before = _rss_mb(pid)
    bomb = zip_bomb(100)  # under half a megabyte
    done = _ingest(live, _word("notes/brochure.docx", bomb), _note("notes/extra.md", "parcel"))
    after = _rss_mb(pid)
    assert done.status_code == 200, done.text
    result = done.json()
    assert result["added"] == 1
    ((failed),) = result["failed"]
    assert failed["source"] == "notes/brochure.docx"
    assert "unpacks to 100 MB" in failed["reason"] and "(a zip bomb?)" in failed["reason"]
    assert after < before * 1.1, (before, after)
    assert _children(pid) == set()  # the reader process ended with the ingest


NUL = "notes/a\x00b.md"
LONG_NAME = "notes/" + "a" * 253 + ".md"  # 256 bytes: one more than a file name may have
LONG_PATH = "/".join(["é" * 100] * 2) + "/" + "é" * 90 + ".md"  # 295 characters, 583 bytes
LONGER_PATH = "/".join(["🚗" * 58] * 5) + "/x.md"  # 299 characters, 1,169 bytes


@pytest.mark.slow
@pytest.mark.parametrize(
    ("documents", "says"),
    [
        ([_note(NUL, "x")], "control character (U+0000)"),
        ([_note("notes/\x1b[31mred.md", "x")], "control character (U+001B)"),
        ([_note(LONG_NAME, "x")], "a name of 256 bytes"),
        ([_note("notes/../../etc/passwd.md", "x")], "relative path inside"),
        ([_note("notes/.hidden.md", "x")], "hidden file"),
        ([_note("notes/a.md", "x"), _note("notes/a.md/b.md", "x")], "inside notes/a.md"),
        ([_note("notes/a.md", "x"), _note("notes/a.md", "y")], "given twice"),
    ],
    ids=["NUL", "escape", "long name", "outside", "hidden", "inside a document", "twice"],
)
def test_a_source_that_cannot_name_a_file_is_refused_with_422(
    live: ServerProcess, documents: list[dict[str, str]], says: str
) -> None:
    refused = _ingest(live, *documents)
    assert refused.status_code == 422, refused.text
    (error,) = refused.json()["detail"]
    assert error["type"] == "invalid_source" and says in error["msg"], error


@pytest.mark.slow
def test_a_source_over_the_longest_path_is_refused_with_422(live: ServerProcess) -> None:
    too_long = _ingest(live, _note("notes/" + "a/" * 150 + "b.md", "x"))  # 308 characters
    assert too_long.status_code == 422
    assert too_long.json()["detail"][0]["type"] == "string_too_long"


def _invalid(source: str) -> dict[str, Any]:
    with pytest.raises(ValueError) as refused:
        UploadedDocument.model_validate({"source": source, "content": "# x"})
    (error,) = refused.value.errors()  # type: ignore[attr-defined]
    return dict(error)


def test_a_path_of_too_many_bytes_is_refused_though_each_name_fits() -> None:
    assert len(LONG_PATH.encode()) < 1024 and UploadedDocument(source=LONG_PATH, content="#")
    error = _invalid(LONGER_PATH)
    assert error["type"] == "invalid_source"
    assert error["msg"] == "is 1169 bytes long; a source may have at most 1024"


@pytest.mark.parametrize(
    ("code", "status"), [(errno.ENOSPC, 507), (errno.EDQUOT, 507), (errno.EIO, 500)]
)
def test_a_file_system_error_is_the_upload_s_own_never_a_database_outage(
    code: int, status: int
) -> None:
    problem = storage_problem("store notes/a.md", OSError(code, "the cause"))
    assert problem.status_code == status
    assert problem.detail == {
        "code": "STORAGE_ERROR",
        "message": "The server could not store notes/a.md: the cause",
    }
