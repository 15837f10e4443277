"""Scale-out: the concurrency load on one instance, `--workers 2`, and two instances behind
HAProxy, all on PostgreSQL and Redis (live state shared), as ratios to one instance.

The same simulator (200 tokens at 30 tokens/s) answers every turn; each variant gets its own
PostgreSQL database and Redis key prefix. Two instances are measured through a real HAProxy,
their CPU and memory summed with the balancer's. The load generator, the simulator, Redis and
PostgreSQL share the same 2 cores, so more processes compete for the same CPU.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from bench.common import Context, Figure, Result, Scenario, log, ratio
from bench.concurrency import ANSWER_TOKENS, TOKENS_PER_S, Measured, measure, warm
from bench.procs import Service, _spawn, product, wait_ready
from bench.stack import prepared_data_dir, shared
from orchestrator.cli.cluster import haproxy_config
from tests.utils.server import free_port

NAME = "scaleout"
FULL_SESSIONS = 300
REDIS_URL = "redis://127.0.0.1:6379/0"


@dataclass
class Group:
    """Several processes measured as one server: CPU and RSS summed, one URL (the balancer)."""

    name: str
    url: str
    members: list[Service]
    balancer: Service | None = None  # one of `members`, when the group sits behind one

    def cpu_s(self) -> float:
        return sum(member.cpu_s() for member in self.members)

    def rss_kib(self) -> int:
        return sum(member.rss_kib() for member in self.members)


def _redis_env(name: str, redis: bool) -> dict[str, str]:
    if not redis:
        return {}
    return {"REDIS_URL": REDIS_URL, "REDIS_PREFIX": f"bench-{name}-{uuid.uuid4().hex[:8]}:"}


@contextmanager
def instances(
    ctx: Context, name: str, llm_url: str, count: int, workers: int = 1, redis: bool = True
) -> Iterator[Group]:
    """`count` instances (of `workers` workers) on one database and Redis prefix, behind HAProxy
    when there are several."""
    from tests.utils.databases import fresh_database

    env = _redis_env(name, redis)
    with ExitStack() as stack:
        data_dirs = [prepared_data_dir(ctx, f"{name}-{n}") for n in range(count)]
        url = stack.enter_context(fresh_database("postgresql", data_dirs[0]))
        database = url.render_as_string(False)
        servers = [
            stack.enter_context(product(d, database, llm_url, workers=workers, env=env))
            for d in data_dirs
        ]
        if count == 1:
            yield Group(servers[0].name, servers[0].url, servers)
            return
        haproxy = shutil.which("haproxy")
        if haproxy is None:
            raise RuntimeError("HAProxy is not installed (`make haproxy`)")
        port = free_port()
        ports = [int(s.url.rsplit(":", 1)[1]) for s in servers]
        config = ctx.workdir / f"{name}-haproxy.cfg"
        config.write_text(haproxy_config("127.0.0.1", port, ports), encoding="utf-8")
        log_path = ctx.workdir / f"{name}-haproxy.log"
        process: subprocess.Popen[bytes] = _spawn(
            "haproxy", [haproxy, "-f", str(config), "-db"], log_path
        )
        balancer = Service("HAProxy", process, f"ws://127.0.0.1:{port}", log_path)
        stack.callback(balancer.stop)
        wait_ready(balancer, f"http://127.0.0.1:{port}/ready", 60)
        yield Group(
            f"{count} instances behind HAProxy", balancer.url, [*servers, balancer], balancer
        )


def run(ctx: Context) -> Result:
    if ctx.quick:
        return Result(
            method="Not run in quick mode: its four variants start five servers and HAProxy, "
            "over two minutes alone. `make bench` and `--only scaleout` run it."
        )
    sessions = FULL_SESSIONS
    command = ctx.command(NAME)
    stack = shared(ctx)
    stack.pace(TOKENS_PER_S, ANSWER_TOKENS)
    variants: dict[str, dict[str, Any]] = {
        "one instance, no Redis": {"count": 1, "redis": False},
        "one instance": {"count": 1},
        "`--workers 2`": {"count": 1, "workers": 2},
        "two instances": {"count": 2},
    }
    measured: dict[str, Measured] = {}
    for label, shape in variants.items():
        name = f"scaleout-{len(measured)}"
        with instances(ctx, name, stack.simulator.url, **shape) as group:
            warm(group)
            measured[label] = measure(group, sessions, name)
            log(f"{NAME}: {label} done")
    one = measured["one instance"]
    figures: list[Figure] = []
    for label in ("one instance, no Redis", "`--workers 2`", "two instances"):
        other = measured[label]
        for what, value, baseline, unit in (
            ("tokens/s delivered", other.tokens_per_s, one.tokens_per_s, "tokens/s"),
            ("time to first token p50", other.ttft_ms(50), one.ttft_ms(50), "ms"),
            ("time to first token p95", other.ttft_ms(95), one.ttft_ms(95), "ms"),
            ("server CPU-s over the load", other.cpu_s, one.cpu_s, "CPU-s"),
        ):
            figures.append(
                Figure(
                    name=f"{sessions} sessions, {label}: {what} ({other.ok}/{other.sessions} ok)",
                    value=value,
                    unit=unit,
                    baseline=baseline,
                    baseline_label=f"one instance ({one.ok}/{one.sessions} ok)",
                    ratio=ratio(value, baseline),
                    ratio_label=f"{label} ÷ one",
                    command=command,
                )
            )
    notes = [
        f"{label}: {len(m.errors)} of {m.sessions} sessions failed: {sorted(set(m.errors))[:2]}"
        for label, m in measured.items()
        if m.errors
    ]
    return Result(
        figures=figures,
        notes=notes,
        details={label: m.as_json() for label, m in measured.items()},
        method=(
            "The baseline is one instance on Redis; `one instance, no Redis` shows what Redis "
            "costs a single process. "
            f"{sessions} sessions connect, then each sends one message at the same moment; the "
            f"simulator answers {ANSWER_TOKENS} tokens at {TOKENS_PER_S:g} tokens/s. Every "
            "variant runs in LLM mode on its own PostgreSQL database with REDIS_URL set (live "
            "state, leases and rate limits on Redis) and otherwise the product's settings; the "
            "two-instance variant is reached through HAProxy (`orchestrator.cli.cluster`'s "
            "configuration) and its CPU and RSS are the sum of both instances and the balancer. "
            "The load generator, simulator, PostgreSQL and Redis share the 2 cores."
        ),
    )


SCENARIO = Scenario(
    name=NAME,
    title="Scale-out: one instance, `--workers 2`, two instances on Redis",
    run=run,
    summary="The concurrency load on 1 vs 2 processes sharing live state on Redis.",
)
