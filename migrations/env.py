"""Alembic environment: the models' metadata and the URL handed over by
orchestrator.persistence.db_engine."""

from __future__ import annotations

from typing import Literal

from alembic import context
from sqlalchemy import create_engine, pool
from sqlalchemy.engine import URL

from orchestrator import db_url
from orchestrator.models import Base, UTCDateTime
from orchestrator.settings import get_settings

config = context.config
target_metadata = Base.metadata


def _url() -> URL:
    url = config.attributes.get("url")
    if url is not None:
        return url  # type: ignore[no-any-return]
    return db_url.sync_url(db_url.parse(get_settings().resolved_database_url))


def _render_item(type_: str, obj: object, autogen_context: object) -> str | Literal[False]:
    """Render our UTC column type as the plain DateTime it stores, keeping revisions standalone."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_offline() -> None:
    url = _url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=db_url.is_sqlite(url),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = _url()
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=db_url.is_sqlite(url),
            compare_type=True,
            render_item=_render_item,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
