"""Every table of a live database searched for strings: what an erasure must leave nowhere.

The tables are read from the database itself, not from the models, so a table that a
migration or the checkpointer adds is searched too; binary columns (the checkpointer's blobs)
are searched as text, where strings stand as they were written.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection
from typing import Any

from sqlalchemy import MetaData, Table, create_engine, inspect, select
from sqlalchemy.engine import URL

from orchestrator import db_url


def _text(value: Any) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def rows_holding(url: URL, needles: Collection[str]) -> dict[str, Counter[str]]:
    """For each table with a row holding any of `needles`: how many rows hold each."""
    found: dict[str, Counter[str]] = {}
    engine = create_engine(db_url.sync_url(url))
    try:
        with engine.connect() as connection:
            for name in inspect(connection).get_table_names():
                table = Table(name, MetaData(), autoload_with=connection)
                for row in connection.execute(select(table)):
                    text = "\x00".join(_text(value) for value in row)
                    for needle in needles:
                        if needle in text:
                            found.setdefault(name, Counter())[needle] += 1
    finally:
        engine.dispose()
    return found
