"""Pure handling of database URLs: parse, pick drivers, describe; no connections here."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from orchestrator.errors import StartupError

SUPPORTED = "sqlite+aiosqlite:///path/to/file.sqlite3 or postgresql+psycopg://user@host:5432/dbname"


def parse(url: str) -> URL:
    """Parse DATABASE_URL into its async form, or raise a StartupError that says how to fix it."""
    try:
        parsed = make_url(url)
        parsed.get_backend_name()
    except ArgumentError as exc:
        raise StartupError(f"DATABASE_URL is malformed ({exc})", f"Use {SUPPORTED}") from None
    backend = parsed.get_backend_name()
    if backend == "postgres":  # the scheme many hosting providers hand out
        backend = "postgresql"
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise StartupError(
                "DATABASE_URL names an in-memory SQLite database",
                "Conversations must survive restarts: point it at a file",
            )
        return parsed.set(drivername="sqlite+aiosqlite")
    if backend == "postgresql":
        if not parsed.database:
            raise StartupError("DATABASE_URL has no database name", f"Use {SUPPORTED}")
        return parsed.set(drivername="postgresql+psycopg")
    raise StartupError(f"DATABASE_URL backend '{backend}' is not supported", f"Use {SUPPORTED}")


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def sync_url(url: URL) -> URL:
    """The same database with a synchronous driver, for Alembic."""
    return url.set(drivername="sqlite" if is_sqlite(url) else "postgresql+psycopg")


def libpq_dsn(url: URL) -> str:
    """A libpq connection string for psycopg (LangGraph's PostgreSQL checkpointer)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def describe(url: URL) -> str:
    """Where the database is, for messages; never includes the password."""
    if is_sqlite(url):
        return f"SQLite file {url.database}"
    return f"PostgreSQL {url.host or 'localhost'}:{url.port or 5432}/{url.database}"
