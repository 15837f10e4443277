"""DATABASE_URL parsing: drivers are chosen for the user, mistakes are named."""

from __future__ import annotations

import pytest

from orchestrator import db_url
from orchestrator.errors import StartupError


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("sqlite:////tmp/x.sqlite3", "sqlite+aiosqlite"),
        ("sqlite+aiosqlite:////tmp/x.sqlite3", "sqlite+aiosqlite"),
        ("postgresql://u@h/db", "postgresql+psycopg"),
        ("postgres://u@h/db", "postgresql+psycopg"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg"),
    ],
)
def test_drivers_are_normalised_to_async_ones(given: str, driver: str) -> None:
    assert db_url.parse(given).drivername == driver


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ("not a url", "malformed"),
        ("mysql://u@h/db", "not supported"),
        ("sqlite://", "in-memory"),
        ("postgresql://u@h", "no database name"),
    ],
)
def test_bad_urls_say_what_is_wrong(given: str, problem: str) -> None:
    with pytest.raises(StartupError, match=problem):
        db_url.parse(given)


def test_descriptions_never_show_the_password() -> None:
    url = db_url.parse("postgresql://user:hunter2@db.internal:5433/prod")
    assert "hunter2" not in db_url.describe(url)
    assert db_url.describe(url) == "PostgreSQL db.internal:5433/prod"
