"""LangGraph's checkpointer in the product's own database: SQLite or PostgreSQL, fenced.

Both savers reduce a thread to its latest checkpoint (`keep_latest`, for the retention):
PostgreSQL's with LangGraph's own `aprune`, SQLite's, which has none, with `SqlitePruning`.

A run of a turn that stalled past its lease and was taken over by another instance must store
nothing for it afterwards (its answer is fenced where it is saved). LangGraph writes a run's
checkpoint when the run ends, even when it is cancelled: coming back, the stalled run would
write its state over the one the run that took it over left, and the conversation's next turn
would read a history without the answer the customer got. A run says which it is in its
config (`fenced_config`); the saver writes its checkpoints only while that run holds the
turn's fence (`FenceCheck`, read from SQL at each write).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
)
from sqlalchemy.engine import URL

from orchestrator import db_url

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10  # a database host that does not answer fails a connection this soon
RECONNECT_GIVE_UP_S = 10.0
FENCE = "turn_fence"  # the config key of the run a graph run is: [turn id, attempt]
# Whether run `attempt` of a turn still holds its conversation's fence: (session, turn, attempt).
FenceCheck = Callable[[str, str, int], Awaitable[bool]]


def fenced_config(session_id: str, turn_id: str, attempt: int) -> RunnableConfig:
    """The config of one run of a turn: its thread, and which run it is."""
    return {"configurable": {"thread_id": session_id, FENCE: [turn_id, attempt]}}


class Fencing(BaseCheckpointSaver[str]):
    """Mixed into a saver: a run that no longer holds its turn's fence writes nothing."""

    fence_check: FenceCheck | None = None

    async def _taken_over(self, config: RunnableConfig) -> bool:
        configurable = config.get("configurable") or {}
        run = configurable.get(FENCE)
        if run is None or self.fence_check is None:
            return False
        turn_id, attempt = run
        if await self.fence_check(str(configurable["thread_id"]), turn_id, attempt):
            return False
        log.warning("turn %s (run %d) was taken over: its checkpoint is not written", *run)
        return True

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        if await self._taken_over(config):
            return config
        return await super().aput(config, checkpoint, metadata, new_versions)

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        if await self._taken_over(config):
            return
        await super().aput_writes(config, writes, task_id, task_path)


class Prunable(Protocol):
    async def aprune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None: ...


async def keep_latest(saver: Prunable, thread_id: str) -> bool:
    """Reduce a thread to the latest checkpoint of each namespace, with its pending writes;
    False when another transaction changed the thread meanwhile (on PostgreSQL, another
    instance reducing it too): nothing is lost, and reducing it again later is safe."""
    try:
        await saver.aprune([thread_id], strategy="keep_latest")
    except Exception as error:
        from psycopg import errors  # only PostgreSQL's saver conflicts; imported when it did

        if not isinstance(error, errors.SerializationFailure | errors.DeadlockDetected):
            raise
        log.info("checkpoints of %s changed while being reduced: reduced later", thread_id)
        return False
    return True


# Per namespace, every checkpoint older than the thread's newest (checkpoint ids grow with
# time), and the writes of those: a run may save a step's writes before the step's checkpoint,
# so writes go by the checkpoints removed, not by the ones kept.
SQLITE_OLDER = """
checkpoint_id < (
    SELECT MAX(newest.checkpoint_id) FROM checkpoints AS newest
    WHERE newest.thread_id = {table}.thread_id AND newest.checkpoint_ns = {table}.checkpoint_ns
)"""
SQLITE_KEEP_LATEST = (
    "DELETE FROM writes WHERE thread_id = ? AND" + SQLITE_OLDER.format(table="writes"),
    "DELETE FROM checkpoints WHERE thread_id = ? AND" + SQLITE_OLDER.format(table="checkpoints"),
    # A kept checkpoint whose parent went has none, as PostgreSQL's `aprune` leaves it.
    """UPDATE checkpoints SET parent_checkpoint_id = NULL
    WHERE thread_id = ? AND parent_checkpoint_id NOT IN (
        SELECT kept.checkpoint_id FROM checkpoints AS kept
        WHERE kept.thread_id = checkpoints.thread_id
        AND kept.checkpoint_ns = checkpoints.checkpoint_ns
    )""",
)


class SqlitePruning(BaseCheckpointSaver[str]):
    """LangGraph's `aprune` for its SQLite saver, which has none. A checkpoint there holds its
    channel values whole, so the latest one needs none of the older ones (no `DeltaChannel`
    in the product's graph). Each thread is reduced in one transaction."""

    conn: Any  # the saver's aiosqlite connection, and the lock it takes around it
    lock: Any

    async def aprune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        if isinstance(thread_ids, str):
            raise TypeError("thread_ids must be a sequence of thread ids, not a str")
        if strategy not in ("keep_latest", "delete"):
            raise ValueError(f"Unknown prune strategy: {strategy!r}")
        for thread_id in thread_ids:
            if strategy == "delete":
                await self.adelete_thread(str(thread_id))
                continue
            async with self.lock:
                try:
                    for sql in SQLITE_KEEP_LATEST:
                        await self.conn.execute(sql, (str(thread_id),))
                except BaseException:
                    await self.conn.rollback()
                    raise
                await self.conn.commit()


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
    url: URL, pool_timeout_s: float = 30.0, fence_check: FenceCheck | None = None
) -> AsyncIterator[BaseCheckpointSaver[str]]:
    """A set-up async saver on the database at `url`, closed on exit; with `fence_check`, a
    run taken over writes nothing (see `Fencing`)."""
    if db_url.is_sqlite(url):
        import aiosqlite
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        class FencedSqliteSaver(Fencing, SqlitePruning, AsyncSqliteSaver):
            pass

        async with aiosqlite.connect(str(url.database), timeout=30) as connection:
            await connection.execute("PRAGMA journal_mode=WAL")
            sqlite_saver = FencedSqliteSaver(connection)
            sqlite_saver.fence_check = fence_check
            await sqlite_saver.setup()
            yield sqlite_saver
        return

    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

    class FencedPostgresSaver(Fencing, AsyncPostgresSaver):
        pass

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
        saver = FencedPostgresSaver(pool)
        saver.fence_check = fence_check
        await saver.setup()
        yield saver
    finally:
        await pool.close()
