"""Redis lost while serving: the turn in flight finishes, numbered, and is saved; a new message
is refused with UNAVAILABLE and a wait on a connection that stays usable; `/ready` says the live
state is gone; service comes back with Redis, numbering on.

The Redis here is the test's own `redis-server` on a free port, so that it can be killed."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from orchestrator.settings import Settings
from tests.utils.chat_client import ChatClient, started, tokens_of
from tests.utils.databases import fresh_database
from tests.utils.fake_openai import LONG_ANSWER, FakeOpenAI, Reply, slow_answers
from tests.utils.server import ServerProcess, free_port, llm_env

pytestmark = pytest.mark.slow


class RedisProcess:
    """A `redis-server` keeping nothing on disk, that a test may kill and start again."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        self.binary = binary
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis.from_url(self.url).ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def own_redis() -> Iterator[RedisProcess]:
    server = RedisProcess()
    server.start()
    try:
        yield server
    finally:
        server.kill()


async def test_losing_redis_mid_turn_loses_nothing_and_service_comes_back(
    tmp_path: Path, kb_settings: Settings, fake_llm: FakeOpenAI, own_redis: RedisProcess
) -> None:
    user = f"fault-{uuid.uuid4().hex[:8]}"
    with fresh_database("postgresql", tmp_path) as url:
        server = ServerProcess(
            tmp_path / "a",
            kb_settings.chroma_path,
            url.render_as_string(False),
            REDIS_URL=own_redis.url,
            **llm_env(fake_llm.base_url),
        )
        server.start()
        try:
            with slow_answers(fake_llm, tokens_per_s=10):
                fake_llm.script(Reply(text=LONG_ANSWER))
                client = await ChatClient.connect(server.ws_url, server.token(user))
                async with client:
                    session_id = await started(client, "How often is the oil changed?")
                    before = await client.until("token")
                    own_redis.kill()
                    rest = await client.until("complete", within=60)

                    # Redis is still away: a new message is refused with a code, and the
                    # connection stays usable.
                    await client.send({"type": "message", "message": "And the tyres?"})
                    refused = await client.until("error", within=30)
                    await client.send({"type": "ping"})
                    assert (await client.until("pong"))[-1]["type"] == "pong"
                    over_rest = httpx.post(
                        f"{server.base_url}/api/v1/chat",
                        json={"message": "And the brakes?"},
                        headers={"Authorization": f"Bearer {server.token(user)}"},
                        timeout=30,
                    )
                    not_ready = httpx.get(f"{server.base_url}/ready", timeout=30)

                    own_redis.start()
                    fake_llm.script(*[Reply(text="Back again.")] * 5)
                    answered: list[dict[str, object]] = []
                    deadline = time.monotonic() + 30
                    while time.monotonic() < deadline:
                        again = {"type": "message", "message": "And the tyres?"}
                        await client.send({**again, "session_id": session_id})
                        answered = await client.until("complete", "error", within=30)
                        if answered[-1]["type"] == "complete":
                            break
                        await asyncio.sleep(1)
                    ready = httpx.get(f"{server.base_url}/ready", timeout=30)
            history = httpx.get(
                f"{server.base_url}/api/v1/sessions/{session_id}/messages",
                headers={"Authorization": f"Bearer {server.token(user)}"},
                timeout=30,
            )
        finally:
            server.stop()
    assert rest[-1]["type"] == "complete"
    assert rest[-1]["response"].startswith(LONG_ANSWER)
    assert LONG_ANSWER in tokens_of(before) + tokens_of(rest)
    # Every event of the turn is numbered, before and after the loss, one after another.
    seqs = [event.get("seq") for event in before + rest if event["type"] != "pong"]
    assert None not in seqs, [e for e in before + rest if "seq" not in e][:3]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs
    # A new message is refused as an outage, with when to send it again.
    assert refused[-1]["code"] == "UNAVAILABLE" and refused[-1]["retry_after"] >= 1, refused
    assert over_rest.status_code == 503 and int(over_rest.headers["Retry-After"]) >= 1
    assert over_rest.json()["detail"]["code"] == "UNAVAILABLE", over_rest.text
    # The session's numbering goes on above the outage's numbers once Redis is back.
    assert all(e["seq"] > seqs[-1] for e in answered if "seq" in e), answered
    assert answered and answered[-1]["type"] == "complete", answered[-1:]
    # Readiness says so while Redis is away (the balancer sends nobody here), and is back with
    # it, without a restart.
    assert not_ready.status_code == 503, not_ready.text
    assert not_ready.json()["checks"]["live_state"].startswith("error")
    assert ready.status_code == 200 and ready.json()["checks"]["live_state"] == "ok", ready.text
    stored = [(m["role"], m["content"]) for m in history.json()]
    assert stored[:2] == [
        ("user", "How often is the oil changed?"),
        ("assistant", rest[-1]["response"]),
    ]
