"""The knowledge base over REST: what it holds (staff), and ingesting documents (admins)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field, field_validator, model_validator

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
        path = PurePosixPath(value)
        if path.is_absolute() or ".." in path.parts or "\\" in value or value.startswith("."):
            raise ValueError("must be a relative path inside the knowledge base")
        if path.suffix.lower() not in SUFFIXES:
            raise ValueError(f"unsupported file type; use one of {', '.join(sorted(SUFFIXES))}")
        return path.as_posix()

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
    upload = Path(tempfile.mkdtemp(prefix="upload-", dir=state.settings.data_dir))
    try:
        for document in body.documents:
            try:
                data = document.data()
            except ValueError as exc:
                raise HTTPException(
                    422, {"code": "INVALID_DOCUMENT", "message": str(exc)}
                ) from None
            target = upload / document.source
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
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
            if report.revision is not None:
                await asyncio.to_thread(services.retriever.refresh)
        return _result(report)
    finally:
        shutil.rmtree(upload, ignore_errors=True)
