"""What one customer's visit asks of the shared services, and the per-turn costs the capacity
model (`bench.capacity_model`) is built from.

A served process (LLM mode, PostgreSQL, Redis live state) takes loads of new customers, each
connecting, authenticating and asking one question, all at once, with 20-token and 200-token
answers (30 tokens/s), and the bare relay the same loads (in turn, three times in a full run;
the median of each is kept). Around each load:

- the server's CPU (/proc), so the CPU of a visit is split into a part per turn and a part per
  streamed token (two answer lengths, a straight line through them), beside the relay's;
- the SQL statements and commits the server sends (SQLAlchemy's engine events, counted in the
  served process by `bench.counted_serve`) and PostgreSQL's own count of the database's
  transactions (`pg_stat_database`);
- Redis commands by name (`INFO commandstats`) and memory (`used_memory`), on a Redis server
  started for this scenario so that nothing else's commands are counted;
- while every session is connected and none has asked yet, the same counts per idle connection
  per second;
- the long answers in fewer frames (a server merging tokens for longer), which parts the
  stream's CPU into a part per token and a part per frame; and the long answers once more on
  two instances behind HAProxy sharing live state over Redis, which says what a visit costs
  more when it is clustered.

Then, in this process, the retrieval's CPU as the knowledge base grows (a search over 1k, 10k
and 50k chunks, vector given, built from the sample's chunks), and Chroma's: a query of a
collection of each size, and the read of the live version's revision that each instance makes
at most twice a second (the only Chroma call on a turn's path: the vectors are searched in
memory).
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np

from bench import load
from bench.capacity_model import ONE_PACED, PACED_S, PAIR, PAIR_PACED
from bench.common import Context, Figure, Result, Scenario, log, median, median_of, ratio
from bench.concurrency import TOKENS_PER_S, warm
from bench.counted_serve import read as read_sql_count
from bench.kb import sample_chunks
from bench.procs import Measurable, product
from bench.questions import QUESTIONS
from bench.retrieval import MIN_SCORE
from bench.scaleout import instances
from bench.stack import customer_tokens, prepared_data_dir, shared
from tests.utils.server import free_port

NAME = "stage-ops"
ANSWERS: Final = (20, 200)  # tokens; two lengths give the CPU per turn and per token
FULL_SESSIONS: Final = 100
QUICK_SESSIONS: Final = 30
IDLE_S: Final = 5.0
FULL_SIZES: Final = (1_000, 10_000, 50_000)
QUICK_SIZES: Final = (1_000, 10_000)
SETTLE_S: Final = 1.5  # PostgreSQL's statistics and the count file catch up


# --------------------------------------------------------------------------- counters


@dataclass
class Reading:
    """Cumulative counters of one server and its services at one moment."""

    cpu_s: float
    statements: int = 0
    commits: int = 0
    pg_xacts: int = 0
    redis_calls: dict[str, int] = field(default_factory=dict)
    redis_memory: int = 0
    balancer_cpu_s: float = 0.0  # the part of `cpu_s` the load balancer spent, if any

    def minus(self, other: Reading) -> Reading:
        calls = {
            k: v - other.redis_calls.get(k, 0)
            for k, v in self.redis_calls.items()
            if v - other.redis_calls.get(k, 0)
        }
        return Reading(
            self.cpu_s - other.cpu_s,
            self.statements - other.statements,
            self.commits - other.commits,
            self.pg_xacts - other.pg_xacts,
            calls,
            self.redis_memory - other.redis_memory,
            self.balancer_cpu_s - other.balancer_cpu_s,
        )

    @property
    def redis_total(self) -> int:
        return sum(self.redis_calls.values())


@dataclass
class Probes:
    """Where a server's counters are read: /proc, its SQL count file, PostgreSQL, Redis."""

    server: Measurable
    count_file: Path | None = None
    database: str | None = None
    redis: Any = None  # redis.Redis on this scenario's own server

    def read(self) -> Reading:
        reading = Reading(self.server.cpu_s())
        balancer = getattr(self.server, "balancer", None)  # a group behind HAProxy
        if balancer is not None:
            reading.balancer_cpu_s = balancer.cpu_s()
        if self.count_file is not None:
            reading.statements, reading.commits = read_sql_count(self.count_file)
        if self.database is not None:
            reading.pg_xacts = _pg_xacts(self.database)
        if self.redis is not None:
            stats = self.redis.info("commandstats")
            reading.redis_calls = {k.removeprefix("cmdstat_"): v["calls"] for k, v in stats.items()}
            reading.redis_memory = int(self.redis.info("memory")["used_memory"])
        return reading


def _pg_xacts(database: str) -> int:
    import psycopg

    from tests.utils.databases import _admin_dsn

    with psycopg.connect(_admin_dsn(), autocommit=True) as conn:
        row = conn.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s",
            (database,),
        ).fetchone()
    return int(row[0]) if row else 0


@contextmanager
def private_redis(workdir: Path) -> Iterator[str]:
    """A Redis server of this scenario's own (no persistence), so its counts are ours alone."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed")
    port = free_port()
    log_path = workdir / f"redis-{port}.log"
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
    with log_path.open("wb") as out:
        process = subprocess.Popen([*argv, "no"], stdout=out, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        import redis

        client = redis.Redis.from_url(url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        client.close()
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


# --------------------------------------------------------------------------- loads


@dataclass
class Visits:
    """One load of new customers against one server: what it cost, per visit and idle."""

    sessions: int
    answer_tokens: int
    completed: int
    tokens: int
    frames: int  # token frames the clients received
    load: Reading  # the whole load less its idle wait
    idle: Reading  # IDLE_S with every session connected and quiet

    def per_visit(self, value: float) -> float:
        return value / self.sessions

    @property
    def cpu_ms_per_visit(self) -> float:
        return self.load.cpu_s / self.sessions * 1000

    def as_json(self) -> dict[str, Any]:
        n = self.sessions
        top = sorted(self.load.redis_calls.items(), key=lambda kv: -kv[1])[:12]
        return {
            "sessions": n,
            "answer_tokens": self.answer_tokens,
            "completed": self.completed,
            "tokens": self.tokens,
            "token_frames_per_visit": round(self.frames / n, 2),
            "cpu_ms_per_visit": round(self.cpu_ms_per_visit, 2),
            **(
                {"balancer_cpu_ms_per_visit": round(self.load.balancer_cpu_s / n * 1000, 2)}
                if self.load.balancer_cpu_s
                else {}
            ),
            "sql_statements_per_visit": round(self.load.statements / n, 2),
            "sql_commits_per_visit": round(self.load.commits / n, 2),
            "pg_transactions_per_visit": round(self.load.pg_xacts / n, 2),
            "redis_commands_per_visit": round(self.load.redis_total / n, 2),
            "redis_commands_by_name_per_visit": {k: round(v / n, 2) for k, v in top},
            "redis_memory_bytes_per_session": round(self.load.redis_memory / n),
            "idle_cpu_ms_per_connection_s": round(self.idle.cpu_s / n / IDLE_S * 1000, 4),
            "idle_redis_commands_per_connection_s": round(self.idle.redis_total / n / IDLE_S, 4),
            "idle_sql_statements_per_s": round(self.idle.statements / IDLE_S, 3),
        }


def visits(
    probes: Probes, sessions: int, answer_tokens: int, prefix: str, spread_s: float = 0.0
) -> Visits:
    """`sessions` visits at once (or spread over `spread_s`): what the server spent on them,
    less what it spent while they were idle."""
    url = f"{probes.server.url}/ws/chat"
    tokens = customer_tokens(sessions, prefix=f"{prefix}-{answer_tokens}-{uuid.uuid4().hex[:6]}")
    marks: dict[str, Reading] = {}

    async def when_idle() -> dict[str, Any]:
        await asyncio.sleep(0.5)
        marks["idle_start"] = probes.read()
        await asyncio.sleep(IDLE_S)
        marks["idle_end"] = probes.read()
        return {}

    before = probes.read()
    result = asyncio.run(load.run(url, tokens, when_idle=when_idle, spread_s=spread_s))
    time.sleep(SETTLE_S)
    after = probes.read()
    idle = marks["idle_end"].minus(marks["idle_start"])
    whole = after.minus(before).minus(idle)
    frames = sum(s.frames for s in result.sessions)
    return Visits(sessions, answer_tokens, len(result.ok), result.tokens, frames, whole, idle)


# The paced loads on one instance and on the pair, taken in turn this many times
# (`clustered_rounds`); the round of the median difference is charged.
PACED_ROUNDS: Final = 3
# The bursts the CPU line is drawn through (each length, ours and the relay's), taken in turn
# this many times in a full run; the median load of each is kept (`median_visits`).
BURST_ROUNDS: Final = 3


def median_visits(loads: list[Visits]) -> Visits:
    """The load of median CPU a visit (the lower of the middle two): one slow minute on this
    shared machine moved one burst's CPU a visit by a quarter, and the line drawn through two
    lengths twice that."""
    return median_of(loads, key=lambda v: v.cpu_ms_per_visit)


@dataclass
class Paced:
    """The long answers at a steady rate on one instance and on the pair, in rounds taken in
    turn; `one` and `pair` are the round whose difference is the median of the rounds'."""

    one: Visits
    pair: Visits
    rounds: list[dict[str, float]]


def clustered_rounds(single: Probes, pair: Probes, sessions: int, tokens: int) -> Paced:
    """What a clustered visit costs more, measured where it is steady: one instance and two
    behind HAProxy sharing live state over Redis, started alike (the same launcher and
    database; the one instance without Redis, as a process serving alone runs) and up side by side,
    their paced loads taken in turn `PACED_ROUNDS` times, so that a slow minute on this shared
    machine falls on both sides of a difference rather than on one."""
    taken: list[tuple[Visits, Visits]] = []
    for n in range(PACED_ROUNDS):
        one = visits(single, sessions, tokens, f"ops-one-paced{n}", spread_s=PACED_S)
        two = visits(pair, sessions, tokens, f"ops-pair-paced{n}", spread_s=PACED_S)
        taken.append((one, two))
        log(
            f"{NAME}: paced round {n + 1}: one {one.cpu_ms_per_visit:.1f}, "
            f"pair {two.cpu_ms_per_visit:.1f} CPU-ms a visit"
        )
    return paced_median(taken)


def paced_median(taken: list[tuple[Visits, Visits]]) -> Paced:
    """The round whose pair-less-one difference is the median (the lower of the middle two)."""
    one, two = median_of(taken, key=lambda r: r[1].cpu_ms_per_visit - r[0].cpu_ms_per_visit)
    rounds = [
        {
            "one_cpu_ms_per_visit": round(a.cpu_ms_per_visit, 1),
            "pair_cpu_ms_per_visit": round(b.cpu_ms_per_visit, 1),
        }
        for a, b in taken
    ]
    return Paced(one, two, rounds)


@dataclass
class Line:
    """CPU of a visit as a straight line in the answer's length: per turn + per token."""

    per_turn_ms: float
    per_token_ms: float

    @classmethod
    def through(cls, short: Visits, long: Visits) -> Line:
        a = short.load.cpu_s / short.sessions * 1000
        b = long.load.cpu_s / long.sessions * 1000
        slope = (b - a) / (long.answer_tokens - short.answer_tokens)
        return cls(a - slope * short.answer_tokens, slope)


@dataclass
class StreamSplit:
    """CPU of a visit as a part per turn, per token and per token frame: three loads, two with
    the same tokens in different numbers of frames. A part the noise makes negative is 0."""

    per_turn_ms: float
    per_token_ms: float
    per_frame_ms: float

    @classmethod
    def through(cls, short: Visits, long: Visits, fewer: Visits) -> StreamSplit:
        def point(v: Visits) -> tuple[float, float, float]:
            n = v.sessions
            return v.load.cpu_s / n * 1000, v.tokens / n, v.frames / n

        (c1, t1, f1), (c2, t2, f2), (c3, _, f3) = point(short), point(long), point(fewer)
        frame = max(0.0, (c2 - c3) / (f2 - f3)) if f2 != f3 else 0.0
        token = max(0.0, (c2 - c1 - frame * (f2 - f1)) / (t2 - t1)) if t2 != t1 else 0.0
        return cls(max(0.0, c2 - token * t2 - frame * f2), token, frame)

    def as_json(self) -> dict[str, float]:
        return {
            "per_turn_ms": round(self.per_turn_ms, 2),
            "per_token_ms": round(self.per_token_ms, 4),
            "per_frame_ms": round(self.per_frame_ms, 4),
        }


# --------------------------------------------------------------------------- retrieval


def _synthetic(ctx: Context, size: int) -> tuple[list[str], list[str], list[dict[str, Any]], Any]:
    """`size` chunks made from the sample's (no table rows): texts numbered, vectors jittered."""
    from rag.ingest import is_facet

    chunks = sample_chunks(ctx)
    keep = [i for i, m in enumerate(chunks.metadatas) if not is_facet(m)]
    rng = np.random.default_rng(7)
    picks = [keep[i % len(keep)] for i in range(size)]
    ids = [f"syn-{i}" for i in range(size)]
    documents = [f"{chunks.documents[p]} ({i})" for i, p in enumerate(picks)]
    metadatas = [dict(chunks.metadatas[p]) for p in picks]
    vectors = np.asarray(chunks.vectors, dtype=np.float32)[picks]
    vectors = vectors + rng.normal(0, 0.02, vectors.shape).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return ids, documents, metadatas, vectors


def _time_searches(
    retriever: Any,
    snapshot: Any,
    questions: list[str],
    vectors: Any,
    search_ms: list[float],
    floor_ms: list[float],
) -> None:
    for q, v in zip(questions, vectors, strict=True):
        start = time.process_time()
        retriever.search(q, k=4, min_score=MIN_SCORE, query_embedding=v, snapshot=snapshot)
        search_ms.append((time.process_time() - start) * 1000)
        start = time.process_time()
        scores = snapshot.embeddings @ v
        np.argpartition(-scores, 4)[:4]
        floor_ms.append((time.process_time() - start) * 1000)


def retrieval_by_size(
    ctx: Context, store: Any, sizes: tuple[int, ...]
) -> dict[str, dict[str, float]]:
    """Per size: the search's CPU-ms (vector given), a numpy top-4's, a Chroma query's wall
    ms (20 results), and the snapshot's vectors in MiB."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from threadpoolctl import threadpool_limits

    from rag.catalogue import Catalogue
    from rag.retriever import Retriever, Snapshot

    questions = list(QUESTIONS)
    vectors = ctx.embedder.encode(questions)
    client = chromadb.EphemeralClient(ChromaSettings(anonymized_telemetry=False))
    out: dict[str, dict[str, float]] = {}
    for size in sizes:
        ids, documents, metadatas, matrix = _synthetic(ctx, size)
        snapshot = Snapshot.build("bench", Catalogue(), ids, documents, metadatas, matrix)
        retriever = Retriever(store, ctx.embedder)  # searches the snapshot it is handed
        search_ms: list[float] = []
        floor_ms: list[float] = []
        with threadpool_limits(limits=1, user_api="blas"):  # as the service runs it
            _time_searches(retriever, snapshot, questions, vectors, search_ms, floor_ms)
        collection = client.create_collection(f"size-{size}", metadata={"hnsw:space": "cosine"})
        for lo in range(0, size, 5000):
            collection.add(ids=ids[lo : lo + 5000], embeddings=matrix[lo : lo + 5000])
        collection.query(query_embeddings=[vectors[0].tolist()], n_results=20)
        chroma_ms = []
        for v in vectors:
            start = time.perf_counter()
            collection.query(query_embeddings=[v.tolist()], n_results=20, include=[])
            chroma_ms.append((time.perf_counter() - start) * 1000)
        client.delete_collection(f"size-{size}")
        out[str(size)] = {
            "search_cpu_ms": round(median(search_ms), 3),
            "numpy_top4_cpu_ms": round(median(floor_ms), 3),
            "chroma_query_ms": round(median(chroma_ms), 3),
            "vectors_mib": round(snapshot.embeddings.nbytes / 2**20, 1),
        }
        log(f"{NAME}: {size:,} chunks: {out[str(size)]}")
    return out


def revision_poll_ms(store: Any, calls: int = 200) -> float:
    """Median wall ms of the read each instance makes to learn the live version."""
    store.revision()
    spent = []
    for _ in range(calls):
        start = time.perf_counter()
        store.revision()
        spent.append((time.perf_counter() - start) * 1000)
    return statistics.median(spent)


def embedded_store(ctx: Context) -> Any:
    """The sample knowledge base in an embedded Chroma of this scenario's own."""
    from bench.kb import clone_into
    from rag.store import open_store

    store = open_store(None, ctx.workdir / "ops-chroma", "knowledge_base")
    clone_into(store, ctx.embedder, sample_chunks(ctx))
    return store


def chroma_polls(ctx: Context, embedded: Any) -> dict[str, float]:
    """The revision read, on the embedded store and through a Chroma server."""
    from bench.kb import clone_into, settings_for
    from rag.store import open_store
    from tests.utils.chroma_server import chroma_server

    chunks = sample_chunks(ctx)
    out = {"embedded_ms": round(revision_poll_ms(embedded), 3)}
    path = ctx.workdir / "ops-chroma-server" / "data"
    path.mkdir(parents=True, exist_ok=True)
    with chroma_server(path) as url:
        remote = open_store(url, settings_for(path).chroma_path, "knowledge_base")
        clone_into(remote, ctx.embedder, chunks)
        out["server_ms"] = round(revision_poll_ms(remote), 3)
    return out


def service_ceilings(ctx: Context, redis_url: str) -> dict[str, float]:
    """What PostgreSQL and Redis take on this machine, by their own benchmarks: pgbench's
    TPC-B-like transactions (4 clients, 10 s) over the machine's cores, and redis-benchmark's
    SET, GET and INCR (50 clients, no pipelining), with the clients on the same cores."""
    import os

    from tests.utils.databases import _admin_dsn, fresh_database

    out: dict[str, float] = {}
    cores = len(os.sched_getaffinity(0))
    with fresh_database("postgresql", ctx.workdir) as url:
        dsn = _admin_dsn().rsplit("/", 1)[0] + f"/{url.database}"
        subprocess.run(["pgbench", "-i", "-q", "-s", "4", dsn], check=True, capture_output=True)
        done = subprocess.run(
            ["pgbench", "-n", "-c", "4", "-j", "2", "-T", "10", dsn],
            check=True,
            capture_output=True,
            text=True,
        )
        tps = next(
            float(line.split("=")[1].split()[0])
            for line in done.stdout.splitlines()
            if line.startswith("tps")
        )
        out |= {"pgbench_tps": round(tps), "pg_tps_per_core": round(tps / cores)}
    port = redis_url.rsplit(":", 1)[1].split("/")[0]
    argv = ["redis-benchmark", "-p", port, "-q", "-n", "100000", "-c", "50", "--csv"]
    bench = subprocess.run(
        [*argv, "-t", "set,get,incr"],
        check=True,
        capture_output=True,
        text=True,
    )
    rates = [
        float(row.split(",")[1].strip('"'))
        for row in bench.stdout.splitlines()
        if row and not row.startswith('"test"')
    ]
    out["redis_ops_per_s"] = round(sum(rates) / len(rates))
    return out


# --------------------------------------------------------------------------- the scenario


@contextmanager
def counted_server(
    ctx: Context,
    llm_url: str,
    redis_url: str,
    name: str = "stage-ops",
    settings: dict[str, str] | None = None,
) -> Iterator[Probes]:
    """Our server on PostgreSQL and this scenario's Redis, its SQL counted; `settings`: any
    setting other than its default."""
    import redis

    from tests.utils.databases import fresh_database

    data_dir = prepared_data_dir(ctx, name)
    count_file = data_dir / "sql-count"
    env = {
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": f"{name}:",
        "BENCH_SQL_COUNT_FILE": str(count_file),
        **(settings or {}),
    }
    with fresh_database("postgresql", data_dir) as url:
        database = url.render_as_string(False)
        with product(data_dir, database, llm_url, env=env, launcher="bench.counted_serve") as s:
            client = redis.Redis.from_url(redis_url)
            try:
                yield Probes(s, count_file, url.database, client)
            finally:
                client.close()


CACHE_KEY = "stage-ops details"
# The third load: the long answers again, on a server that merges a token into its frame for
# this long (the default is 100 ms), so the same tokens go out in fewer frames. With the two
# lengths it parts the stream's CPU into a part per token and a part per frame.
COARSE_COALESCE_MS: Final = 400
COARSE: Final = "ours, fewer frames"


def run(ctx: Context) -> Result:
    command = ctx.command(NAME)
    sessions = QUICK_SESSIONS if ctx.quick else FULL_SESSIONS
    stack = shared(ctx)
    measured: dict[str, dict[int, Visits]] = {"relay": {}, "ours": {}}
    with (
        private_redis(ctx.workdir) as redis_url,
        counted_server(ctx, stack.simulator.url, redis_url) as probes,
    ):
        stack.pace(TOKENS_PER_S, ANSWERS[0])
        warm(probes.server)
        taken: dict[tuple[str, int], list[Visits]] = {}
        for n in range(1 if ctx.quick else BURST_ROUNDS):
            for tokens in ANSWERS:
                stack.pace(TOKENS_PER_S, tokens)
                relay = visits(Probes(stack.relay), sessions, tokens, f"ops-relay{n}")
                ours = visits(probes, sessions, tokens, f"ops{n}")
                taken.setdefault(("relay", tokens), []).append(relay)
                taken.setdefault(("ours", tokens), []).append(ours)
                log(f"{NAME}: round {n + 1}, {tokens} tokens: ours {ours.as_json()}")
                log(
                    f"{NAME}: round {n + 1}, {tokens} tokens: "
                    f"relay cpu {relay.cpu_ms_per_visit:.1f}"
                )
        for (who, tokens), loads in taken.items():
            measured[who][tokens] = median_visits(loads)
        ceilings = service_ceilings(ctx, redis_url)
        log(f"{NAME}: service ceilings {ceilings}")
    coarse = {"TOKEN_COALESCE_MS": str(COARSE_COALESCE_MS)}
    with (
        private_redis(ctx.workdir) as redis_url,
        counted_server(ctx, stack.simulator.url, redis_url, "stage-ops-frames", coarse) as probes,
    ):
        long = ANSWERS[-1]
        stack.pace(TOKENS_PER_S, long)
        warm(probes.server)
        fewer = visits(probes, sessions, long, "ops-frames")
        measured[COARSE] = {long: fewer}
        log(f"{NAME}: {long} tokens, {COARSE_COALESCE_MS} ms frames: ours {fewer.as_json()}")
    rounds: list[dict[str, float]] = []
    if not ctx.quick:
        # The long answers once more, on two instances sharing live state over Redis behind
        # HAProxy: what a visit costs more when it is clustered (CPU of both and HAProxy) than
        # on one process as it runs alone, without Redis (the embedded default, and the
        # capacity scenario's one-process variants): Redis is part of what clustering costs.
        with (
            instances(ctx, "stage-ops-pair", stack.simulator.url, 2) as pair,
            instances(ctx, "stage-ops-one", stack.simulator.url, 1, redis=False) as single,
        ):
            stack.pace(TOKENS_PER_S, long)
            warm(pair)
            warm(single)
            two = visits(Probes(pair), sessions, long, "ops-pair")
            measured[PAIR] = {long: two}
            log(f"{NAME}: {long} tokens, {PAIR}: cpu {two.as_json()['cpu_ms_per_visit']}")
            paced = clustered_rounds(Probes(single), Probes(pair), sessions, long)
            measured[ONE_PACED], measured[PAIR_PACED] = {long: paced.one}, {long: paced.pair}
            rounds = paced.rounds
    sizes = QUICK_SIZES if ctx.quick else FULL_SIZES
    store = embedded_store(ctx)
    by_size = retrieval_by_size(ctx, store, sizes)
    polls = chroma_polls(ctx, store)
    log(f"{NAME}: Chroma revision read {polls}")
    short, long = ANSWERS
    ours_line = Line.through(measured["ours"][short], measured["ours"][long])
    relay_line = Line.through(measured["relay"][short], measured["relay"][long])
    split = StreamSplit.through(measured["ours"][short], measured["ours"][long], fewer)
    details = {
        "sessions": sessions,
        "tokens_per_s": TOKENS_PER_S,
        "visits": {
            who: {str(t): v.as_json() for t, v in by_tokens.items()}
            for who, by_tokens in measured.items()
        },
        "cpu_line": {
            "ours": {"per_turn_ms": ours_line.per_turn_ms, "per_token_ms": ours_line.per_token_ms},
            "relay": {
                "per_turn_ms": relay_line.per_turn_ms,
                "per_token_ms": relay_line.per_token_ms,
            },
        },
        "cpu_split": split.as_json(),
        "retrieval_by_size": by_size,
        "chroma_revision_read_ms": polls,
        "service_ceilings": ceilings,
        "clustered_rounds": rounds,
    }
    ctx.cache[CACHE_KEY] = details  # the capacity scenario's model reads them in the same run
    return Result(
        figures=_figures(measured, details, command),
        details=details,
        notes=[
            f"Stage ops: a new customer's visit (connect, authenticate, one question) costs "
            f"{ours_line.per_turn_ms:.1f} CPU-ms plus {ours_line.per_token_ms * 1000:.0f} µs per "
            f"streamed token (the relay: {relay_line.per_turn_ms:.1f} and "
            f"{relay_line.per_token_ms * 1000:.0f} µs), from loads of {sessions} at once with "
            f"{short}- and {long}-token answers; these and the counts per visit are "
            "`bench.capacity_model`'s constants (docs/capacity.md).",
            f"Stage ops: the same visit parted by a third load of {long}-token answers in "
            f"fewer frames: {split.per_turn_ms:.1f} CPU-ms a turn, "
            f"{split.per_token_ms * 1000:.0f} µs a token, {split.per_frame_ms * 1000:.0f} µs "
            f"a frame ({fewer.frames / fewer.sessions:.1f} frames a visit against "
            f"{measured['ours'][long].frames / sessions:.1f}).",
        ],
        method=(
            f"A served process (LLM mode, PostgreSQL, Redis live state on a Redis server of "
            f"the scenario's own) and the bare relay take loads of {sessions} new customers "
            "at once, each connecting, authenticating and asking one question, answered with "
            f"{short} and then {long} tokens at {TOKENS_PER_S:g} tokens/s; in a full run "
            f"these four loads are taken in turn {BURST_ROUNDS} times and the load of median "
            "CPU a visit of each kept (`median_visits`). Around each load: "
            "the server's CPU (/proc); the SQL statements and commits it sends (SQLAlchemy "
            "engine events counted inside the served process, `bench/counted_serve.py`); "
            "PostgreSQL's transactions for its database (`pg_stat_database`); Redis commands "
            "by name (`INFO commandstats`) and `used_memory`. Once every session is connected "
            f"and before any asks, {IDLE_S:g} s of the same counts give the cost of an idle "
            "connection; they are taken out of the load's. The CPU per visit at the two "
            "lengths gives a cost per turn and per token (a straight line). A third load, the "
            f"long answers on a server merging tokens into a frame for {COARSE_COALESCE_MS} ms "
            "(TOKEN_COALESCE_MS; 100 by default), sends the same tokens in fewer frames: with "
            "the other two it parts the stream's CPU into a part per token and a part per "
            "frame (`cpu_split`, what the capacity model charges). A fourth load, the long "
            "answers on two instances behind HAProxy on Redis (CPU of both and of HAProxy), "
            "less the one process's, is what a clustered visit costs more in a burst; the "
            f"long answers once more, arriving over {PACED_S:.0f} s (a steady rate), on one "
            "instance without Redis (as one process serving alone runs) and on the pair, up "
            f"side by side, taken in turn {PACED_ROUNDS} times (`clustered_rounds`), give what "
            "it costs more at a rate a ramp sustains, Redis included: the round of the median "
            "difference is what the model charges (`cluster_turn_cpu_ms`; HAProxy's part of it, "
            "read apart, is not charged to `--workers N`). Then, in the "
            "benchmark's process: `Retriever.search` (vector given) over "
            f"{', '.join(f'{s:,}' for s in sizes)} chunks made from the sample's, against a "
            "numpy top-4; a Chroma query (20 results) of a collection of each size; and the "
            "read of the live version's revision on the embedded store and through a Chroma "
            "server (`chroma run`), the only Chroma call a turn makes. Last, the services' own "
            "ceilings on this machine: pgbench (TPC-B-like, scale 4, 4 clients, 10 s) and "
            "redis-benchmark (SET, GET, INCR; 50 clients), their clients on the same 2 cores."
        ),
    )


def _figures(
    measured: dict[str, dict[int, Visits]], details: dict[str, Any], command: str
) -> list[Figure]:
    long = ANSWERS[-1]
    ours, relay = measured["ours"][long], measured["relay"][long]
    lines = details["cpu_line"]
    out = [
        Figure(
            name="Stage ops: server CPU per turn, apart from its tokens (a new customer's "
            "visit, 100 at once)",
            value=lines["ours"]["per_turn_ms"],
            unit="CPU-ms",
            baseline=lines["relay"]["per_turn_ms"],
            baseline_label="bare relay, same loads",
            ratio=ratio(lines["ours"]["per_turn_ms"], lines["relay"]["per_turn_ms"]),
            ratio_label="ours ÷ relay",
            command=command,
        ),
        Figure(
            name="Stage ops: server CPU per streamed token (30 tokens/s, 100 at once)",
            value=lines["ours"]["per_token_ms"] * 1000,
            unit="CPU-µs",
            baseline=lines["relay"]["per_token_ms"] * 1000,
            baseline_label="bare relay, same loads",
            ratio=ratio(lines["ours"]["per_token_ms"], lines["relay"]["per_token_ms"]),
            ratio_label="ours ÷ relay",
            command=command,
        ),
        Figure(
            name=f"Stage ops: server CPU per visit, {long}-token answer",
            value=ours.load.cpu_s / ours.sessions * 1000,
            unit="CPU-ms",
            baseline=relay.load.cpu_s / relay.sessions * 1000,
            baseline_label="bare relay, same load",
            ratio=ratio(ours.load.cpu_s, relay.load.cpu_s),
            ratio_label="ours ÷ relay",
            command=command,
        ),
    ]
    per_visit = ours.as_json()
    for key, label, unit in (
        ("sql_statements_per_visit", "SQL statements per visit", "statements"),
        ("sql_commits_per_visit", "SQL commits per visit", "commits"),
        ("pg_transactions_per_visit", "PostgreSQL transactions per visit", "xacts"),
        ("redis_commands_per_visit", "Redis commands per visit", "commands"),
    ):
        name = f"Stage ops: {label} ({long}-token answer)"
        out.append(_plain(name, per_visit[key], unit, command))
    out.append(
        _plain(
            "Stage ops: Redis memory per session just ended (its live state, kept for resume)",
            per_visit["redis_memory_bytes_per_session"] / 1024,
            "KiB",
            command,
        )
    )
    out.append(
        _plain(
            "Stage ops: Redis commands per idle connection per second",
            per_visit["idle_redis_commands_per_connection_s"],
            "commands/s",
            command,
        )
    )
    for size, row in details["retrieval_by_size"].items():
        out.append(
            Figure(
                name=f"Stage ops: retrieval CPU at {int(size):,} chunks (search, vector given)",
                value=row["search_cpu_ms"],
                unit="CPU-ms",
                baseline=row["numpy_top4_cpu_ms"],
                baseline_label="numpy top-4 over the same vectors",
                ratio=ratio(row["search_cpu_ms"], row["numpy_top4_cpu_ms"]),
                ratio_label="search ÷ top-4",
                command=command,
            )
        )
        out.append(
            _plain(
                f"Stage ops: Chroma query at {int(size):,} chunks (20 results, embedded)",
                row["chroma_query_ms"],
                "ms",
                command,
            )
        )
    ceilings = details["service_ceilings"]
    out.append(
        _plain(
            "Stage ops: pgbench TPC-B-like transactions per core (4 clients, this machine)",
            ceilings["pg_tps_per_core"],
            "xacts/s",
            command,
        )
    )
    out.append(
        _plain(
            "Stage ops: redis-benchmark SET/GET/INCR, one Redis (50 clients, no pipelining)",
            ceilings["redis_ops_per_s"],
            "commands/s",
            command,
        )
    )
    polls = details["chroma_revision_read_ms"]
    out.append(
        Figure(
            name="Stage ops: Chroma read of the live revision through a Chroma server (≤ 2/s "
            "per instance)",
            value=polls["server_ms"],
            unit="ms",
            baseline=polls["embedded_ms"],
            baseline_label="the same read, embedded",
            ratio=ratio(polls["server_ms"], polls["embedded_ms"]),
            ratio_label="server ÷ embedded",
            command=command,
        )
    )
    return out


def _plain(name: str, value: float, unit: str, command: str) -> Figure:
    return Figure(
        name=name,
        value=value,
        unit=unit,
        baseline=None,
        baseline_label="no baseline",
        ratio=None,
        ratio_label="",
        command=command,
    )


SCENARIO = Scenario(
    name=NAME,
    title="Stage ops: what a visit asks of PostgreSQL, Redis and Chroma",
    run=run,
    summary="CPU per turn and per token, SQL statements and transactions, Redis commands and "
    "memory per visit, and retrieval and Chroma costs as the knowledge base grows.",
)
