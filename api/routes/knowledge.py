"""The knowledge base over REST: what it holds (staff), and ingesting documents (admins)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import errno
import shutil
import tempfile
import unicodedata
from pathlib import Path, PurePosixPath

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from api.deps import AdminUser, StaffUser, State
from orchestrator.knowledge import domain_classifier, run_ingest
from rag.catalogue import Catalogue
from rag.documents import SUFFIXES
from rag.ingest import IngestReport
from rag.readers import TEXT_FORMATS
from rag.store import ConcurrentIngest, EmbeddingModelMismatch

router = APIRouter(prefix="/api/v1/knowledge", tags=["knowledge"])
INGEST_PATH = "/api/v1/knowledge/ingest"  # its body cap is MAX_INGEST_BODY_BYTES
MAX_DOCUMENTS = 200
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
# Small embedding batches, so that turns waiting on the shared model wait at most one batch.
SERVING_BATCH = 32
# A name in a source, and a whole source, in UTF-8 bytes: a Linux file system's longest name,
# and a path that leaves room for the upload folder's below PATH_MAX (4,096).
MAX_NAME_BYTES = 255
MAX_SOURCE_BYTES = 1024
# What a full disk raises: 507 Insufficient Storage; any other file-system error is a 500.
OUT_OF_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})


def source_problem(source: str) -> str | None:
    """Why `source` cannot name a document of the knowledge base, or None when it can."""
    path = PurePosixPath(source)
    control = next((c for c in source if unicodedata.category(c) == "Cc"), None)
    if control is not None:
        return f"must be printable text; it holds a control character (U+{ord(control):04X})"
    if path.is_absolute() or ".." in path.parts or "\\" in source:
        return "must be a relative path inside the knowledge base"
    if any(part.startswith(".") for part in path.parts) or source.startswith("."):
        return "must not name a hidden file or folder (starting with '.'): it would not be read"
    longest = max(path.parts, key=lambda part: len(part.encode()), default="")
    if len(longest.encode()) > MAX_NAME_BYTES:
        return (
            f"holds a name of {len(longest.encode())} bytes; a file or folder name may have "
            f"at most {MAX_NAME_BYTES}"
        )
    if len(source.encode()) > MAX_SOURCE_BYTES:
        return f"is {len(source.encode())} bytes long; a source may have at most {MAX_SOURCE_BYTES}"
    if path.suffix.lower() not in SUFFIXES:
        return f"unsupported file type; use one of {', '.join(sorted(SUFFIXES))}"
    return None


class UploadedDocument(BaseModel):
    """One document: its path in the knowledge base and its content (text, or base64 for PDF
    and Word)."""

    source: str = Field(
        min_length=1,
        max_length=300,
        description="Relative path, e.g. `specs/nova.md`; a top folder named after a domain "
        "files the document under it.",
    )
    content: str | None = Field(default=None, max_length=MAX_DOCUMENT_BYTES)
    content_base64: str | None = Field(default=None, max_length=MAX_DOCUMENT_BYTES * 4 // 3 + 4)

    @field_validator("source")
    @classmethod
    def _relative_path(cls, value: str) -> str:
        problem = source_problem(value)
        if problem is not None:
            raise PydanticCustomError("invalid_source", "{problem}", {"problem": problem})
        return PurePosixPath(value).as_posix()

    @model_validator(mode="after")
    def _one_content(self) -> UploadedDocument:
        if (self.content is None) == (self.content_base64 is None):
            raise ValueError("give exactly one of content and content_base64")
        suffix = PurePosixPath(self.source).suffix.lower()
        if self.content is not None and SUFFIXES[suffix] not in TEXT_FORMATS:
            # Binary bytes do not survive a JSON string; they arrive as base64 or not at all.
            raise ValueError(f"a {suffix} file is binary: send it as content_base64")
        return self

    def data(self) -> bytes:
        if self.content is not None:
            return self.content.encode("utf-8")
        try:
            return base64.b64decode(self.content_base64 or "", validate=True)
        except binascii.Error as exc:
            raise ValueError(f"{self.source}: content_base64 is not base64") from exc


class IngestRequest(BaseModel):
    documents: list[UploadedDocument] = Field(min_length=1, max_length=MAX_DOCUMENTS)
    domain: str | None = Field(
        default=None,
        max_length=64,
        description="File every document under this domain: one of the specialists' domains, "
        "as `GET /api/v1/knowledge` lists them.",
    )
    dry_run: bool = False

    @model_validator(mode="after")
    def _sources_apart(self) -> IngestRequest:
        sources = [PurePosixPath(d.source) for d in self.documents]
        named = set()
        for source in sources:
            if source in named:
                raise PydanticCustomError(
                    "invalid_source", "{source} is given twice", {"source": str(source)}
                )
            named.add(source)
        for source in sources:
            folder = next((p for p in source.parents if p in named), None)
            if folder is not None:
                raise PydanticCustomError(
                    "invalid_source",
                    "{source} would be inside {folder}, which is a document",
                    {"source": str(source), "folder": str(folder)},
                )
        return self


class FileProblem(BaseModel):
    source: str
    reason: str


class DomainNote(BaseModel):
    source: str
    domain: str
    origin: str
    sections: dict[str, int]
    confidence: float
    note: str


class IngestResult(BaseModel):
    """What an ingest did; `revision` is the knowledge base's version now live."""

    added: int
    updated: int
    unchanged: int
    removed: int
    failed: list[FileProblem]
    skipped: list[FileProblem]
    chunks_embedded: int
    chunks_total: int
    elapsed_s: float
    dry_run: bool
    domains: list[DomainNote]
    catalogue: Catalogue | None
    revision: str | None


class KnowledgeState(BaseModel):
    revision: str | None
    chunks: int
    catalogue: Catalogue
    domains: list[str] = Field(
        description="The domains documents are filed under: the specialists'"
    )


def _problem(status: int, code: str, exc: Exception) -> HTTPException:
    return HTTPException(status, {"code": code, "message": str(exc)})


def storage_problem(doing: str, exc: OSError) -> HTTPException:
    """A file-system error of the upload as its own error, never the database outage that an
    OSError elsewhere means (`api.http_errors`)."""
    status = 507 if exc.errno in OUT_OF_SPACE else 500
    message = f"The server could not {doing}: {exc.strerror or exc}"
    return HTTPException(status, {"code": "STORAGE_ERROR", "message": message})


def _result(report: IngestReport) -> IngestResult:
    return IngestResult.model_validate(report.to_dict())


@router.get("", response_model=KnowledgeState)
async def knowledge(_: StaffUser, state: State) -> KnowledgeState:
    """The knowledge base now live: its revision, size and catalogue."""
    snapshot = await asyncio.to_thread(state.orchestrator.services.retriever.current)
    return KnowledgeState(
        revision=snapshot.revision,
        chunks=len(snapshot.ids),
        catalogue=snapshot.catalogue,
        domains=list(state.orchestrator.services.specialists.domains),
    )


@router.post(INGEST_PATH.removeprefix(router.prefix), response_model=IngestResult)
async def ingest(body: IngestRequest, _: AdminUser, state: State) -> IngestResult:
    """Add or replace documents while serving; turns see the new version as soon as it is live."""
    services = state.orchestrator.services
    domains = services.specialists.domains
    if body.domain is not None and body.domain not in domains:
        message = f"No domain {body.domain!r}; one of: {', '.join(domains)}"
        raise HTTPException(422, {"code": "INVALID_DOMAIN", "message": message})
    try:
        upload = Path(tempfile.mkdtemp(prefix="upload-", dir=state.settings.data_dir))
    except OSError as exc:
        raise storage_problem("make a folder for the upload", exc) from None
    try:
        for document in body.documents:
            try:
                data = document.data()
            except ValueError as exc:
                raise HTTPException(
                    422, {"code": "INVALID_DOCUMENT", "message": str(exc)}
                ) from None
            target = upload / document.source
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            except OSError as exc:
                raise storage_problem(f"store {document.source}", exc) from None
        async with state.ingesting:
            try:
                report = await asyncio.to_thread(
                    run_ingest,
                    state.settings,
                    services.retriever.store,
                    [upload],
                    lambda: services.embedder,
                    domain_classifier(lambda: services.router),
                    dry_run=body.dry_run,
                    domain=body.domain,
                    domains=domains,
                    batch_size=SERVING_BATCH,
                )
            except ConcurrentIngest as exc:
                raise _problem(409, "INGEST_CONFLICT", exc) from None
            except EmbeddingModelMismatch as exc:
                raise HTTPException(
                    409, {"code": "EMBEDDING_MISMATCH", "message": str(exc)}
                ) from None
            except OSError as exc:
                if isinstance(exc, ConnectionError):  # a Chroma server away: an outage
                    raise
                raise storage_problem("read the upload or write the knowledge base", exc) from None
            if report.revision is not None:
                await asyncio.to_thread(services.retriever.refresh)
        return _result(report)
    finally:
        shutil.rmtree(upload, ignore_errors=True)
