"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from orchestrator.persistence import db_engine
from tests.utils.databases import BACKENDS, MigratedTemplates, fresh_database
from tests.utils.server import SharedServers

if TYPE_CHECKING:
    from orchestrator.settings import Settings


@pytest.fixture(params=BACKENDS)
def db_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def empty_db_url(db_backend: str, tmp_path: Path) -> Iterator[URL]:
    """A database with no tables, on each backend in turn."""
    with fresh_database(db_backend, tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigratedTemplates]:
    templates = MigratedTemplates(tmp_path_factory.mktemp("migrated"))
    try:
        yield templates
    finally:
        templates.close()


@pytest.fixture
def db_url(db_backend: str, tmp_path: Path, migrated_templates: MigratedTemplates) -> Iterator[URL]:
    """A database at the newest schema, on each backend in turn: a copy of one that was upgraded
    once per run (test_migrations runs the migrations themselves)."""
    with fresh_database(db_backend, tmp_path, migrated_templates.of(db_backend)) as url:
        yield url


@pytest.fixture
async def engine(db_url: URL) -> AsyncIterator[AsyncEngine]:
    engine = db_engine.create_engine(db_url)
    yield engine
    await engine.dispose()


REPO = Path(__file__).resolve().parent.parent
# The embedding model's ONNX export, shared by every data dir of the run and by the servers
# the tests start (they inherit the environment): exported once per checkout, not per test.
MODEL_CACHE = REPO / ".cache" / "models"
os.environ.setdefault("MODEL_CACHE_DIR", str(MODEL_CACHE))
KNOWLEDGE_BASE = REPO / "knowledge_base"
# A second company's knowledge base: another brand, models and folder layout (no domain folders).
HALDEN = REPO / "tests" / "data" / "corpora" / "halden"


@pytest.fixture(scope="session")
def sample_catalogue():  # type: ignore[no-untyped-def]
    """The catalogue the sample knowledge base defines."""
    from agents.registry import default_registry
    from rag.ingest import catalogue_of

    return catalogue_of([KNOWLEDGE_BASE], default_registry().domains)


@pytest.fixture(scope="session")
def halden_catalogue():  # type: ignore[no-untyped-def]
    """The catalogue the second corpus defines."""
    from agents.registry import default_registry
    from rag.ingest import catalogue_of

    return catalogue_of([HALDEN / "docs"], default_registry().domains)


@pytest.fixture(scope="session")
def embedder():  # type: ignore[no-untyped-def]
    """The real default embedding model, loaded once for the whole run."""
    from rag.embeddings import load_embedder

    return load_embedder(cache_dir=Path(os.environ["MODEL_CACHE_DIR"]))


@pytest.fixture(scope="session")
def kb_settings(tmp_path_factory: pytest.TempPathFactory, embedder):  # type: ignore[no-untyped-def]
    """Settings whose data dir holds the sample knowledge base, ingested once per run."""
    from agents.registry import default_registry
    from orchestrator.knowledge import knowledge_store
    from orchestrator.settings import Settings
    from rag.ingest import ingest

    settings = Settings(
        data_dir=tmp_path_factory.mktemp("kb-data"),
        _env_file=None,  # type: ignore[call-arg]
    )
    report = ingest(
        [KNOWLEDGE_BASE],
        knowledge_store(settings),
        lambda: embedder,
        embedding_model=embedder.name,
        domains=default_registry().domains,
    )
    assert not report.failed, report.failed
    return settings


@pytest.fixture(scope="session")
def retriever(kb_settings, embedder):  # type: ignore[no-untyped-def]
    from orchestrator.knowledge import knowledge_store
    from rag.retriever import Retriever

    return Retriever(knowledge_store(kb_settings), embedder)


# What the shared servers run with (tests/api's `server`, the chat command's tests).
RATE_LIMIT = 8
AUTH_TIMEOUT_S = 3  # shorter than the default 10 s, so the deadline is tested quickly


@pytest.fixture(scope="session")
def shared_servers(
    tmp_path_factory: pytest.TempPathFactory, kb_settings: Settings
) -> Iterator[SharedServers]:
    """Offline-mode servers on the sample knowledge base, one per backend, each started once per
    run for every module that needs no settings of its own (a start costs seconds)."""
    with SharedServers(
        tmp_path_factory.mktemp("shared-servers"),
        kb_settings.chroma_path,
        RATE_LIMIT_MESSAGES=str(RATE_LIMIT),
        RATE_LIMIT_WINDOW_S="60",
        AUTH_TIMEOUT_S=str(AUTH_TIMEOUT_S),
    ) as servers:
        yield servers
