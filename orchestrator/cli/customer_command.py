"""`orchestrator customer export|erase`: one customer's data in the database this machine uses,
read whole or erased, each recorded as the command line's act (`CLI`).

It needs no server. With `REDIS_URL` set, an erasure also drops what the shared live state
keeps of the customer's sessions (events kept for `resume`, turn records, their rate-limit
count). It cannot stop a turn a server is running, nor reach a server's own memory when the
live state is kept in its process: while a server runs, erase through its API.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console
from sqlalchemy.exc import DBAPIError

from orchestrator import db_url
from orchestrator.cli.local_database import database_url
from orchestrator.errors import StartupError
from orchestrator.persistence import Database, NotFound, Person, Refused, db_engine
from orchestrator.persistence.customer_record import Erasure
from orchestrator.settings import Settings

CLI: Person = ("cli", "command line", "admin")
Done = TypeVar("Done")


async def _on_database(settings: Settings, act: Callable[[Database], Awaitable[Done]]) -> Done:
    url = database_url(settings)
    async with db_engine.open_database(url) as engine:
        await db_engine.check_reachable(engine)
        try:
            return await act(Database(db_engine.session_factory(engine)))
        except DBAPIError as exc:
            raise StartupError(
                f"cannot read the customers in {db_url.describe(url)} ({exc.orig})",
                "Run `orchestrator db upgrade`",
            ) from None


def _run(work: Coroutine[Any, Any, Done], err: Console) -> Done | None:
    """What `work` returns; None, said on `err`, when there is no such customer (or it is a
    staff member's account)."""
    try:
        return asyncio.run(work)
    except (NotFound, Refused) as exc:
        reason = f"no customer {exc}" if isinstance(exc, NotFound) else str(exc)
        err.print(f"error: {reason}", highlight=False)
        return None


async def _erase(settings: Settings, customer_id: str) -> Erasure:
    """Erase the customer's rows, then what the live state on Redis keeps of their sessions;
    Redis is reached first, so that one that cannot be leaves everything as it was."""
    if settings.redis_url is None:
        return await _on_database(settings, lambda db: db.erase_customer(customer_id, CLI))
    from api.live.live_redis import RedisLiveState
    from api.live.ratelimit import RedisSlidingWindow
    from api.live.shared_state import open_redis
    from api.live.takeover import RedisTurns
    from api.session.erasure import forget_sessions

    prefix = settings.redis_prefix
    async with open_redis(settings.redis_url, max_connections=4) as redis:
        erased = await _on_database(settings, lambda db: db.erase_customer(customer_id, CLI))
        live, turns = RedisLiveState(redis, prefix), RedisTurns(redis, prefix)
        await forget_sessions(live, turns, erased.session_ids)
        limiter = RedisSlidingWindow(
            redis, prefix, settings.rate_limit_messages, settings.rate_limit_window_s
        )
        await limiter.forget(customer_id)
    return erased


def export(settings: Settings, customer_id: str, out_file: Path | None, err: Console) -> int:
    """Print everything stored about the customer as JSON, or write it to `out_file`; the exit
    code (1: no such customer)."""
    below = settings.gap_score_below
    record = _run(
        _on_database(
            settings, lambda db: db.export_customer(customer_id, CLI, gap_score_below=below)
        ),
        err,
    )
    if record is None:
        return 1
    text = record.model_dump_json(indent=2)
    if out_file is None:
        print(text)
        return 0
    out_file.write_text(text + "\n")
    conversations = len(record.conversations)
    err.print(f"exported {customer_id} ({conversations} conversations) to {out_file}")
    return 0


def erase(settings: Settings, customer_id: str, out: Console, err: Console) -> int:
    """Erase every row of the customer and, with `REDIS_URL`, their live state; the exit code
    (1: no such customer)."""
    erased = _run(_erase(settings, customer_id), err)
    if erased is None:
        return 1
    rows = ", ".join(f"{table} {n}" for table, n in erased.counts.items() if n)
    out.print(f"erased {customer_id}: {sum(erased.counts.values())} rows ({rows})", highlight=False)
    if settings.redis_url:
        out.print(f"dropped the live state of {len(erased.session_ids)} sessions on Redis")
    return 0
