"""Scenario 7: the product's graph served by LangGraph's own server (`langgraph dev`), beside ours.

`run_peer` serves `orchestrator.graph.build_graph()` (loaded from `bench/peer/graph.py`) with
`langgraph dev` (langgraph-cli[inmem], in-memory runtime) in a subprocess, drives N concurrent
sessions over its SSE stream (`POST /threads`, then `POST /threads/{id}/runs/stream` with
`stream_mode: ["messages-tuple"]`), each one run whose answer comes from an LLM simulator, and
reports time to first token, tokens delivered, successes, and the server's CPU seconds and RSS.
`run` sets that beside our own server (`/ws/chat`) under the same load, from the concurrency
scenario of the same run when it measured that session count, else measured here.

The LangGraph server lives in its own virtualenv: langgraph-api pins grpcio < 1.82 and
protobuf < 7, which the product's venv has newer. It is LANGGRAPH_PEER_VENV if set, else
`.venv-peer` in the repository (`make peer` builds it).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.common import (
    REPO,
    Context,
    Figure,
    Result,
    Scenario,
    log,
    ms,
    p50,
    p95,
    summary,
)
from bench.concurrency import ANSWER_TOKENS, TOKENS_PER_S, Measured, measure, warm
from bench.procs import Service, free_port, rss_kib, wait_ready
from bench.questions import QUESTIONS, question
from bench.stack import prepared_data_dir, shared

NAME = "langgraph_server"
PEER_DIR = REPO / "bench" / "peer"
GRAPH_ID = "kestrel"  # as named in bench/peer/langgraph.json
SESSIONS = 100
START_TIMEOUT_S = 240.0  # model load, migrations and imports take ~30 s on a quiet machine
RUN_TIMEOUT_S = 300.0
SAMPLE_EVERY_S = 0.2


# --------------------------------------------------------------------------- the server


def peer_venv() -> Path:
    """The virtualenv holding langgraph-cli[inmem] and this project (installed editable)."""
    candidates = [Path(p) for p in [os.environ.get("LANGGRAPH_PEER_VENV")] if p]
    candidates.append(REPO / ".venv-peer")
    for venv in candidates:
        if (venv / "bin" / "langgraph").exists():
            return venv
    tried = ", ".join(str(c) for c in candidates)
    raise RuntimeError(
        f"no virtualenv with langgraph-cli[inmem] found (tried {tried}): run `make peer` to "
        "build .venv-peer, or set LANGGRAPH_PEER_VENV to such a virtualenv"
    )


def _server_env(llm_base_url: str, data_dir: Path, database_url: str) -> dict[str, str]:
    """The product's settings for LLM mode, and no tracing, analytics or version check."""
    drop = ("OPENAI_", "DATABASE_", "LANGSMITH_", "LANGCHAIN_", "LANGGRAPH_", "ORCHESTRATOR_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(
        ORCHESTRATOR_DATA_DIR=str(data_dir),
        DATABASE_URL=database_url,
        OPENAI_API_KEY="sk-peer-bench",
        OPENAI_BASE_URL=llm_base_url,
        LLM_MODEL="test-model",
        LANGSMITH_TRACING="false",
        LANGCHAIN_TRACING_V2="false",
        LANGGRAPH_CLI_NO_ANALYTICS="1",
        LANGGRAPH_NO_VERSION_CHECK="true",
        TOKENIZERS_PARALLELISM="false",
        ANONYMIZED_TELEMETRY="False",
        HF_HUB_OFFLINE="1",
        PYTHONUNBUFFERED="1",
    )
    return env


@contextlib.contextmanager
def langgraph_dev(
    llm_base_url: str,
    workdir: Path,
    data_dir: Path,
    n_jobs_per_worker: int,
    allow_blocking: bool = False,
) -> Iterator[Service]:
    """`langgraph dev` on a free loopback port, stopped on exit (with its process group).

    `allow_blocking` passes `--allow-blocking`, which turns off the dev server's blockbuster
    checks (on by default: they wrap blocking calls on the event loop to raise on them).

    The server runs in a fresh `workdir/langgraph-dev/`: its cwd (where the in-memory runtime
    persists threads and checkpoints, in `.langgraph_api/`), a copy of `bench/peer/langgraph.json`
    with absolute paths, its log, its own copy of `data_dir/chroma` and a fresh SQLite database,
    so it never writes to, or shares a Chroma client with, `data_dir`, and no state carries
    over from an earlier call.
    """
    venv = peer_venv()
    home = workdir / "langgraph-dev"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    shutil.copytree(data_dir / "chroma", home / "data" / "chroma")
    database_url = f"sqlite+aiosqlite:///{(home / 'orchestrator.sqlite3').resolve()}"
    config = json.loads((PEER_DIR / "langgraph.json").read_text())
    config["dependencies"] = [str(REPO)]
    config["graphs"] = {
        graph_id: str(PEER_DIR / target.removeprefix("./"))
        for graph_id, target in config["graphs"].items()
    }
    (home / "langgraph.json").write_text(json.dumps(config, indent=2))
    port = free_port()
    command = [str(venv / "bin" / "langgraph"), "dev", "--no-browser", "--no-reload"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--config", "langgraph.json"]
    command += ["--n-jobs-per-worker", str(n_jobs_per_worker)]
    command += ["--allow-blocking"] if allow_blocking else []
    log_path = home / "langgraph-dev.log"
    with log_path.open("ab") as out:
        process = subprocess.Popen(
            command,
            cwd=home,
            env=_server_env(llm_base_url, home / "data", database_url),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Service("langgraph dev", process, f"http://127.0.0.1:{port}", log_path)
    try:
        wait_ready(server, f"{server.url}/ok", START_TIMEOUT_S)
        yield server
    finally:
        server.stop()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # whatever it left in its own group


def _vmhwm_kib(pid: int) -> int:
    """The peak resident memory of `pid` alone (VmHWM in /proc/PID/status)."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


class _RssSampler(threading.Thread):
    """Samples the process tree's RSS in the background; `peak` is the largest sample."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = rss_kib(pid)
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(SAMPLE_EVERY_S):
            self.peak = max(self.peak, rss_kib(self.pid))

    def stop(self) -> int:
        self._halt.set()
        self.join()
        self.peak = max(self.peak, rss_kib(self.pid))
        return self.peak


# --------------------------------------------------------------------------- the clients


@dataclass
class RunOutcome:
    session: int
    started: float = 0.0
    first_token: float | None = None
    ended: float = 0.0
    tokens: int = 0
    error: str | None = None
    events: dict[str, int] = field(default_factory=dict)

    @property
    def ttft_s(self) -> float | None:
        return None if self.first_token is None else self.first_token - self.started


def _run_body(message: str, session: int) -> dict[str, Any]:
    return {
        "assistant_id": GRAPH_ID,
        "input": {"messages": [{"role": "user", "content": message}], "customer": {}},
        "stream_mode": ["messages-tuple"],
        # JSON only: PeerTurnContext fills in the services (see bench/peer/graph.py).
        "context": {"customer_id": f"peer-customer-{session}", "turn_id": uuid.uuid4().hex},
        "on_disconnect": "cancel",
    }


async def _sse(response: httpx.Response) -> AsyncIterator[tuple[str, str]]:
    """(event, data) pairs of a text/event-stream response."""
    event = "message"
    data: list[str] = []
    async for line in response.aiter_lines():
        if not line:
            if data:
                yield event, "\n".join(data)
            event, data = "message", []
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())
    if data:
        yield event, "\n".join(data)


async def _one_run(client: httpx.AsyncClient, thread_id: str, session: int) -> RunOutcome:
    """One run over SSE; a token is one non-empty answer chunk (tagged "answer" by the graph)."""
    outcome = RunOutcome(session)
    outcome.started = time.perf_counter()
    try:
        async with client.stream(
            "POST", f"/threads/{thread_id}/runs/stream", json=_run_body(question(session), session)
        ) as response:
            if response.status_code != 200:
                body = (await response.aread()).decode(errors="replace")[:300]
                outcome.error = f"HTTP {response.status_code}: {body}"
                return outcome
            async for event, data in _sse(response):
                outcome.events[event] = outcome.events.get(event, 0) + 1
                if event == "error":
                    outcome.error = f"error event: {data[:300]}"
                elif event == "messages":
                    chunk, metadata = json.loads(data)
                    if "answer" in (metadata.get("tags") or []) and chunk.get("content"):
                        outcome.tokens += 1
                        if outcome.first_token is None:
                            outcome.first_token = time.perf_counter()
    except (httpx.HTTPError, ValueError) as exc:
        outcome.error = f"{type(exc).__name__}: {exc}"
    finally:
        outcome.ended = time.perf_counter()
    return outcome


async def _drive(
    base_url: str, sessions: int, timeout_s: float
) -> tuple[list[RunOutcome], float, float]:
    """Create one thread per session, then start every session's run at once.

    The threads come from a client that is closed before the runs start, so each run opens
    its own connection: a kept-alive connection left idle while the server is busy can hit
    uvicorn's keep-alive timeout (5 s) and be closed under the request (seen as ReadError).
    Returns the outcomes, the wall time of the runs, and the time the threads took to create.
    """
    limits = httpx.Limits(max_connections=sessions + 8, max_keepalive_connections=sessions + 8)
    timeout = httpx.Timeout(timeout_s, connect=30.0)
    t0 = time.perf_counter()
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=timeout) as client:

        async def new_thread() -> str:
            response = await client.post("/threads", json={})
            response.raise_for_status()
            return str(response.json()["thread_id"])

        threads = await asyncio.gather(*(new_thread() for _ in range(sessions)))
    threads_s = time.perf_counter() - t0
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=timeout) as client:
        start = time.perf_counter()
        outcomes = await asyncio.gather(
            *(_one_run(client, tid, i) for i, tid in enumerate(threads))
        )
        wall_s = time.perf_counter() - start
    return list(outcomes), wall_s, threads_s


def _server_version(base_url: str) -> str:
    try:
        info = httpx.get(f"{base_url}/info", timeout=10).json()
    except (httpx.HTTPError, ValueError):
        return "langgraph-api (unknown)"
    return f"langgraph-api {info.get('version')} (langgraph {info.get('langgraph_py_version')})"


def run_peer(
    sessions: int,
    llm_base_url: str,
    workdir: Path,
    data_dir: Path,
    *,
    expected_tokens: int | None = ANSWER_TOKENS,
    n_jobs_per_worker: int | None = None,
    allow_blocking: bool = False,
    warmup: bool = True,
    timeout_s: float = RUN_TIMEOUT_S,
) -> dict[str, Any]:
    """Serve the graph with `langgraph dev`, drive `sessions` concurrent runs, stop the server.

    `data_dir` must hold the knowledge base (`chroma/`); it is copied, never written. A run is
    ok when its stream ends without an error event and (if `expected_tokens` is given) with
    that many answer tokens. `n_jobs_per_worker` defaults to max(sessions, 10) so that no run
    waits in the in-memory queue (langgraph dev's own default is 10); `allow_blocking`, off as
    in langgraph dev, turns off its blockbuster checks. One warm-up run, not counted, goes
    first. CPU seconds and peak RSS cover the server's process tree during the measured runs
    (thread creation included) only; `server_cpu_total_s` also counts start-up and warm-up.
    Call it from synchronous code (it runs its own event loops).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    jobs = n_jobs_per_worker or max(sessions, 10)
    with langgraph_dev(llm_base_url, workdir, data_dir, jobs, allow_blocking) as server:
        version = _server_version(server.url)
        log(f"{NAME}: {version} ready (pid {server.pid}, {jobs} jobs per worker)")
        warm_runs: list[RunOutcome] = []
        if warmup:
            warm_runs, _, _ = asyncio.run(_drive(server.url, 1, timeout_s))
        rss_before = server.rss_kib()
        cpu_before = server.cpu_s()
        sampler = _RssSampler(server.pid)
        sampler.start()
        try:
            outcomes, wall_s, threads_s = asyncio.run(_drive(server.url, sessions, timeout_s))
        finally:
            rss_peak = sampler.stop()
        cpu_after = server.cpu_s()
        rss_after = server.rss_kib()
        rss_hwm = _vmhwm_kib(server.pid)
        log_tail = server.tail(2000)

    errors: list[str] = []
    ok = 0
    for o in outcomes:
        if o.error is None and expected_tokens is not None and o.tokens != expected_tokens:
            o.error = f"{o.tokens} answer tokens, expected {expected_tokens}"
        if o.error is None and o.tokens == 0:
            o.error = "no answer tokens"
        if o.error is None:
            ok += 1
        else:
            errors.append(f"session {o.session}: {o.error}")
    ttft = [t for o in outcomes if (t := o.ttft_s) is not None]
    tokens = sum(o.tokens for o in outcomes)
    per_session = [
        (o.tokens - 1) / (o.ended - o.first_token)
        for o in outcomes
        if o.first_token is not None and o.tokens > 1 and o.ended > o.first_token
    ]
    result: dict[str, Any] = {
        "ok": ok,
        "errors": errors,
        "ttft_s": ttft,
        "tokens": tokens,
        "wall_s": wall_s,
        "tokens_per_s": tokens / wall_s if wall_s > 0 else 0.0,
        "server_cpu_s": cpu_after - cpu_before,
        "server_rss_kib": rss_peak,
        "version": version,
        # Beyond the contract:
        "sessions": sessions,
        "n_jobs_per_worker": jobs,
        "allow_blocking": allow_blocking,
        "ttft_p50_s": p50(ttft) if ttft else None,
        "ttft_p95_s": p95(ttft) if ttft else None,
        "run_s": [o.ended - o.started for o in outcomes],
        "session_tokens_per_s_p50": p50(per_session) if per_session else None,
        "threads_create_s": threads_s,
        "server_cpu_total_s": cpu_after,
        "server_rss_before_kib": rss_before,
        "server_rss_after_kib": rss_after,
        "server_vmhwm_kib": rss_hwm,
        "warmup_ttft_s": warm_runs[0].ttft_s if warm_runs else None,
        "server_pid": server.pid,
    }
    if errors:
        result["server_log_tail"] = log_tail
    return result


# --------------------------------------------------------------------------- scenario


def _ours(ctx: Context, sessions: int) -> tuple[Measured, bool]:
    """Our server under the same load: from the concurrency scenario if it ran this size
    (True), else measured here on the run's shared server (False)."""
    cached: Measured | None = ctx.cache.get("concurrency", {}).get("postgresql", {}).get(sessions)
    if cached is not None:
        log(f"{NAME}: ours at {sessions} sessions from the concurrency scenario")
        return cached, True
    server = shared(ctx).server
    warm(server)
    return measure(server, sessions, "ours"), False


def run(ctx: Context) -> Result:
    if ctx.quick:
        return Result(
            method="Not run in quick mode: `langgraph dev` alone takes about 30 s to start. "
            "`make bench` runs it."
        )
    sessions = SESSIONS
    stack = shared(ctx)
    stack.pace(TOKENS_PER_S, ANSWER_TOKENS)
    ours, from_concurrency = _ours(ctx, sessions)
    data_dir = prepared_data_dir(ctx, f"{NAME}-kb")
    peer = run_peer(sessions, stack.simulator.url, ctx.workdir / NAME, data_dir)
    log(
        f"{NAME}: {peer['ok']}/{sessions} ok, TTFT p95 {_ms(peer['ttft_p95_s']):.0f} ms, "
        f"{peer['tokens_per_s']:.0f} tokens/s (ours: {ours.ok} ok, "
        f"{ours.tokens_per_s:.0f} tokens/s)"
    )
    notes = []
    if peer["errors"]:
        notes.append(
            f"LangGraph server: {len(peer['errors'])} session(s) failed: "
            + "; ".join(peer["errors"][:5])
        )
    if ours.errors:
        notes.append(f"ours: {len(ours.errors)} session(s) failed: {sorted(set(ours.errors))[:5]}")
    details = {k: v for k, v in peer.items() if k not in ("ttft_s", "run_s")}
    details |= {
        "ttft_ms": summary(peer["ttft_s"]) if peer["ttft_s"] else None,
        "run_ms": summary(peer["run_s"]) if peer["run_s"] else None,
        "offered_tokens_per_s": sessions * TOKENS_PER_S,
        "answer_tokens": ANSWER_TOKENS,
        "simulator_tokens_per_s": TOKENS_PER_S,
        "questions": len(QUESTIONS),
        "ours": ours.as_json(),
        "ours_measured_in": "concurrency" if from_concurrency else NAME,
    }
    where = (
        "taken from the concurrency scenario of this run (the same load and simulator)"
        if from_concurrency
        else "measured here first, on the same simulator, before the peer started"
    )
    return Result(
        figures=_figures(peer, ours, sessions, ctx.command(NAME)),
        notes=notes,
        details=details,
        method=(
            "The product's graph (`orchestrator.graph.build_graph()`, unchanged; runtime "
            "context filled in by `bench/peer/graph.py`) served by `langgraph dev` "
            f"({peer['version']}, in-memory runtime, `--no-reload`, "
            f"`--n-jobs-per-worker {peer['n_jobs_per_worker']}`: the session count, at least "
            "its default of 10, so that no run waits in its queue) in its own virtualenv, "
            "beside our server "
            "(`orchestrator serve`, one worker, PostgreSQL, default settings) under the same "
            f"load: {sessions} sessions at once, each one question (session i asks question i of "
            f"{len(QUESTIONS)} in `bench/questions.py`) whose answer the LLM "
            f"simulator streams as {ANSWER_TOKENS} tokens at {TOKENS_PER_S:g} tokens/s. Ours "
            f"was {where}. What differs: the peer keeps threads and checkpoints in memory "
            "(its in-memory checkpointer) and saves no messages, where ours checkpoints to "
            "PostgreSQL and saves every turn's messages in SQL. The peer streams over SSE: "
            "a thread each (`POST /threads`), then every run at once "
            "(`POST /threads/{id}/runs/stream`, `stream_mode: messages-tuple`), each on a new "
            "HTTP connection; ours streams over one WebSocket per session "
            "(`/ws/chat`), connected and authenticated before the messages go out. Time to "
            "first token runs from sending the run request (peer) or the message (ours) to "
            "the first answer token; a token is one answer chunk tagged `answer` (peer) or "
            "one word of a `token` frame (ours). Tokens/s is every token delivered ÷ the time "
            "from the start to the last answer. Server CPU-s is user + system of the server's "
            "process tree from /proc over the load (the peer's also covers creating the "
            "threads; ours excludes connecting). A peer run is ok with all "
            f"{ANSWER_TOKENS} answer tokens and no error event, ours on `complete`. Warm-up, "
            "not counted: one run (peer), ten sessions (ours)."
        ),
    )


def _figures(peer: dict[str, Any], ours: Measured, sessions: int, command: str) -> list[Figure]:
    rows = [
        ("time to first token p50", _ms(peer["ttft_p50_s"]), ours.ttft_ms(50), "ms"),
        ("time to first token p95", _ms(peer["ttft_p95_s"]), ours.ttft_ms(95), "ms"),
        ("tokens/s delivered", peer["tokens_per_s"], ours.tokens_per_s, "tokens/s"),
        ("success rate", peer["ok"] / sessions, ours.success_rate, ""),
        ("server CPU-s over the load", peer["server_cpu_s"], ours.cpu_s, "CPU-s"),
    ]
    return [
        Figure(
            name=f"LangGraph server, {sessions} sessions: {label}",
            value=value,
            unit=unit,
            baseline=baseline,
            baseline_label="our /ws/chat, same load",
            ratio=value / baseline if baseline and math.isfinite(value / baseline) else None,
            ratio_label="LangGraph server ÷ ours",
            command=command,
        )
        for label, value, baseline, unit in rows
    ]


def _ms(seconds: float | None) -> float:
    return float("nan") if seconds is None else ms(seconds)


SCENARIO = Scenario(
    name=NAME,
    title="LangGraph server side by side",
    run=run,
    summary="The same graph on LangGraph's own server (langgraph dev) beside ours under the "
    "same concurrent load: time to first token, tokens/s, successes and CPU.",
)
