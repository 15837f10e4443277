"""Everything a running service holds open: database, checkpointer (and later the models)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from langgraph.checkpoint.base import BaseCheckpointSaver
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from orchestrator import db_url
from orchestrator.checkpointer import open_checkpointer
from orchestrator.data_dir import ensure_writable
from orchestrator.errors import StartupError
from orchestrator.persistence import Database, db_engine
from orchestrator.settings import Environment, Settings

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    url: URL
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    checkpointer: BaseCheckpointSaver[str]


async def _schema_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


async def prepare_schema(settings: Settings, url: URL, engine: AsyncEngine) -> None:
    """Development upgrades the schema itself; production refuses to run on an old one."""
    if settings.environment is Environment.development:
        await asyncio.to_thread(db_engine.upgrade, url)
        return
    head = ScriptDirectory.from_config(db_engine.alembic_config(url)).get_current_head()
    current = await _schema_revision(engine)
    if current != head:
        raise StartupError(
            f"the database schema is at revision {current or 'none'}, not {head}",
            "Run `orchestrator db upgrade` first",
        )


@asynccontextmanager
async def open_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """Check the environment, open every resource, and close them all on exit."""
    url = db_url.parse(settings.resolved_database_url)
    ensure_writable(settings.data_dir)
    async with AsyncExitStack() as stack:
        # Under a burst, turns queue for a connection for as long as a turn may take, rather
        # than fail after SQLAlchemy's default 30 s (255 of 1,000 burst turns did).
        engine = await stack.enter_async_context(
            db_engine.open_database(url, pool_timeout_s=settings.turn_timeout_s)
        )
        await db_engine.check_reachable(engine)
        sessions = db_engine.session_factory(engine)
        async with db_engine.startup_lock(engine):
            await prepare_schema(settings, url, engine)
            checkpointer = await stack.enter_async_context(
                open_checkpointer(
                    url,
                    pool_timeout_s=settings.turn_timeout_s,
                    fence_check=Database(sessions).holds_fence,
                )
            )
        log.info("database ready: %s", db_url.describe(url))
        yield Runtime(
            settings=settings,
            url=url,
            engine=engine,
            sessions=sessions,
            checkpointer=checkpointer,
        )
