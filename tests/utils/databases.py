"""Fresh databases for tests: a SQLite file, or a PostgreSQL database of the run's own."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import URL, make_url

from orchestrator.persistence import db_engine

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ("sqlite", "postgresql")


def _admin_dsn() -> str:
    return make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql").render_as_string(False)


@contextmanager
def fresh_database(backend: str, tmp_path: Path, template: URL | None = None) -> Iterator[URL]:
    """A database that nothing else uses, dropped afterwards: empty, or a copy of `template` (a
    database of the same backend that nothing is connected to)."""
    if backend == "sqlite":
        path = tmp_path / "test.sqlite3"
        if template is not None:
            shutil.copyfile(str(template.database), path)
        yield make_url(f"sqlite+aiosqlite:///{path}")
        return
    name = f"orch_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(_admin_dsn(), autocommit=True)
    except psycopg.OperationalError as exc:
        raise RuntimeError(
            f"PostgreSQL is required for the test suite ({POSTGRES_ADMIN_URL}): {exc}"
        ) from exc
    copy = f' TEMPLATE "{template.database}"' if template is not None else ""
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"{copy}')
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name)
    finally:
        with psycopg.connect(_admin_dsn(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class MigratedTemplates:
    """One database per backend upgraded to the newest schema, made the first time a test asks:
    each test's own database is a copy of it, cheaper than running every migration again."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._templates: dict[str, URL] = {}
        self._databases = ExitStack()

    def of(self, backend: str) -> URL:
        template = self._templates.get(backend)
        if template is None:
            template = self._databases.enter_context(fresh_database(backend, self.root / backend))
            db_engine.upgrade(template)
            self._templates[backend] = template
        return template

    def close(self) -> None:
        self._databases.close()
