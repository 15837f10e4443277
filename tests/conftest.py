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
