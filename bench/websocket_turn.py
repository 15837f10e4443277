"""Scenario 1: one WebSocket turn, taken apart, with the LLM simulator at zero delay.

Turns run one at a time, each from a fresh session of one of 20 customers, so that no turn
queues behind another. Every stage is timed from the client's side, from sending the message
to the first frame of each kind. Baseline: the bare relay (`bench/relay.py`) streaming the
same simulator answer through the same OpenAI SDK with no graph.
"""

from __future__ import annotations

import asyncio

from bench import load
from bench.common import Context, Figure, Result, Scenario, log, ms, p50, p95, ratio, summary
from bench.procs import Service
from bench.questions import QUESTIONS
from bench.stack import customer_tokens, shared

NAME = "websocket"
FULL_TURNS = 200
QUICK_TURNS = 10
WARMUP_TURNS = 5
ANSWER_TOKENS = 200
CUSTOMERS = 20
STAGES = (
    ("progress", "first `progress`"),
    ("routed", "routing decided (first `progress` naming a specialist)"),
    ("sources", "`sources`"),
    ("first_token", "first `token`"),
    ("complete", "`complete`"),
)


def turns(service: Service, count: int) -> list[load.Session]:
    """`count` turns one after another, each a new session asking the next question."""
    tokens = customer_tokens(CUSTOMERS, prefix="turn")
    sessions: list[load.Session] = []
    for i in range(count):
        result = asyncio.run(load.run(f"{service.url}/ws/chat", [tokens[i % CUSTOMERS]], first=i))
        session = result.sessions[0]
        if not session.ok:
            raise RuntimeError(f"turn {i} failed: {session.error}")
        sessions.append(session)
    return sessions


def run(ctx: Context) -> Result:
    count = QUICK_TURNS if ctx.quick else FULL_TURNS
    command = ctx.command(NAME)
    stack = shared(ctx)
    stack.pace(None, ANSWER_TOKENS)
    turns(stack.relay, WARMUP_TURNS)
    relay_turns = turns(stack.relay, count)
    turns(stack.server, WARMUP_TURNS)
    ours = turns(stack.server, count)
    log(f"{NAME}: {count} turns through /ws/chat and through the bare relay")

    relay_first = load.timings(relay_turns, "first_token")
    relay_complete = load.timings(relay_turns, "complete")
    baselines = {"first_token": relay_first, "complete": relay_complete}
    figures: list[Figure] = []
    details: dict[str, object] = {"turns": count, "answer_tokens": ANSWER_TOKENS}
    for stage, label in STAGES:
        values = load.timings(ours, stage)
        details[stage] = summary(values)
        base = baselines.get(stage)
        for name, pick in (("p50", p50), ("p95", p95)):
            value = ms(pick(values))
            baseline = ms(pick(base)) if base else None
            figures.append(
                Figure(
                    name=f"WebSocket turn: message → {label}, {name}",
                    value=value,
                    unit="ms",
                    baseline=baseline,
                    baseline_label="bare relay, same stage" if base else "no such stage",
                    ratio=ratio(value, baseline) if baseline else None,
                    ratio_label="ours ÷ relay",
                    command=command,
                )
            )
    details["relay_first_token"] = summary(relay_first)
    details["relay_complete"] = summary(relay_complete)
    details["token_frames_per_turn_p50"] = p50([s.frames for s in ours])
    details["tokens_per_turn"] = sorted({s.tokens for s in ours})
    pre_model = [s.first_token - (s.sources or 0.0) for s in ours if s.first_token is not None]
    details["sources_to_first_token"] = summary(pre_model)
    return Result(
        figures=figures,
        details=details,
        method=(
            f"{count} turns, one at a time, each from a new `/ws/chat` session (20 customers in "
            "turn, each well under the default rate limit) asking the next of the "
            f"{len(QUESTIONS)} questions in `bench/questions.py`, against our server in LLM "
            "mode on PostgreSQL, with the LLM simulator (`tests.utils.fake_openai`) answering "
            f"{ANSWER_TOKENS} tokens with no delay and no "
            "pacing. Times run from sending the message to the first frame of each kind, read "
            "by the client. The bare relay streams the same simulator answer through the same "
            "OpenAI SDK with no graph; it has no progress, routing or sources stages. "
            f"{WARMUP_TURNS} warm-up turns are not counted."
        ),
    )


SCENARIO = Scenario(
    name=NAME,
    title="WebSocket single-turn breakdown",
    run=run,
    summary="Time from message to first progress, routing, sources, first token and complete.",
)
