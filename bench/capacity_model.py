"""How many of what a load needs: instances and cores, PostgreSQL, Redis, Chroma.

Pure arithmetic over measured costs, each constant carrying the benchmark it came from
(`Cost.source`), and a seeded discrete-event simulation of one process's admission queue
(`first_tokens`) for the first token under a crowd. No I/O but `costs_from_report`, which reads
the constants from `docs/benchmarks.json`. `docs/capacity.md` is the guide built on it.

The unit of scale is one served process (one event loop, its embedding worker threads): it
uses a bounded share of a machine's cores (`Costs.process_cores`), so an instance of N cores
runs N processes (`--workers N`) and the load spreads over processes.
"""

from __future__ import annotations

import heapq
import json
import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from orchestrator.settings import Settings

Resource = Literal["instance CPU", "PostgreSQL", "Redis", "Chroma"]


@dataclass(frozen=True)
class Cost:
    """One measured (or, where `source` says so, assumed) constant."""

    value: float
    source: str


@dataclass(frozen=True)
class Costs:
    """What a visit, a token, a connection and a chunk cost; what a service can take."""

    turn_cpu_ms: Cost  # a new customer's visit, apart from its token frames
    frame_cpu_ms: Cost  # one token frame sent (tokens merged into frames under load)
    pre_token_share: Cost  # of the turn's CPU, the part before its first token
    retrieval_cpu_ms_per_10k_chunks: Cost  # what a search adds per 10,000 chunks
    process_cores: Cost  # the most CPU one served process uses (one event loop)
    process_rss_mib: Cost  # one served process after a load, the sample KB loaded
    idle_connection_kib: Cost
    chunk_kib: Cost  # a chunk's share of the in-memory snapshot (vectors, text, index)
    sql_statements_per_turn: Cost
    pg_transactions_per_turn: Cost  # as PostgreSQL counts them, read-only ones included
    pg_commits_per_turn: Cost  # the writing ones: what a commit's flush to disk costs
    pg_connections_per_process: Cost  # the pool's most: pool_size + max_overflow
    pg_tps_per_core: Cost  # writing transactions one PostgreSQL core commits
    redis_commands_per_turn: Cost  # apart from its token frames
    redis_commands_per_frame: Cost  # each token frame is kept for resume and fanned out
    redis_commands_per_idle_connection_s: Cost
    redis_kib_per_live_session: Cost  # apart from its frames
    redis_kib_per_frame: Cost
    token_frames_per_s: Cost  # one process's budget of token frames
    token_coalesce_ms: Cost  # an answer's tokens this close together go out in one frame
    redis_ops_per_s: Cost  # one Redis shard (one thread), commands a second
    chroma_reads_per_process_s: Cost  # the live-revision read, while a process serves turns
    chroma_read_ms: Cost  # one such read through a Chroma server
    slots_per_core: Cost
    queue_max_wait_s: Cost
    live_session_idle_s: Cost
    # one token streamed, however it is framed (a report without stage-ops' third load: all
    # of the stream's CPU is charged to its frames)
    token_cpu_ms: Cost = Cost(0.0, "none: the stream's CPU charged to its frames")
    # What a visit costs more when the processes serving it share live state over Redis (two
    # instances behind HAProxy) than when one process serves it alone (a report without
    # stage-ops' pair load: nothing more)
    cluster_turn_cpu_ms: Cost = Cost(0.0, "none: no pair load in the report")
    # Of `cluster_turn_cpu_ms`, what the load balancer in front of the pair spent a visit:
    # processes that share one address without one (`--workers N`) are not charged it
    balancer_turn_cpu_ms: Cost = Cost(0.0, "none: the balancer's CPU not measured apart")

    def clustered(self, processes: int, *, balanced: bool = True) -> Costs:
        """The costs of a visit served by one of `processes` processes: with more than one,
        the turn costs what sharing live state adds (`cluster_turn_cpu_ms`), less the load
        balancer's part when they sit behind none (`balanced` false: `--workers N`)."""
        if processes <= 1 or not self.cluster_turn_cpu_ms.value:
            return self
        more = self.cluster_turn_cpu_ms.value
        if not balanced:
            more = max(0.0, more - self.balancer_turn_cpu_ms.value)
        turn = self.turn_cpu_ms.value + more
        how = "clustered" if balanced else "clustered, no balancer"
        return replace(  # folded into the turn once: clustering these again adds nothing
            self,
            turn_cpu_ms=Cost(turn, f"{self.turn_cpu_ms.source}, {how}"),
            cluster_turn_cpu_ms=Cost(0.0, self.cluster_turn_cpu_ms.source),
        )


@dataclass(frozen=True)
class Load:
    """What arrives: customers connected, messages a second, answers, the knowledge base."""

    connections: int
    messages_per_s: float
    answer_tokens: int = 200
    tokens_per_s: float = 30.0
    kb_chunks: int = 1_000


@dataclass(frozen=True)
class Deployment:
    """How the operator lays it out."""

    cores_per_instance: int = 4
    utilisation: float = 0.6  # CPU kept busy at the sized load; the rest absorbs a crowd
    pg_cores: int = 4
    pg_max_connections: int = 100  # PostgreSQL's default
    redis_shards: int = 1
    chroma_servers: int = 1


@dataclass(frozen=True)
class Demand:
    """One resource: what the load asks, what one node of it gives, how full that is."""

    resource: Resource
    asks: float
    unit: str
    capacity: float

    @property
    def fill(self) -> float:
        return self.asks / self.capacity if self.capacity else math.inf


@dataclass(frozen=True)
class Sizing:
    """The model's answer for one load and layout."""

    load: Load
    deployment: Deployment
    cpu_ms_per_turn: float
    cores: float  # busy cores the load asks for
    processes: int
    instances: int
    memory_gib_per_instance: float
    pg_transactions_per_s: float
    pg_statements_per_s: float
    pg_connections: int
    pgbouncer: bool
    frames_per_turn: float
    redis_ops_per_s: float
    redis_memory_mib: float
    chroma_reads_per_s: float
    llm_streams: float  # answers being streamed at once (the model server's concurrency)
    demands: tuple[Demand, ...]

    @property
    def first_to_saturate(self) -> Demand:
        """The shared service closest to full at this load (instances scale out; the shared
        services are one node each until the design changes)."""
        return max(self.demands, key=lambda d: d.fill)


def cpu_ms_per_turn(load: Load, costs: Costs, frames: float | None = None) -> float:
    """The server's CPU for one visit: the turn, the `frames` its answer is sent in (None: a
    frame a token, as an answer streamed alone), a search over the KB's size."""
    extra_chunks = max(0, load.kb_chunks - 1_000)
    sent_in = float(load.answer_tokens) if frames is None else frames
    return (
        costs.turn_cpu_ms.value
        + load.answer_tokens * costs.token_cpu_ms.value
        + sent_in * costs.frame_cpu_ms.value
        + extra_chunks / 10_000 * costs.retrieval_cpu_ms_per_10k_chunks.value
    )


def cpu_ms_at(load: Load, costs: Costs, messages_per_s_per_process: float) -> float:
    """`cpu_ms_per_turn` with the frames an answer is sent in at this rate a process."""
    return cpu_ms_per_turn(load, costs, frames_per_turn(load, costs, messages_per_s_per_process))


def _stream_frames_per_s(load: Load, costs: Costs) -> float:
    """The most frames a second one answer is sent in: a frame a token, and no more than one
    per coalescing window (what `frames_per_turn` and the queue's streaming answers take)."""
    window_s = costs.token_coalesce_ms.value / 1000
    return min(load.tokens_per_s, 1 / window_s) if window_s > 0 else load.tokens_per_s


def frames_per_turn(load: Load, costs: Costs, messages_per_s_per_process: float) -> float:
    """Token frames one answer is sent in: the process's frame budget shared by the answers
    it streams at once, at most one a token and one per coalescing window, at least one per
    250 ms (the longest wait)."""
    answer_s = load.answer_tokens / load.tokens_per_s
    most = min(float(load.answer_tokens), answer_s * _stream_frames_per_s(load, costs))
    if messages_per_s_per_process <= 0:
        return most
    shared = costs.token_frames_per_s.value / messages_per_s_per_process
    return min(most, max(answer_s * 4, shared))


def size(load: Load, costs: Costs, deployment: Deployment | None = None) -> Sizing:
    """Instances, cores and the shared services' load for `load` on `deployment`."""
    layout = deployment or Deployment()
    usable = costs.process_cores.value * layout.utilisation
    # More processes share the load: fewer answers a process, each sent in more frames, so
    # more CPU a turn; the count is settled when it asks for no more processes.
    per_instance = max(1, math.floor(layout.cores_per_instance / costs.process_cores.value))
    processes = 1
    for _ in range(50):
        # the processes of one instance share its socket (`--workers N`): no balancer yet
        shared = costs.clustered(processes, balanced=processes > per_instance)
        per_turn = cpu_ms_at(load, shared, load.messages_per_s / processes)
        cores = load.messages_per_s * per_turn / 1000
        needed = max(1, math.ceil(cores / usable))
        if needed <= processes:
            break
        processes = needed
    instances = max(1, math.ceil(processes / per_instance))
    processes = max(processes, instances)
    per_process_connections = load.connections / processes
    memory_mib = per_instance * (
        costs.process_rss_mib.value
        + per_process_connections * costs.idle_connection_kib.value / 1024
        + load.kb_chunks * costs.chunk_kib.value / 1024
    )
    pg_tps = load.messages_per_s * costs.pg_transactions_per_turn.value
    pg_connections = processes * int(costs.pg_connections_per_process.value)
    frames = frames_per_turn(load, costs, load.messages_per_s / processes)
    kept = load.messages_per_s * costs.live_session_idle_s.value  # ended, kept for resume
    redis_kib = (load.connections + kept) * costs.redis_kib_per_live_session.value + (
        kept * frames * costs.redis_kib_per_frame.value
    )
    redis_ops = (
        load.messages_per_s
        * (costs.redis_commands_per_turn.value + frames * costs.redis_commands_per_frame.value)
        + load.connections * costs.redis_commands_per_idle_connection_s.value
    )
    chroma_reads = processes * costs.chroma_reads_per_process_s.value
    demands = (
        Demand(
            "PostgreSQL",
            load.messages_per_s * costs.pg_commits_per_turn.value,
            "writing transactions/s",
            layout.pg_cores * costs.pg_tps_per_core.value,
        ),
        Demand("Redis", redis_ops, "commands/s", layout.redis_shards * costs.redis_ops_per_s.value),
        Demand(
            "Chroma",
            chroma_reads * costs.chroma_read_ms.value / 1000,
            "busy server-seconds/s",
            float(layout.chroma_servers),
        ),
    )
    return Sizing(
        load=load,
        deployment=layout,
        cpu_ms_per_turn=per_turn,
        cores=cores,
        processes=processes,
        instances=instances,
        memory_gib_per_instance=memory_mib / 1024,
        pg_transactions_per_s=pg_tps,
        pg_statements_per_s=load.messages_per_s * costs.sql_statements_per_turn.value,
        pg_connections=pg_connections,
        pgbouncer=pg_connections > layout.pg_max_connections,
        frames_per_turn=frames,
        redis_ops_per_s=redis_ops,
        redis_memory_mib=redis_kib / 1024,
        chroma_reads_per_s=chroma_reads,
        llm_streams=load.messages_per_s * load.answer_tokens / load.tokens_per_s,
        demands=demands,
    )


def _highest_rate(busy_cores: Callable[[float], float], cores: float) -> float:
    """The highest rate whose `busy_cores(rate)` (never falling as the rate rises) fits in
    `cores`, by bisection."""
    low, high = 0.0, 1.0
    while busy_cores(high) <= cores and high < 1e7:
        low, high = high, high * 2
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if busy_cores(middle) <= cores else (low, middle)
    return low


def sustained_rate(costs: Costs, load: Load, cores: float, processes: int = 1) -> float:
    """Turns a second `processes` keep up with on `cores` of CPU at this answer length and KB
    size (every core busy): the model's capacity, before any queue forms."""
    costs = costs.clustered(processes)
    return _highest_rate(lambda rate: rate * cpu_ms_at(load, costs, rate / processes) / 1000, cores)


def shared_machine_rate(
    costs: Costs,
    load: Load,
    *,
    processes: int,
    machine_cores: float,
    others_ms: float,
    process_cores: float | None = None,
) -> float:
    """Turns a second `processes` served processes keep up with on a machine of
    `machine_cores` whose other programs (load generator, simulator, PostgreSQL, Redis) spend
    `others_ms` CPU-ms per turn: the lower of the processes' own ceiling (`process_cores`
    each, by default the constant) and the machine's."""
    each = costs.process_cores.value if process_cores is None else process_cores
    own = sustained_rate(costs, load, processes * each, processes)
    costs = costs.clustered(processes)
    machine = _highest_rate(
        lambda rate: rate * (cpu_ms_at(load, costs, rate / processes) + others_ms) / 1000,
        machine_cores,
    )
    return min(own, machine)


# --------------------------------------------------------------------------- the queue


@dataclass(frozen=True)
class Crowd:
    """Arrivals at one process: `count` messages spread evenly over `over_s` (0: at once),
    or at random (Poisson) when `poisson`."""

    count: int
    over_s: float = 0.0
    poisson: bool = False

    def times(self, rng: random.Random) -> list[float]:
        if self.count <= 0:
            return []
        if self.over_s <= 0:
            return [0.0] * self.count
        if self.poisson:
            rate = self.count / self.over_s
            t, out = 0.0, []
            for _ in range(self.count):
                t += rng.expovariate(rate)
                out.append(t)
            return out
        return [i * self.over_s / self.count for i in range(self.count)]


@dataclass(frozen=True)
class QueueOutcome:
    """What the simulated customers saw: first-token times (s) of those served, the refused."""

    first_token_s: tuple[float, ...]
    refused: int
    busy_s: float  # when the last answer ended
    # Each arrival's (time, wait for its first token), in arrival order (inf: refused).
    arrivals: tuple[tuple[float, float], ...] = ()

    def quantile(self, q: float) -> float:
        """Nearest rank over the served (NaN: none served)."""
        if not self.first_token_s:
            return math.nan
        ordered = sorted(self.first_token_s)
        return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]

    @property
    def completed(self) -> int:
        return len(self.first_token_s)


@dataclass
class _Turn:
    arrived: float
    work_s: float  # CPU before the first token, left to do
    after_s: float  # CPU at the turn's end, once streamed
    first_token: float | None = None
    streaming_until: float = 0.0


@dataclass
class _Process:
    """The simulated process: slots, a FIFO line, CPU shared among the slot holders."""

    cores: float
    slots: int
    frame_cpu_s: float  # per token frame
    frames_per_s: float  # the process's budget of frames, shared by the answers streaming
    stream_frames_per_s: float  # an answer's frames a second, at most: a token each, one a window
    answer_s: float
    llm_first_token_s: float
    after_cpu: float = 0.0  # cores an answer's own work after its first token takes meanwhile
    running: list[_Turn] = field(default_factory=list)
    line: list[_Turn] = field(default_factory=list)
    streams: list[float] = field(default_factory=list)  # heap of when each answer ends

    def streaming_load(self, now: float) -> float:
        """Cores the answers being streamed take now."""
        while self.streams and self.streams[0] <= now:
            heapq.heappop(self.streams)
        frames = min(self.frames_per_s, len(self.streams) * self.stream_frames_per_s)
        return frames * self.frame_cpu_s + len(self.streams) * self.after_cpu

    def rate(self, now: float) -> float:
        """CPU-seconds a second each slot holder gets."""
        if not self.running:
            return 0.0
        free = max(0.05 * self.cores, self.cores - self.streaming_load(now))
        return min(1.0, free / len(self.running))


def first_tokens(
    crowd: Crowd,
    costs: Costs,
    load: Load,
    *,
    cores: float,
    slots: int | None = None,
    llm_first_token_s: float = 0.0,
    seed: int = 0,
    spread: float = 0.3,
    times: Sequence[float] | None = None,
) -> QueueOutcome:
    """Simulate one process taking `crowd`: each turn's CPU before its first token is drawn
    around the measured mean (lognormal, `spread`), shared among the turns holding a slot,
    with the answers already streaming taking their tokens' CPU first; a message expected to
    wait past the queue's bound (the product's rule: place × CPU per turn) is refused.
    `times`: the arrivals' own times, in place of the crowd's (its count still sets the
    rate a turn's frames are reckoned at)."""
    rng = random.Random(seed)
    tokens_s = load.answer_tokens * costs.token_cpu_ms.value / 1000  # spread over the answer
    turn_s = cpu_ms_per_turn(load, costs, frames=0.0) / 1000 - tokens_s  # frames: streaming load
    per_turn_s = cpu_ms_at(load, costs, crowd.count / max(crowd.over_s, 1.0)) / 1000
    pre_s = turn_s * costs.pre_token_share.value
    after_s = turn_s - pre_s + tokens_s
    process = _Process(
        cores=cores,
        slots=slots or int(costs.slots_per_core.value * max(1, round(cores))),
        frame_cpu_s=costs.frame_cpu_ms.value / 1000,
        frames_per_s=costs.token_frames_per_s.value,
        stream_frames_per_s=_stream_frames_per_s(load, costs),
        answer_s=load.answer_tokens / load.tokens_per_s,
        llm_first_token_s=llm_first_token_s,
        after_cpu=after_s / max(load.answer_tokens / load.tokens_per_s, 1e-9),
    )
    sigma = math.sqrt(math.log(1 + spread**2))
    arrivals = sorted(crowd.times(rng) if times is None else times)
    served: list[_Turn] = []
    everyone: list[_Turn | float] = []  # each arrival's turn, or its time if refused
    refused = 0
    now, i = 0.0, 0
    place_s = per_turn_s / min(cores, costs.process_cores.value)
    while i < len(arrivals) or process.running or process.line:
        rate = process.rate(now)
        finish = math.inf
        if process.running and rate > 0:
            finish = now + min(t.work_s for t in process.running) / rate
        next_stream = process.streams[0] if process.streams else math.inf
        arrival = arrivals[i] if i < len(arrivals) else math.inf
        step_to = min(finish, arrival, next_stream)
        if step_to == math.inf:
            break
        for turn in process.running:
            turn.work_s -= (step_to - now) * rate
        now = step_to
        if arrival == now:
            i += 1
            draw = pre_s * rng.lognormvariate(-(sigma**2) / 2, sigma)
            turn = _Turn(now, draw, after_s)
            if len(process.running) < process.slots and not process.line:
                process.running.append(turn)
            elif (len(process.line) + 1) * place_s > costs.queue_max_wait_s.value:
                refused += 1
                everyone.append(now)
                continue
            else:
                process.line.append(turn)
            everyone.append(turn)
            continue
        done = [t for t in process.running if t.work_s <= 1e-12]
        for turn in done:
            process.running.remove(turn)
            turn.first_token = now + process.llm_first_token_s
            ends = turn.first_token + process.answer_s
            # its work after the first token is spread over its answer (`after_cpu`)
            heapq.heappush(process.streams, ends)
            served.append(turn)
            while process.line and len(process.running) < process.slots:
                process.running.append(process.line.pop(0))
        process.streaming_load(now)
    waits = tuple(t.first_token - t.arrived for t in served if t.first_token is not None)
    last = max((t.first_token or 0.0) + process.answer_s for t in served) if served else 0.0
    by_arrival = tuple(
        (t, math.inf)
        if isinstance(t, float)
        else (t.arrived, math.inf if t.first_token is None else t.first_token - t.arrived)
        for t in everyone
    )
    return QueueOutcome(waits, refused, last, by_arrival)


def capacity_by_simulation(
    costs: Costs,
    load: Load,
    *,
    cores: float,
    limit_s: float = 2.0,
    quantile: float = 95.0,
    step_s: float = 20.0,
    rates: Sequence[float] = (1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 48, 64, 96),
    seed: int = 0,
) -> float:
    """The highest of `rates` at which Poisson arrivals for `step_s` keep the first token's
    quantile within `limit_s` and refuse none: the capacity scenario's rule, simulated for
    one process."""
    best = 0.0
    for rate in rates:
        crowd = Crowd(round(rate * step_s), step_s, poisson=True)
        out = first_tokens(crowd, costs, load, cores=cores, seed=seed)
        if out.refused or out.quantile(quantile) > limit_s:
            break
        best = float(rate)
    return best


def ramp_by_simulation(
    costs: Costs,
    load: Load,
    *,
    cores: float,
    rates: Sequence[float],
    step_s: float,
    limit_s: float = 2.0,
    quantile: float = 95.0,
    seed: int = 0,
) -> tuple[float, float | None]:
    """The capacity scenario's ramp at one process, simulated: arrivals evenly spaced at each
    of `rates` for `step_s`, the steps back to back (answers of one step still stream into
    the next); (the last rate passed, the first failed or None). A step fails when its
    arrivals' wait quantile passes `limit_s` or one is refused."""
    times: list[float] = []
    bounds: list[tuple[float, float, float]] = []
    start = 0.0
    for rate in rates:
        planned = round(rate * step_s)
        times += [start + i / rate for i in range(planned)]
        bounds.append((rate, start, start + planned / rate))
        start += planned / rate
    crowd = Crowd(len(times), start)
    out = first_tokens(crowd, costs, load, cores=cores, seed=seed, times=times)
    passed = 0.0
    for rate, begin, end in bounds:
        waits = sorted(w for t, w in out.arrivals if begin <= t < end)
        rank = waits[max(0, math.ceil(quantile / 100 * len(waits)) - 1)] if waits else 0.0
        if rank > limit_s:
            return passed, rate
        passed = rate
    return passed, None


# --------------------------------------------------------------------------- the constants


REPORT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.json"
STAGE_OPS = "`python -m bench --only stage-ops`"
CODE = "the product's code"


def _scenario(report: dict[str, Any], name: str) -> dict[str, Any]:
    for entry in report.get("scenarios", []):
        if entry.get("name") == name and entry.get("status") == "measured":
            return dict(entry.get("details") or {})
    return {}


def _slope_per_10k(by_size: dict[str, dict[str, float]]) -> float:
    """Least-squares growth of the search's CPU per 10,000 chunks."""
    points = sorted((int(n), row["search_cpu_ms"]) for n, row in by_size.items())
    if len(points) < 2:
        return 0.0
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var * 10_000


# stage-ops' load of its long answers on two instances sharing live state
PAIR = "two instances"
# … and its long answers at a steady rate (arrivals spread over PACED_S), on one process
# without Redis (as it runs alone) and on the pair: what a clustered visit costs more at a
# rate a ramp sustains, not in a burst, Redis included.
PACED_S = 10.0
ONE_PACED = "one process, paced"
PAIR_PACED = "two instances, paced"


def _clustered(
    visits: dict[str, Any], longest: str, one: dict[str, Any], frame_ms: float
) -> dict[str, Cost]:
    """What a visit costs more on two instances sharing live state over Redis than on one
    process: at a steady rate where both were measured so (the one process without Redis, as
    it runs alone), else in the burst of 100 at once (whose one process ran on Redis: Redis
    is then left out of the charge); less the frames the pair sent
    more (each of its processes streams fewer answers at once, so merges fewer tokens into a
    frame), which the model already charges by the rate a process serves (`frames_per_turn`)."""
    one_paced = visits.get(ONE_PACED, {}).get(longest)
    pair_paced = visits.get(PAIR_PACED, {}).get(longest)
    pair = visits.get(PAIR, {}).get(longest)
    if one_paced and pair_paced:
        alone, shared = one_paced, pair_paced
        rate = one_paced.get("sessions", 100) / PACED_S
        what = f"server CPU per visit at {rate:.0f}/s, two instances less one process"
    elif pair:
        alone, shared = one, pair
        what = "server CPU per visit, two instances behind HAProxy less one process"
    else:
        return {}
    frames = shared["token_frames_per_visit"] - alone["token_frames_per_visit"]
    more = shared["cpu_ms_per_visit"] - alone["cpu_ms_per_visit"] - frame_ms * frames
    what += ", less the frames it sent more"
    found = {"cluster_turn_cpu_ms": Cost(max(0.0, more), f"{STAGE_OPS}: {what}")}
    balancer = shared.get("balancer_cpu_ms_per_visit")
    if balancer:
        found["balancer_turn_cpu_ms"] = Cost(
            balancer, f"{STAGE_OPS}: HAProxy's CPU per visit in the same pair load"
        )
    return found


def costs_from_report(report: dict[str, Any]) -> Costs:
    """The model's constants from a benchmark report (`docs/benchmarks.json`'s shape): the
    stage-ops scenario's, else the defaults (`DEFAULT_COSTS`) with their own sources."""
    ops = _scenario(report, "stage-ops")
    if not ops:
        return DEFAULT_COSTS
    lengths = sorted(ops["visits"]["ours"], key=int)
    short, longest = (ops["visits"]["ours"][k] for k in lengths)
    visit = longest
    frames = longest["token_frames_per_visit"] - short["token_frames_per_visit"]
    frame_ms = (longest["cpu_ms_per_visit"] - short["cpu_ms_per_visit"]) / frames
    per_frame = (longest["redis_commands_per_visit"] - short["redis_commands_per_visit"]) / frames
    kib_per_frame = (
        (longest["redis_memory_bytes_per_session"] - short["redis_memory_bytes_per_session"])
        / 1024
        / frames
    )
    ceilings = ops.get("service_ceilings", {})
    d = DEFAULT_COSTS

    def measured(value: float, what: str) -> Cost:
        return Cost(value, f"{STAGE_OPS}: {what}")

    split = ops.get("cpu_split")
    stream = (
        {
            "turn_cpu_ms": measured(split["per_turn_ms"], "server CPU per visit, less its stream"),
            "token_cpu_ms": measured(split["per_token_ms"], "server CPU per token (three loads)"),
            "frame_cpu_ms": measured(split["per_frame_ms"], "server CPU per frame (three loads)"),
        }
        if split
        else {
            "turn_cpu_ms": measured(
                longest["cpu_ms_per_visit"] - frame_ms * longest["token_frames_per_visit"],
                "server CPU per visit apart from its token frames",
            ),
            "frame_cpu_ms": measured(frame_ms, "server CPU per token frame (two answer lengths)"),
        }
    )
    return replace(
        d,
        **stream,
        **_clustered(ops["visits"], lengths[-1], longest, stream["frame_cpu_ms"].value),
        retrieval_cpu_ms_per_10k_chunks=measured(
            _slope_per_10k(ops["retrieval_by_size"]), "retrieval CPU by KB size, slope"
        ),
        sql_statements_per_turn=measured(visit["sql_statements_per_visit"], "SQL statements"),
        pg_transactions_per_turn=measured(
            visit["pg_transactions_per_visit"], "pg_stat_database transactions per visit"
        ),
        pg_commits_per_turn=measured(visit["sql_commits_per_visit"], "SQL commits per visit"),
        redis_commands_per_turn=measured(
            visit["redis_commands_per_visit"] - per_frame * visit["token_frames_per_visit"],
            "Redis commands per visit, less its frames'",
        ),
        redis_commands_per_frame=measured(per_frame, "Redis commands per token frame"),
        redis_kib_per_frame=measured(kib_per_frame, "Redis used_memory per token frame"),
        redis_commands_per_idle_connection_s=measured(
            visit["idle_redis_commands_per_connection_s"], "Redis commands per idle connection"
        ),
        redis_kib_per_live_session=measured(
            max(
                0.0,
                visit["redis_memory_bytes_per_session"] / 1024
                - kib_per_frame * visit["token_frames_per_visit"],
            ),
            "Redis used_memory per session, less its frames'",
        ),
        chroma_read_ms=measured(
            ops["chroma_revision_read_ms"]["server_ms"], "revision read, Chroma server"
        ),
        pg_tps_per_core=(
            measured(ceilings["pg_tps_per_core"], "pgbench on this machine, per core")
            if "pg_tps_per_core" in ceilings
            else d.pg_tps_per_core
        ),
        redis_ops_per_s=(
            measured(ceilings["redis_ops_per_s"], "redis-benchmark on this machine")
            if "redis_ops_per_s" in ceilings
            else d.redis_ops_per_s
        ),
    )


def load_costs(path: Path = REPORT) -> Costs:
    """`costs_from_report` over the committed report."""
    return costs_from_report(json.loads(path.read_text(encoding="utf-8")))


STAGE_COST = "`python -m bench --only stage-cost`"
CONCURRENCY = "`python -m bench --only concurrency`"
ESTIMATE = "estimate until `stage-ops` is in the report"


def shipped_default(setting: str) -> float:
    """A setting's shipped default (`orchestrator.settings.Settings`)."""
    return float(Settings.model_fields[setting].default)


DEFAULT_COSTS = Costs(
    turn_cpu_ms=Cost(25.0, f"{STAGE_COST}, LLM-mode note: ~21 CPU-ms before, ~4 after"),
    frame_cpu_ms=Cost(0.85, f"{STAGE_OPS} of 2026-11-26: (71.4 - 45.4) CPU-ms / (37.0 - 6.6)"),
    pre_token_share=Cost(0.84, f"{STAGE_COST}, LLM-mode note: 21 of 25 CPU-ms before"),
    retrieval_cpu_ms_per_10k_chunks=Cost(
        0.6, "`python -m bench --only retrieval`: search p50 21.7 → 24.9 ms, 1k → 50k chunks"
    ),
    process_cores=Cost(
        1.15, "`python -m bench --only capacity`: one process at its failing step, 1.11–1.14"
    ),
    process_rss_mib=Cost(830.0, f"{CONCURRENCY}: server RSS after 100 sessions, 832–864 MiB"),
    idle_connection_kib=Cost(62.0, f"{CONCURRENCY}: RSS per idle connection, 48–63 KiB"),
    chunk_kib=Cost(4.0, "estimate: a 384-float vector (1.5 KiB), its text and BM25 postings"),
    sql_statements_per_turn=Cost(12.0, ESTIMATE),
    pg_transactions_per_turn=Cost(6.0, "docs/benchmarks.md, WebSocket profile: ~6 per turn"),
    pg_commits_per_turn=Cost(3.0, ESTIMATE),
    pg_connections_per_process=Cost(30.0, f"{CODE}: db_engine pool_size 10 + max_overflow 20"),
    pg_tps_per_core=Cost(3000.0, "assumption: small commits per PostgreSQL core"),
    redis_commands_per_turn=Cost(30.0, ESTIMATE),
    redis_commands_per_frame=Cost(7.0, ESTIMATE),
    redis_commands_per_idle_connection_s=Cost(0.03, ESTIMATE),
    redis_kib_per_live_session=Cost(10.0, ESTIMATE),
    redis_kib_per_frame=Cost(1.0, ESTIMATE),
    token_frames_per_s=Cost(
        shipped_default("token_frames_per_s"), f"{CODE}: TOKEN_FRAMES_PER_S default"
    ),
    token_coalesce_ms=Cost(
        shipped_default("token_coalesce_ms"), f"{CODE}: TOKEN_COALESCE_MS default"
    ),
    redis_ops_per_s=Cost(80_000.0, "assumption: one Redis thread, small commands"),
    chroma_reads_per_process_s=Cost(2.0, f"{CODE}: rag.retriever.REFRESH_EVERY_S = 0.5 s"),
    chroma_read_ms=Cost(1.0, ESTIMATE),
    slots_per_core=Cost(4.0, f"{CODE}: api.session.turn_queue.SLOTS_PER_CORE"),
    queue_max_wait_s=Cost(120.0, f"{CODE}: QUEUE_MAX_WAIT_S default"),
    live_session_idle_s=Cost(300.0, f"{CODE}: LIVE_SESSION_IDLE_S default"),
)


def sources(costs: Costs) -> Iterable[tuple[str, Cost]]:
    """(name, cost) for every constant, in declaration order: the table the docs print."""
    for name in costs.__dataclass_fields__:
        yield name, getattr(costs, name)


# --------------------------------------------------------------------------- the guide's tables


def customers_load(customers: int, share_per_minute: float = 0.05, **kwargs: Any) -> Load:
    """`customers` connected at once, `share_per_minute` of them sending a message in a minute."""
    return Load(customers, customers * share_per_minute / 60, **kwargs)


def sizing_table(costs: Costs, loads: Sequence[Load], layout: Deployment) -> list[str]:
    """The operator's table (Markdown): per load, what it takes and what fills first."""
    rows = [
        "| customers | messages/s | CPU-ms a turn | busy cores | processes | instances "
        "(cores each) | GiB an instance | PostgreSQL tx/s (connections) | Redis commands/s "
        "(memory) | Chroma reads/s | fullest shared service |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for load in loads:
        s = size(load, costs, layout)
        full = s.first_to_saturate
        rows.append(
            f"| {load.connections:,} | {load.messages_per_s:,.1f} | {s.cpu_ms_per_turn:.0f} | "
            f"{s.cores:.1f} | {s.processes} | {s.instances} ({layout.cores_per_instance}) | "
            f"{s.memory_gib_per_instance:.1f} | {s.pg_transactions_per_s:,.0f} "
            f"({s.pg_connections}{', PgBouncer' if s.pgbouncer else ''}) | "
            f"{s.redis_ops_per_s:,.0f} ({s.redis_memory_mib:,.0f} MiB) | "
            f"{s.chroma_reads_per_s:.0f} | {full.resource} {full.fill:.0%} |"
        )
    return rows


def crowd_table(costs: Costs, load: Load, cores: float, crowds: Sequence[Crowd]) -> list[str]:
    """First token under crowds at one process (Markdown), by simulation."""
    rows = [
        "| crowd at one process | completed | refused | first token p50 | p95 |",
        "|---|---|---|---|---|",
    ]
    for crowd in crowds:
        out = first_tokens(crowd, costs, load, cores=cores)
        how = "at once" if crowd.over_s <= 0 else f"over {crowd.over_s:g} s"
        rows.append(
            f"| {crowd.count:,} {how} | {out.completed:,} | {out.refused:,} | "
            f"{out.quantile(50):.2f} s | {out.quantile(95):.2f} s |"
        )
    return rows


def main() -> None:
    """Print the guide's tables from `docs/benchmarks.json`'s constants."""
    costs = load_costs()
    print("| constant | value | source |\n|---|---|---|")
    for name, cost in sources(costs):
        print(f"| `{name}` | {cost.value:,.4g} | {cost.source} |")
    print()
    layout = Deployment()
    loads = [customers_load(n) for n in (1_000, 10_000, 100_000)]
    print("\n".join(sizing_table(costs, loads, layout)))
    print()
    here = Load(100, 1.0)
    cores = costs.process_cores.value
    crowds = [Crowd(100), Crowd(1_000), Crowd(500, 60.0, poisson=True)]
    print("\n".join(crowd_table(costs, here, cores, crowds)))
    print()
    rate = capacity_by_simulation(costs, here, cores=cores)
    print(f"one process ({cores:g} cores): sustained {rate:g}/s by simulation")


if __name__ == "__main__":
    main()
