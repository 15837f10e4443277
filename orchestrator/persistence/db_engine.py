"""The SQL database: async engine and sessions, reachability check, and Alembic migrations."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from orchestrator import db_url
from orchestrator.errors import StartupError

CONNECT_TIMEOUT_S = 10  # a PostgreSQL host that does not answer fails a connection this soon
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def create_engine(url: URL, pool_timeout_s: float = 30.0, *, pooled: bool = True) -> AsyncEngine:
    """An async engine; SQLite gets foreign keys and WAL so readers never block the writer.

    `pool_timeout_s` is how long a session waits for a pooled connection before failing;
    `pooled=False` opens a connection of its own for each use (a probe's).
    """
    unpooled: dict[str, Any] = {} if pooled else {"poolclass": NullPool}
    if db_url.is_sqlite(url):
        engine = create_async_engine(url, connect_args={"timeout": 30}, **unpooled)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    connect_args = {"connect_timeout": CONNECT_TIMEOUT_S}
    if not pooled:
        return create_async_engine(url, connect_args=connect_args, **unpooled)
    return create_async_engine(
        url,
        pool_size=10,
        max_overflow=20,
        pool_pre_ping=True,
        pool_timeout=pool_timeout_s,
        connect_args=connect_args,
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def check_reachable(engine: AsyncEngine) -> None:
    """Connect once, or raise a StartupError naming the database and the fix."""
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (OperationalError, DBAPIError, OSError) as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        raise StartupError(
            f"cannot reach the database ({db_url.describe(engine.url)}: {reason})",
            "Check that it is running and that DATABASE_URL is right",
        ) from None


def alembic_config(url: URL) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["url"] = db_url.sync_url(url)
    return config


def _run_alembic(url: URL, action: str, revision: str) -> None:
    try:
        getattr(command, action)(alembic_config(url), revision)
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0]
        raise StartupError(
            f"cannot migrate the database ({db_url.describe(url)}: {reason})",
            "Check that it is running and that DATABASE_URL is right",
        ) from None


def upgrade(url: URL, revision: str = "head") -> None:
    """Bring the schema up to `revision` (blocking: call from a thread in async code)."""
    if db_url.is_sqlite(url) and url.database:
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    _run_alembic(url, "upgrade", revision)


def downgrade(url: URL, revision: str) -> None:
    _run_alembic(url, "downgrade", revision)


@asynccontextmanager
async def open_database(url: URL, pool_timeout_s: float = 30.0) -> AsyncIterator[AsyncEngine]:
    """An engine that is disposed of on exit."""
    engine = create_engine(url, pool_timeout_s)
    try:
        yield engine
    finally:
        await engine.dispose()


# pg_advisory_lock key for start-up work that must not run twice at once (any fixed bigint).
STARTUP_LOCK = 0x6F72636865737472  # "orchestr"
STARTUP_LOCK_POLL_S = 0.2


@asynccontextmanager
async def startup_lock(engine: AsyncEngine) -> AsyncIterator[None]:
    """Held while one instance migrates and sets up the checkpointer tables: instances started
    together on a fresh PostgreSQL database take turns instead of colliding. SQLite serves one
    instance and needs none."""
    if engine.dialect.name != "postgresql":
        yield
        return
    # The checkpointer's CREATE INDEX CONCURRENTLY waits for every transaction in the database
    # to end, a waiting pg_advisory_lock() included: so no open transaction here (autocommit),
    # and short tries instead of one blocking call.
    async with engine.connect() as connection:
        locked = await connection.execution_options(isolation_level="AUTOCOMMIT")
        try_lock = text("SELECT pg_try_advisory_lock(:key)")
        while True:  # another instance holds it: it is migrating, wait for it to finish
            if (await locked.execute(try_lock, {"key": STARTUP_LOCK})).scalar():
                break
            await asyncio.sleep(STARTUP_LOCK_POLL_S)
        try:
            yield
        finally:
            await locked.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": STARTUP_LOCK})
