"""The CPU budget of one turn, stage by stage, each beside its floor from the same run.

In one process, turn after turn (no concurrency, so `time.process_time()` around a stage is
that stage's CPU, SQLite's thread included), on SQLite and on PostgreSQL, offline answers, the
sample knowledge base, many different questions (the graph scenario's conversations):

- admission: the SQL of admitting a message as the API does (`Database.open_for_message`
  with the session's lease held: one transaction), against one INSERT and its commit on the
  same engine;
- routing: embedding the message and classifying it (`SemanticRouter.classify`), against the
  bare encode of the message;
- retrieval: one specialist's search with the message's vector given, as the specialists call
  it, against a brute-force numpy top-k over the same vectors;
- the whole turn (`Orchestrator.stream_turn`: classify, specialists, answer, the stored
  answer and the checkpoints), and what is left of it once the stages measured alone are taken
  away: the graph's own work with the answer model and the end of the turn.

The CPU per 1,000 tokens from the model to the socket is `stream-cost`'s figure (a real
server, LLM mode); this scenario has no socket.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import Context, Figure, Result, Scenario, log, median
from bench.graph_overhead import CUSTOMER, running
from bench.kb import clone_into, sample_chunks, settings_for
from bench.questions import QUESTIONS

NAME = "stage-cost"
FULL_ROUNDS = 2
QUICK_ROUNDS = 1
# Each stage's target, as a multiple of its floor; the turn's own, in CPU-ms.
TARGETS = {"admission": 3.0, "routing": 1.5, "retrieval": 10.0}
# The turn without its answer model, as a multiple of its stages' floors.
TURN_TARGET = 3.0
AUTHOR = (CUSTOMER, CUSTOMER, "customer")  # the customer as a token names them


async def _cpu_ms(calls: list[Callable[[], Awaitable[Any]]]) -> float:
    """Median CPU-ms of each call, run one after another."""
    spent = []
    for call in calls:
        start = time.process_time()
        await call()
        spent.append((time.process_time() - start) * 1000)
    return median(spent)


def _answer_cpu(fn: Callable[..., str], spent: list[float]) -> Callable[..., str]:
    """The offline answer model, its CPU-ms per call noted in `spent`."""

    def measured(*args: Any, **kwargs: Any) -> str:
        start = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            spent.append((time.process_time() - start) * 1000)

    return measured


async def _measure(
    ctx: Context, settings: Any, url: Any, rounds: int, answering: list[float]
) -> dict[str, float]:
    from sqlalchemy import text

    from orchestrator.persistence import conversations

    questions = list(QUESTIONS)
    figures: dict[str, list[float]] = {}

    def add(key: str, value: float) -> None:
        figures.setdefault(key, []).append(value)

    async with running(settings, url, ctx.embedder) as orchestrator:
        services = orchestrator.services
        embedder, router, retriever = ctx.embedder, services.router, services.retriever
        async with services.sessions() as session:
            await conversations.ensure_user(session, *AUTHOR)
            await session.execute(text("CREATE TABLE bench_floor (id VARCHAR(64), body TEXT)"))
            await session.commit()
        snapshot = retriever.current()
        matrix = snapshot.embeddings

        async def insert_one(body: str) -> None:
            async with services.sessions() as session:
                await session.execute(
                    text("INSERT INTO bench_floor (id, body) VALUES (:id, :body)"),
                    {"id": uuid.uuid4().hex, "body": body},
                )
                await session.commit()

        async def admit(session_id: str, message: str) -> None:
            # Every SQL statement the API runs to admit a message sent the first time (a new
            # turn, a new client id), in its one transaction: the conversation opened, the
            # client id looked for, the message stored as the turn under way.
            await services.db.open_for_message(
                session_id=session_id,
                owner_id=CUSTOMER,
                author=AUTHOR,
                text=message,
                client_message_id=uuid.uuid4().hex,
                turn_id=uuid.uuid4().hex,
                start_turn=True,
            )

        async def route(message: str) -> None:
            router.classify(embedder.encode([message])[0])

        async def encode(message: str) -> None:
            embedder.encode([message])

        vectors = {q: embedder.encode([q])[0] for q in questions}

        async def search(message: str) -> None:
            retriever.search(
                message,
                k=services.settings.retrieval_top_k,
                min_score=services.settings.retrieval_min_score,
                query_embedding=vectors[message],
                snapshot=snapshot,
            )

        async def top_k(message: str) -> None:
            scores = matrix @ vectors[message]
            top = np.argpartition(-scores, 4)[:4]
            top[np.argsort(-scores[top])]

        async def turn(session_id: str, message: str) -> None:
            turn_id = uuid.uuid4().hex
            await services.db.save_user_message(session_id, CUSTOMER, message, turn_id, None)
            async for _ in orchestrator.stream_turn(
                session_id=session_id, customer_id=CUSTOMER, text=message, turn_id=turn_id
            ):
                pass

        async def new_conversation() -> str:
            session_id = f"stage-{uuid.uuid4().hex[:12]}"
            async with services.sessions() as session:
                await conversations.open_conversation(session, session_id, CUSTOMER)
                await session.commit()
            return session_id

        for q in questions[:3]:  # warm-up: first calls load lazily
            await route(q)
            await search(q)
            await turn(await new_conversation(), q)
        for r in range(rounds):
            sid = await new_conversation()
            add("admission", await _cpu_ms([partial(admit, sid, q) for q in questions]))
            add("admission_floor", await _cpu_ms([partial(insert_one, q) for q in questions]))
            add("routing", await _cpu_ms([partial(route, q) for q in questions]))
            add("routing_floor", await _cpu_ms([partial(encode, q) for q in questions]))
            add("retrieval", await _cpu_ms([partial(search, q) for q in questions]))
            add("retrieval_floor", await _cpu_ms([partial(top_k, q) for q in questions]))
            if r == 0:
                # Each question once, in a conversation of its own (a new customer's first
                # question): a passage is read again only when another question finds it, so
                # the answer model's memory of what it embedded helps no more than it would.
                turns = [(await new_conversation(), q) for q in questions]
                answering.clear()
                add("turn", await _cpu_ms([partial(turn, s, q) for s, q in turns]))
                add("answer", median(answering))
            log(
                f"{NAME}: round {r + 1}/{rounds}: turn {figures['turn'][0]:.1f} CPU-ms, "
                f"admission {figures['admission'][-1]:.2f}, routing {figures['routing'][-1]:.2f}, "
                f"retrieval {figures['retrieval'][-1]:.2f}"
            )
    return {key: median(values) for key, values in figures.items()}


def _database(ctx: Context, backend: str) -> Any:
    from contextlib import contextmanager

    from tests.utils.databases import fresh_database

    @contextmanager
    def opened() -> Any:
        path: Path = ctx.workdir / f"stage-{backend}"
        path.mkdir(parents=True, exist_ok=True)
        with fresh_database(backend, path) as url:
            yield path, url

    return opened()


def _floorless(name: str, value: float, label: str, command: str) -> Figure:
    """A row of the CPU table with no floor of its own to stand beside."""
    return Figure(
        name=f"CPU per turn, {name}",
        value=value,
        unit="CPU-ms",
        baseline=None,
        baseline_label=label,
        ratio=None,
        ratio_label="",
        command=command,
    )


def run(ctx: Context) -> Result:
    import agents.offline_model as offline
    from orchestrator.knowledge import knowledge_store
    from orchestrator.persistence import db_engine

    rounds = QUICK_ROUNDS if ctx.quick else FULL_ROUNDS
    sample = sample_chunks(ctx)
    measured: dict[str, dict[str, float]] = {}
    for backend in ("sqlite", "postgresql"):
        with _database(ctx, backend) as (data_dir, url):
            settings = settings_for(
                data_dir, database_url=url.render_as_string(hide_password=False)
            )
            db_engine.upgrade(url)
            clone_into(knowledge_store(settings), ctx.embedder, sample)
            log(f"{NAME}: {backend}, {len(QUESTIONS)} questions × {rounds} round(s)")
            answering: list[float] = []
            answer_text = offline.answer_text
            offline.answer_text = _answer_cpu(answer_text, answering)
            try:
                measured[backend] = asyncio.run(_measure(ctx, settings, url, rounds, answering))
            finally:
                offline.answer_text = answer_text
    command = ctx.command(NAME)
    figures: list[Figure] = []
    labels = {
        "admission": (
            "admission: the message's SQL (conversation, client id, message)",
            "one INSERT and its commit",
        ),
        "routing": ("routing: the message embedded and classified", "the bare encode"),
        "retrieval": (
            "retrieval: one search, vector given (cosine, BM25, fusion)",
            "numpy brute-force top-4 over the same vectors",
        ),
    }
    for backend, values in measured.items():
        db = "SQLite" if backend == "sqlite" else "PostgreSQL"
        for stage, (label, floor) in labels.items():
            if stage != "admission" and backend != "sqlite":
                continue  # no SQL in them: the same on either database
            ratio = values[stage] / values[f"{stage}_floor"]
            figures.append(
                Figure(
                    name=f"CPU per turn, {label}" + (f" ({db})" if stage == "admission" else ""),
                    value=values[stage],
                    unit="CPU-ms",
                    baseline=values[f"{stage}_floor"],
                    baseline_label=floor,
                    ratio=ratio,
                    ratio_label="stage ÷ floor",
                    target=f"≤ {TARGETS[stage]:g}×",
                    met=ratio <= TARGETS[stage],
                    command=command,
                )
            )
        stages = values["admission"] + values["routing"] + values["retrieval"]
        floors = sum(values[f"{stage}_floor"] for stage in labels)
        own = values["turn"] - values["answer"]
        rest = own - stages
        figures.append(
            _floorless(
                f"the whole offline turn ({db})",
                values["turn"],
                "— (its answer model and its own work, below)",
                command,
            )
        )
        figures.append(
            Figure(
                name=f"CPU per turn, the turn without its answer model ({db})",
                value=own,
                unit="CPU-ms",
                baseline=floors,
                baseline_label="the floors of admission, routing and one retrieval",
                ratio=own / floors,
                ratio_label="turn ÷ floors",
                target=f"≤ {TURN_TARGET:g}×",
                met=own <= TURN_TARGET * floors,
                command=command,
            )
        )
        figures.append(
            _floorless(
                f"the offline answer model's extraction ({db})",
                values["answer"],
                "— (the model's work: in LLM mode it is the model server's)",
                command,
            )
        )
        figures.append(
            _floorless(
                "the rest: the graph's own work, more searches, the stored answer and "
                f"checkpoints ({db})",
                rest,
                "—",
                command,
            )
        )
    return Result(
        figures=figures,
        details={"cpu_ms": measured},
        method=(
            "One process, turn after turn (no concurrency), so `time.process_time()` around a "
            "stage is that stage's CPU, the SQLite thread's included. Offline answers over the "
            f"sample knowledge base; the {len(QUESTIONS)} questions of `bench/questions.py`, "
            "each stage called once per question, the median per call, per round, then the "
            "median of the rounds; whole turns only in the first round, each question once. "
            "Admission is the API's SQL for a message sent the first time "
            "(`Database.open_for_message` storing it as the turn's question) against one "
            "INSERT and commit into a scratch table on the same engine; routing is encode + "
            "`SemanticRouter.classify` against the bare encode; retrieval is "
            "`Retriever.search` with the vector given against a numpy top-4; the whole turn "
            "is `Orchestrator.stream_turn` with its admission, each in a new conversation. "
            "The CPU per 1,000 streamed tokens is the `stream-cost` scenario's (a real "
            "server; this one has no socket)."
        ),
    )


SCENARIO = Scenario(
    name=NAME,
    title="CPU budget of a turn, by stage",
    run=run,
    summary="CPU of admission, routing, retrieval and the whole turn, each beside its floor.",
)
