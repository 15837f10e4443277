"""LangGraph's checkpointer in the product's own database: SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from sqlalchemy.engine import URL

from orchestrator import db_url

CONNECT_TIMEOUT_S = 10  # a database host that does not answer fails a connection this soon
RECONNECT_GIVE_UP_S = 10.0


async def ping(saver: BaseCheckpointSaver[str]) -> None:
    """Raise unless the checkpointer can reach its database now (for readiness)."""
    conn: Any = getattr(saver, "conn", None)
    if hasattr(conn, "connection"):  # a psycopg pool: a checked connection from it
        async with conn.connection() as connection:
            await connection.execute("SELECT 1")
    elif conn is not None:  # one aiosqlite connection
        await conn.execute("SELECT 1")


@asynccontextmanager
async def open_checkpointer(
    url: URL, pool_timeout_s: float = 30.0
) -> AsyncIterator[BaseCheckpointSaver[str]]:
    """A set-up async saver on the database at `url`, closed on exit."""
    if db_url.is_sqlite(url):
        import aiosqlite
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        async with aiosqlite.connect(str(url.database), timeout=30) as connection:
            await connection.execute("PRAGMA journal_mode=WAL")
            sqlite_saver = AsyncSqliteSaver(connection)
            await sqlite_saver.setup()
            yield sqlite_saver
        return

    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    from psycopg import AsyncConnection
    from psycopg.rows import DictRow, dict_row
    from psycopg_pool import AsyncConnectionPool

    # The saver's documented needs: autocommit connections, dict rows, no prepared statements
    # (so that poolers such as PgBouncer work), and setup() outside a transaction.
    pool: AsyncConnectionPool[AsyncConnection[DictRow]] = AsyncConnectionPool(
        db_url.libpq_dsn(url),
        min_size=1,
        max_size=10,
        timeout=pool_timeout_s,
        # While the database is away, give up reconnecting after this long rather than back
        # off for minutes: the next turn then starts a fresh attempt at once.
        reconnect_timeout=RECONNECT_GIVE_UP_S,
        open=False,
        # A connection the database dropped (a restart, a network cut) is found dead when
        # it is handed out, and replaced: the first turn after an outage works.
        check=AsyncConnectionPool.check_connection,
        kwargs={
            "autocommit": True,
            "prepare_threshold": 0,
            "row_factory": dict_row,
            "connect_timeout": CONNECT_TIMEOUT_S,
        },
    )
    await pool.open()
    try:
        saver = AsyncPostgresSaver(pool)
        await saver.setup()
        yield saver
    finally:
        await pool.close()
