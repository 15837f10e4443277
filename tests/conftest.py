"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from orchestrator import database
from tests.utils.databases import BACKENDS, fresh_database


@pytest.fixture(params=BACKENDS)
def db_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def empty_db_url(db_backend: str, tmp_path: Path) -> Iterator[URL]:
    """A database with no tables, on each backend in turn."""
    with fresh_database(db_backend, tmp_path) as url:
        yield url


@pytest.fixture
def db_url(empty_db_url: URL) -> URL:
    """A database upgraded to the newest schema, on each backend in turn."""
    database.upgrade(empty_db_url)
    return empty_db_url


@pytest.fixture
async def engine(db_url: URL) -> AsyncIterator[AsyncEngine]:
    engine = database.create_engine(db_url)
    yield engine
    await engine.dispose()


REPO = Path(__file__).resolve().parent.parent
KNOWLEDGE_BASE = REPO / "knowledge_base"
# A second company's knowledge base: another brand, models and folder layout (no domain folders).
HALDEN = REPO / "tests" / "data" / "corpora" / "halden"


@pytest.fixture(scope="session")
def sample_catalogue():  # type: ignore[no-untyped-def]
    """The catalogue the sample knowledge base defines."""
    from rag.ingest import catalogue_of

    return catalogue_of([KNOWLEDGE_BASE])


@pytest.fixture(scope="session")
def halden_catalogue():  # type: ignore[no-untyped-def]
    """The catalogue the second corpus defines."""
    from rag.ingest import catalogue_of

    return catalogue_of([HALDEN / "docs"])


@pytest.fixture(scope="session")
def embedder():  # type: ignore[no-untyped-def]
    """The real default embedding model, loaded once for the whole run."""
    from rag.embeddings import load_embedder

    return load_embedder()


@pytest.fixture(scope="session")
def kb_settings(tmp_path_factory: pytest.TempPathFactory, embedder):  # type: ignore[no-untyped-def]
    """Settings whose data dir holds the sample knowledge base, ingested once per run."""
    from orchestrator.knowledge import knowledge_store
    from orchestrator.settings import Settings
    from rag.ingest import ingest

    settings = Settings(
        data_dir=tmp_path_factory.mktemp("kb-data"),
        _env_file=None,  # type: ignore[call-arg]
    )
    report = ingest(
        [KNOWLEDGE_BASE], knowledge_store(settings), lambda: embedder, embedding_model=embedder.name
    )
    assert not report.failed, report.failed
    return settings


@pytest.fixture(scope="session")
def retriever(kb_settings, embedder):  # type: ignore[no-untyped-def]
    from orchestrator.knowledge import knowledge_store
    from rag.retriever import Retriever

    return Retriever(knowledge_store(kb_settings), embedder)
