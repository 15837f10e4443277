"""The database the commands that run without a server read: `DATABASE_URL`, or the data dir's
SQLite file, which must exist (a command run elsewhere than the server finds none)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL

from orchestrator import db_url
from orchestrator.errors import StartupError
from orchestrator.settings import Settings


def database_url(settings: Settings) -> URL:
    """Its URL; StartupError when it is a SQLite file that is not there."""
    url = db_url.parse(settings.resolved_database_url)
    if db_url.is_sqlite(url) and url.database and not Path(url.database).exists():
        raise StartupError(
            f"there is no database at {url.database}",
            "Run it where the server runs, or set DATABASE_URL (and ORCHESTRATOR_DATA_DIR)",
        )
    return url
