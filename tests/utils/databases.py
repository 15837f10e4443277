"""Fresh databases for tests: a SQLite file, or a PostgreSQL database of the run's own."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import URL, make_url

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ("sqlite", "postgresql")


def _admin_dsn() -> str:
    return make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql").render_as_string(False)


@contextmanager
def fresh_database(backend: str, tmp_path: Path) -> Iterator[URL]:
    """An empty database that nothing else uses, dropped afterwards."""
    if backend == "sqlite":
        yield make_url(f"sqlite+aiosqlite:///{tmp_path / 'test.sqlite3'}")
        return
    name = f"orch_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(_admin_dsn(), autocommit=True)
    except psycopg.OperationalError as exc:
        raise RuntimeError(
            f"PostgreSQL is required for the test suite ({POSTGRES_ADMIN_URL}): {exc}"
        ) from exc
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name)
    finally:
        with psycopg.connect(_admin_dsn(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
