"""LangGraph's checkpointer in the product's own database: SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from langgraph.checkpoint.base import BaseCheckpointSaver
from sqlalchemy.engine import URL

from orchestrator import db_url


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
        open=False,
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
    )
    await pool.open()
    try:
        saver = AsyncPostgresSaver(pool)
        await saver.setup()
        yield saver
    finally:
        await pool.close()
