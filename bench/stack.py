"""Set-up the WebSocket scenarios share: a served copy of the sample knowledge base, a fresh
database (PostgreSQL, or the embedded SQLite the product defaults to), tokens for N customers,
and one simulator, bare relay and server (default settings, PostgreSQL) started once per run
and re-paced per scenario."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.common import Context
from bench.kb import sample_chunks, settings_for
from bench.procs import Service, product, relay, simulator


def prepared_data_dir(ctx: Context, name: str) -> Path:
    """A data dir holding a copy of the ingested sample knowledge base."""
    sample_chunks(ctx)  # ingests once per run into workdir/sample-kb
    source = settings_for(ctx.workdir / "sample-kb").chroma_path
    data_dir = ctx.workdir / name
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    shutil.copytree(source, settings_for(data_dir).chroma_path)
    return data_dir


DATABASES = {"sqlite": "SQLite (default)", "postgresql": "PostgreSQL"}


@contextmanager
def served(
    ctx: Context,
    name: str,
    llm_url: str,
    *,
    database: str = "postgresql",
    workers: int = 1,
    env: dict[str, str] | None = None,
) -> Iterator[Service]:
    """Our server in LLM mode on a database of its own, stopped (and dropped) after.

    `database` "sqlite" sets no DATABASE_URL at all: the embedded default in the data dir.
    """
    from tests.utils.databases import fresh_database

    data_dir = prepared_data_dir(ctx, name)
    if database == "sqlite":
        with product(data_dir, None, llm_url, workers=workers, env=env) as server:
            yield server
        return
    with (
        fresh_database(database, data_dir) as url,
        product(data_dir, url.render_as_string(False), llm_url, workers=workers, env=env) as server,
    ):
        yield server


def customer_tokens(count: int, prefix: str = "bench") -> list[str]:
    """Signed tokens for `count` distinct customers (the rate limit is per customer)."""
    from api.auth import issue
    from tests.utils.server import JWT_SECRET

    return [
        issue(JWT_SECRET, f"{prefix}-{i}", "customer", 3600, name=f"C{i}") for i in range(count)
    ]


@dataclass(frozen=True)
class Stack:
    """The LLM simulator, the bare relay and our server with its shipped settings."""

    simulator: Service
    relay: Service
    server: Service

    def pace(self, tokens_per_s: float | None, answer_tokens: int) -> None:
        """Re-pace the running simulator (None: as fast as it can)."""
        root = self.simulator.url.removesuffix("/v1")
        knobs = {"tokens_per_s": tokens_per_s or 0, "answer_tokens": answer_tokens}
        httpx.post(f"{root}/simulator", json=knobs, timeout=10).raise_for_status()


def shared(ctx: Context) -> Stack:
    """The run's shared stack, started on first use and stopped when the run ends."""
    stack = ctx.cache.get("stack")
    if stack is None:
        resources = ctx.resources
        sim = resources.enter_context(simulator(ctx.workdir, tokens_per_s=None, answer_tokens=200))
        bare = resources.enter_context(relay(ctx.workdir, sim.url))
        server = resources.enter_context(served(ctx, "shared-server", sim.url))
        stack = ctx.cache["stack"] = Stack(sim, bare, server)
    assert isinstance(stack, Stack)
    return stack
