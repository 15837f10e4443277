"""`orchestrator customer export|erase`: one customer's data read from, or erased in, this
machine's database with no server up, and with REDIS_URL from the shared live state too."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy.engine import URL, make_url

from api.live.takeover import RunningTurn
from orchestrator.persistence import Database, db_engine
from tests.conftest import REPO
from tests.utils.live import REDIS_URL
from tests.utils.row_scan import rows_holding
from tests.utils.turns import stored_turn

pytestmark = pytest.mark.slow

TAG = uuid.uuid4().hex[:8]
ADA, BOB = f"ada-{TAG}", f"bob-{TAG}"
ADA_SAYS, BOB_SAYS = f"Ada's Ridge tows what? zq{TAG}a", f"Bob's Aster charges how? zq{TAG}b"


def customer(data: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_"))
    }
    # This checkout's code, whichever one the environment installed; run outside it, so that
    # no .env of the checkout is read.
    environment.update(ORCHESTRATOR_DATA_DIR=str(data), PYTHONPATH=str(REPO), COLUMNS="200", **env)
    return subprocess.run(
        [sys.executable, "-m", "orchestrator", "customer", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=data.parent,
        timeout=120,
    )


@pytest.fixture
def data_dir(tmp_path: Path) -> tuple[Path, URL]:
    """A data dir whose database holds a conversation of Ada's and one of Bob's."""
    data = tmp_path / "data"
    url = make_url(f"sqlite+aiosqlite:///{data / 'orchestrator.sqlite3'}")
    db_engine.upgrade(url)

    async def seed() -> None:
        async with db_engine.open_database(url) as engine:
            db = Database(db_engine.session_factory(engine))
            await stored_turn(db, f"{ADA}-s1", ADA_SAYS, "3,500 kg.", owner=ADA)
            await stored_turn(db, f"{BOB}-s1", BOB_SAYS, "In 30 minutes.", owner=BOB)

    asyncio.run(seed())
    return data, url


def test_an_export_is_printed_or_written_and_holds_only_the_customers_own(
    data_dir: tuple[Path, URL],
) -> None:
    data, _ = data_dir
    printed = customer(data, "export", ADA)
    assert printed.returncode == 0, printed.stderr
    record = json.loads(printed.stdout)
    assert record["customer"]["id"] == ADA
    assert [m["content"] for m in record["conversations"][0]["messages"]] == [
        ADA_SAYS,
        "3,500 kg.",
    ]
    assert BOB not in printed.stdout and BOB_SAYS not in printed.stdout

    written = customer(data, "export", ADA, "--out", str(data / "ada.json"))
    assert written.returncode == 0, written.stderr
    assert f"exported {ADA} (1 conversations)" in written.stderr
    assert [r["by"]["id"] for r in json.loads((data / "ada.json").read_text())["requests"]] == [
        "cli"
    ]

    missing = customer(data, "export", "nobody")
    assert missing.returncode == 1 and "error: no customer nobody" in missing.stderr


@pytest.fixture
def redis_prefix() -> Iterator[tuple[Redis, str]]:
    client = Redis.from_url(REDIS_URL, decode_responses=True)
    prefix = f"test-{uuid.uuid4().hex[:12]}:"
    try:
        yield client, prefix
    finally:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()


def test_an_erasure_wants_yes_then_leaves_nothing_of_the_customer_in_sql_or_redis(
    data_dir: tuple[Path, URL], redis_prefix: tuple[Redis, str]
) -> None:
    data, url = data_dir
    redis, prefix = redis_prefix
    for who in (ADA, BOB):  # what a server on this Redis kept of their sessions
        redis.xadd(f"{prefix}events:session:{who}-s1", {"e": f"{{}} said by {who}"})
        redis.set(f"{prefix}seq:session:{who}-s1", 1)
        redis.zadd(f"{prefix}ratelimit:{who}", {"hit": 1.0})
        running = RunningTurn(
            session_id=f"{who}-s1", turn_id="t1", customer_id=who, author_id=who, text="hi"
        )
        redis.hset(f"{prefix}turns", f"{who}-s1", running.model_dump_json())
    redis_env = {"REDIS_URL": REDIS_URL, "REDIS_PREFIX": prefix}

    unsure = customer(data, "erase", ADA, **redis_env)
    assert unsure.returncode == 2 and "--yes" in unsure.stderr
    assert rows_holding(url, [ADA])["users"][ADA] == 1

    erased = customer(data, "erase", ADA, "--yes", **redis_env)

    assert erased.returncode == 0, erased.stderr
    assert f"erased {ADA}: 4 rows (messages 2, conversations 1, users 1)" in erased.stdout
    assert rows_holding(url, [ADA, ADA_SAYS]) == {"data_requests": {ADA: 1}}
    assert rows_holding(url, [BOB_SAYS])["messages"][BOB_SAYS] == 1
    left = sorted(redis.scan_iter(match=f"{prefix}*"))
    assert not [key for key in left if ADA in key] and ADA not in str(
        redis.hgetall(f"{prefix}turns")
    )
    assert [key for key in left if BOB in key] == [
        f"{prefix}events:session:{BOB}-s1",
        f"{prefix}ratelimit:{BOB}",
        f"{prefix}seq:session:{BOB}-s1",
    ]
    again = customer(data, "erase", ADA, "--yes")
    assert again.returncode == 1 and f"error: no customer {ADA}" in again.stderr
