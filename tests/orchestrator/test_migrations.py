"""The migrations build the schema the models describe, and can be undone."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import URL

from orchestrator import db_url as urls
from orchestrator.models import Base
from orchestrator.persistence import db_engine

TABLES = {"users", "vehicles", "conversations", "messages", "appointments", "feedback"}


def _tables(url: URL) -> set[str]:
    engine = create_engine(urls.sync_url(url))
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(empty_db_url: URL) -> None:
    db_engine.upgrade(empty_db_url)
    assert _tables(empty_db_url) >= TABLES
    db_engine.downgrade(empty_db_url, "base")
    assert not TABLES & _tables(empty_db_url)
    db_engine.upgrade(empty_db_url)
    assert _tables(empty_db_url) >= TABLES


def test_models_match_migrations(db_url: URL) -> None:
    engine = create_engine(urls.sync_url(db_url))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "target_metadata": Base.metadata}
            )
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()
