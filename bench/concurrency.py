"""Scenario 3: 100, 500 and 1,000 concurrent WebSocket sessions, against the bare relay.

Every session connects and authenticates, then all send one message at the same moment and
receive a 200-token answer paced at 30 tokens/s by the simulator. The load generator, the
simulator and the server share the machine's cores, so the server's own CPU is read from
/proc. The same load runs against the bare relay in the same run: it is the floor.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from typing import Any

from bench import load
from bench.common import Context, Figure, Result, Scenario, log, ms, percentile, ratio
from bench.procs import Measurable
from bench.stack import customer_tokens, served, shared

NAME = "concurrency"
FULL_SIZES = (100, 500, 1000)
QUICK_SIZES = (100,)
WORKERS_SIZES = (500,)  # `--workers 2` is measured at this size in a full run
ANSWER_TOKENS = 200
TOKENS_PER_S = 30.0
TIMEOUT_S = 600.0
WARMUP_SESSIONS = 10


@dataclass
class Measured:
    """One load against one server."""

    sessions: int
    ok: int
    errors: list[str]
    ttft_s: list[float]
    tokens: int
    wall_s: float
    cpu_s: float
    rss_before_kib: int
    rss_idle_kib: int
    rss_after_kib: int
    connect_s: float

    def ttft_ms(self, q: float) -> float:
        """Time to first token at percentile `q`, in ms (NaN when no session got one)."""
        return ms(percentile(self.ttft_s, q)) if self.ttft_s else float("nan")

    @property
    def success_rate(self) -> float:
        return self.ok / self.sessions

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def idle_kib_per_connection(self) -> float:
        return (self.rss_idle_kib - self.rss_before_kib) / self.sessions

    def as_json(self) -> dict[str, Any]:
        return {
            "sessions": self.sessions,
            "ok": self.ok,
            "errors": sorted(set(self.errors))[:10],
            "error_count": len(self.errors),
            "ttft_p50_ms": round(self.ttft_ms(50), 1) if self.ttft_s else None,
            "ttft_p95_ms": round(self.ttft_ms(95), 1) if self.ttft_s else None,
            "tokens": self.tokens,
            "wall_s": round(self.wall_s, 2),
            "tokens_per_s": round(self.tokens_per_s, 1),
            "server_cpu_s": round(self.cpu_s, 2),
            "server_cpu_cores": round(self.cpu_s / self.wall_s, 2) if self.wall_s else None,
            "rss_before_mib": round(self.rss_before_kib / 1024, 1),
            "rss_idle_mib": round(self.rss_idle_kib / 1024, 1),
            "rss_after_mib": round(self.rss_after_kib / 1024, 1),
            "idle_kib_per_connection": round(self.idle_kib_per_connection, 1),
            "connect_s": round(self.connect_s, 2),
        }


def measure(service: Measurable, sessions: int, prefix: str) -> Measured:
    url = f"{service.url}/ws/chat"
    tokens = customer_tokens(sessions, prefix=f"{prefix}-{sessions}")
    rss_before = service.rss_kib()
    probe: dict[str, int] = {}

    async def when_idle() -> dict[str, Any]:
        await asyncio.sleep(0.5)  # let the server settle every connection
        probe["rss"] = service.rss_kib()
        probe["cpu"] = int(service.cpu_s() * 1000)
        return {}

    result = asyncio.run(load.run(url, tokens, timeout_s=TIMEOUT_S, when_idle=when_idle))
    cpu = service.cpu_s() - probe["cpu"] / 1000
    measured = Measured(
        sessions=sessions,
        ok=len(result.ok),
        errors=result.errors,
        ttft_s=load.timings(result.sessions, "first_token"),
        tokens=result.tokens,
        wall_s=result.wall_s,
        cpu_s=cpu,
        rss_before_kib=rss_before,
        rss_idle_kib=probe["rss"],
        rss_after_kib=service.rss_kib(),
        connect_s=result.connect_s,
    )
    summary = measured.as_json()
    log(
        f"{NAME}: {service.name}, {sessions} sessions: ok {summary['ok']}, "
        f"TTFT p50/p95 {summary['ttft_p50_ms']}/{summary['ttft_p95_ms']} ms, "
        f"{summary['tokens_per_s']} tokens/s, CPU {summary['server_cpu_s']} s"
    )
    return measured


def warm(service: Measurable) -> None:
    result = asyncio.run(
        load.run(f"{service.url}/ws/chat", customer_tokens(WARMUP_SESSIONS, prefix="warm"))
    )
    if result.errors:
        raise RuntimeError(f"{service.name}: warm-up failed: {result.errors[:3]}")


def run(ctx: Context) -> Result:
    sizes = QUICK_SIZES if ctx.quick else FULL_SIZES
    command = ctx.command(NAME)
    runs: dict[str, dict[int, Measured]] = {"relay": {}, "ours": {}, "ours-2-workers": {}}
    stack = shared(ctx)
    stack.pace(TOKENS_PER_S, ANSWER_TOKENS)
    warm(stack.relay)
    for size in sizes:
        runs["relay"][size] = measure(stack.relay, size, "relay")
    warm(stack.server)
    for size in sizes:
        runs["ours"][size] = measure(stack.server, size, "ours")
    if not ctx.quick:
        with served(ctx, "concurrency-2-workers", stack.simulator.url, workers=2) as server:
            warm(server)
            for size in WORKERS_SIZES:
                runs["ours-2-workers"][size] = measure(server, size, "two")
    ctx.cache["concurrency"] = runs
    return Result(
        figures=figures(runs, sizes, command),
        notes=error_notes(runs),
        details={
            key: {str(size): m.as_json() for size, m in by_size.items()}
            for key, by_size in runs.items()
        },
        method=(
            "Each session connects and authenticates; once all are idle the server's RSS is "
            "read (RSS per idle connection = growth ÷ sessions); then every session sends one "
            "message at the same moment and the simulator answers each with "
            f"{ANSWER_TOKENS} tokens paced at {TOKENS_PER_S:g} tokens/s. Time to first token is "
            "measured by the client from its message; tokens/s is every token delivered ÷ the "
            "time from the start signal to the last `complete`; server CPU is user + system of "
            "the server's process tree from /proc over the same span. The load generator, the "
            "simulator and the server share the 2 cores. Our server runs in LLM mode on "
            "PostgreSQL with its default settings; the bare relay takes the same load first. "
            "`--workers 2` runs the 500-session load again with two uvicorn workers."
        ),
    )


def error_notes(runs: dict[str, dict[int, Measured]]) -> list[str]:
    """One note per load that lost sessions, with what the clients saw."""
    notes = []
    for key, by_size in runs.items():
        for size, m in by_size.items():
            if m.errors:
                kinds = Counter(m.errors).most_common(3)
                seen = "; ".join(f"{count}× `{error[:160]}`" for error, count in kinds)
                notes.append(
                    f"Concurrency, {key} at {size} sessions: {len(m.errors)} failed: {seen}."
                )
    return notes


def figures(
    runs: dict[str, dict[int, Measured]], sizes: tuple[int, ...], command: str
) -> list[Figure]:
    out: list[Figure] = []
    for size in sizes:
        ours, base = runs["ours"][size], runs["relay"][size]
        largest = size == max(sizes)
        out.append(
            Figure(
                name=f"{size} sessions: success rate",
                value=ours.success_rate,
                unit="",
                baseline=base.success_rate,
                baseline_label="bare relay",
                ratio=None,
                ratio_label="",
                command=command,
                target="1.000 (zero errors)" if size == 1000 else "—",
                met=(ours.ok == ours.sessions) if size == 1000 else None,
            )
        )
        throughput = ratio(ours.tokens_per_s, base.tokens_per_s)
        out.append(
            Figure(
                name=f"{size} sessions: tokens/s delivered",
                value=ours.tokens_per_s,
                unit="tokens/s",
                baseline=base.tokens_per_s,
                baseline_label="bare relay",
                ratio=throughput,
                ratio_label="ours ÷ relay",
                command=command,
                target="≥ 0.7×" if largest else "—",
                met=(throughput is not None and throughput >= 0.7) if largest else None,
            )
        )
        ttft = ours.ttft_ms(95)
        base_ttft = base.ttft_ms(95)
        if size == 100:
            target, met = f"≤ relay + 100 ms ({base_ttft + 100:.0f} ms)", ttft <= base_ttft + 100
        elif largest:
            target, met = "≤ 1.5×", ttft <= 1.5 * base_ttft
        else:
            target, met = "—", None
        out.append(
            Figure(
                name=f"{size} sessions: time to first token p95",
                value=ttft,
                unit="ms",
                baseline=base_ttft,
                baseline_label="bare relay",
                ratio=ratio(ttft, base_ttft),
                ratio_label="ours ÷ relay",
                command=command,
                target=target,
                met=met,
            )
        )
        out.append(
            Figure(
                name=f"{size} sessions: time to first token p50",
                value=ours.ttft_ms(50),
                unit="ms",
                baseline=base.ttft_ms(50) if base.ttft_s else None,
                baseline_label="bare relay",
                ratio=ratio(ours.ttft_ms(50), base.ttft_ms(50))
                if ours.ttft_s and base.ttft_s
                else None,
                ratio_label="ours ÷ relay",
                command=command,
            )
        )
        out.append(
            Figure(
                name=f"{size} sessions: server CPU-s over the load",
                value=ours.cpu_s,
                unit="CPU-s",
                baseline=base.cpu_s,
                baseline_label="bare relay",
                ratio=ratio(ours.cpu_s, base.cpu_s),
                ratio_label="ours ÷ relay",
                command=command,
            )
        )
        out.append(
            Figure(
                name=f"{size} sessions: RSS per idle connection",
                value=ours.idle_kib_per_connection,
                unit="KiB",
                baseline=base.idle_kib_per_connection,
                baseline_label="bare relay",
                ratio=ratio(ours.idle_kib_per_connection, base.idle_kib_per_connection),
                ratio_label="ours ÷ relay",
                command=command,
                target="≤ 100 KiB",
                met=ours.idle_kib_per_connection <= 100,
            )
        )
        out.append(
            Figure(
                name=f"{size} sessions: server RSS after the load",
                value=ours.rss_after_kib / 1024,
                unit="MiB",
                baseline=base.rss_after_kib / 1024,
                baseline_label="bare relay",
                ratio=ratio(ours.rss_after_kib, base.rss_after_kib),
                ratio_label="ours ÷ relay",
                command=command,
            )
        )
    for size, two in runs["ours-2-workers"].items():
        one = runs["ours"][size]
        for label, value, baseline, unit in (
            ("tokens/s delivered", two.tokens_per_s, one.tokens_per_s, "tokens/s"),
            (
                "time to first token p95",
                two.ttft_ms(95),
                one.ttft_ms(95),
                "ms",
            ),
        ):
            out.append(
                Figure(
                    name=f"{size} sessions, `--workers 2`: {label} ({two.ok}/{two.sessions} ok)",
                    value=value,
                    unit=unit,
                    baseline=baseline,
                    baseline_label="one worker",
                    ratio=ratio(value, baseline),
                    ratio_label="2 workers ÷ 1",
                    command=command,
                )
            )
    return out


SCENARIO = Scenario(
    name=NAME,
    title="Concurrency: 100 / 500 / 1,000 sessions",
    run=run,
    summary="Success, time to first token, tokens/s, CPU and memory under concurrent sessions.",
)
