"""Scenario 2: server CPU-seconds per 1,000 streamed tokens, ours against the bare relay.

The simulator answers 200 tokens unpaced; rounds of concurrent sessions each send one
message. The server's CPU (user + system, from /proc, its whole process tree) is read before
and after the measured rounds and divided by the tokens the clients received. The same load
runs against the bare relay and against our server once per streaming variant: LangGraph's
`astream_events` v2 against `astream(stream_mode=[...])`, each with and without token
coalescing. The variant the product ships by default is the headline figure.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bench import load
from bench.capacity_model import shipped_default
from bench.common import Context, Figure, Result, Scenario, log, ratio
from bench.procs import Service
from bench.stack import customer_tokens, served, shared

NAME = "stream-cost"
ANSWER_TOKENS = 200
SESSIONS_PER_ROUND = 10
FULL_ROUNDS = 6
QUICK_ROUNDS = 2
TARGET_RATIO = 1.5


@dataclass(frozen=True)
class Variant:
    key: str
    label: str
    env: dict[str, str]
    shipped: bool = False  # the product's default settings


def _shipped_label() -> str:
    """The shipped variant, named by the settings' defaults (not a copy of them)."""
    window = shipped_default("token_coalesce_ms")
    frames = shipped_default("token_frames_per_s")
    return f"stream_mode messages, coalescing ({window:g} ms; {frames:g} frames/s in all)"


VARIANTS = (
    Variant(
        "events",
        "astream_events v2, no coalescing",
        {"STREAM_MODE": "events", "TOKEN_COALESCE_MS": "0", "TOKEN_FRAMES_PER_S": "0"},
    ),
    Variant(
        "messages",
        "stream_mode messages, no coalescing",
        {"STREAM_MODE": "messages", "TOKEN_COALESCE_MS": "0", "TOKEN_FRAMES_PER_S": "0"},
    ),
    Variant(
        "messages+coalesce",
        _shipped_label(),
        {},
        shipped=True,
    ),
)


@dataclass
class Cost:
    cpu_s: float
    tokens: int
    frames: int
    turns: int
    wall_s: float

    @property
    def per_1k_tokens(self) -> float:
        return self.cpu_s / self.tokens * 1000 if self.tokens else float("nan")

    def as_json(self) -> dict[str, float | int]:
        return {
            "cpu_s": round(self.cpu_s, 3),
            "tokens": self.tokens,
            "token_frames": self.frames,
            "turns": self.turns,
            "wall_s": round(self.wall_s, 2),
            "cpu_s_per_1k_tokens": round(self.per_1k_tokens, 4),
        }


def measure(service: Service, rounds: int, prefix: str) -> Cost:
    """Warm up with one round, then read the server's CPU around `rounds` more."""
    url = f"{service.url}/ws/chat"
    tokens = customer_tokens(SESSIONS_PER_ROUND, prefix=prefix)
    warm = asyncio.run(load.run(url, tokens))
    if warm.errors:
        raise RuntimeError(f"{service.name}: warm-up failed: {warm.errors[:3]}")
    before = service.cpu_s()
    received = frames = turns = 0
    wall = 0.0
    for r in range(rounds):
        result = asyncio.run(load.run(url, tokens, first=(r + 1) * SESSIONS_PER_ROUND))
        if result.errors:
            raise RuntimeError(f"{service.name}: {result.errors[:3]}")
        received += result.tokens
        frames += sum(s.frames for s in result.sessions)
        turns += len(result.sessions)
        wall += result.wall_s
    return Cost(service.cpu_s() - before, received, frames, turns, wall)


def variants(quick: bool) -> list[Variant]:
    return [v for v in VARIANTS if v.shipped] if quick else list(VARIANTS)


def run(ctx: Context) -> Result:
    rounds = QUICK_ROUNDS if ctx.quick else FULL_ROUNDS
    command = ctx.command(NAME)
    costs: dict[str, Cost] = {}
    stack = shared(ctx)
    stack.pace(None, ANSWER_TOKENS)
    costs["relay"] = measure(stack.relay, rounds, "relay")
    for variant in variants(ctx.quick):
        prefix = variant.key.replace("+", "-")
        if variant.shipped:  # the shared server runs the shipped settings
            costs[variant.key] = measure(stack.server, rounds, prefix)
        else:
            with served(ctx, f"cost-{variant.key}", stack.simulator.url, env=variant.env) as server:
                costs[variant.key] = measure(server, rounds, prefix)
        log(f"{NAME}: {variant.label}: {costs[variant.key].per_1k_tokens:.3f} CPU-s/1k tokens")
    base = costs["relay"]
    figures = []
    for variant in variants(ctx.quick):
        cost = costs[variant.key]
        value_ratio = ratio(cost.per_1k_tokens, base.per_1k_tokens)
        figures.append(
            Figure(
                name=f"Server CPU per 1,000 tokens through /ws/chat ({variant.label})"
                + (", shipped" if variant.shipped else ""),
                value=cost.per_1k_tokens,
                unit="CPU-s",
                baseline=base.per_1k_tokens,
                baseline_label="bare relay, same load",
                ratio=value_ratio,
                ratio_label="ours ÷ relay",
                command=command,
                target=f"≤ {TARGET_RATIO}×" if variant.shipped else "—",
                met=(value_ratio is not None and value_ratio <= TARGET_RATIO)
                if variant.shipped
                else None,
            )
        )
    return Result(
        figures=figures,
        details={key: cost.as_json() for key, cost in costs.items()},
        method=(
            f"The simulator answers {ANSWER_TOKENS} tokens with no pacing. After one warm-up "
            f"round, {rounds} rounds of {SESSIONS_PER_ROUND} concurrent sessions each send one "
            "question (the next ones of `bench/questions.py`); the server's CPU (user + "
            "system of its process tree, from /proc) over those rounds is divided by the "
            "tokens the clients received. Our server runs in "
            "LLM mode on PostgreSQL, so a turn's whole cost counts: saving the message, routing "
            "(an embedding), retrieval, the graph, the checkpoint, the answer's save. The bare "
            "relay (`bench/relay.py`) only relays the same stream. Each streaming variant is "
            "a fresh server with `STREAM_MODE` / `TOKEN_COALESCE_MS` / `TOKEN_FRAMES_PER_S` set."
        ),
    )


SCENARIO = Scenario(
    name=NAME,
    title="Cost per streamed token",
    run=run,
    summary="Server CPU-seconds per 1,000 tokens through /ws/chat against a bare relay.",
)
