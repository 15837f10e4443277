"""The FastAPI application: its lifespan opens the runtime, routers are collected here."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.routing import Route
from starlette.types import Scope

from agents.wiring import build_orchestrator, build_services
from api import http_errors, stopping, ws, ws_staff
from api.auth import Principal, verify
from api.body_guard import BodyGuard, BodyLimits
from api.deps import AppState
from api.live.leases import MemoryLeases, RedisLeases, TurnLeases
from api.live.live_redis import open_live_state
from api.live.pubsub import LiveState, PubSub
from api.live.ratelimit import RateLimiter, RedisSlidingWindow, SlidingWindow
from api.live.shared_state import open_redis
from api.live.takeover import NoTakeover, RedisTurns, TurnRecords
from api.mcp import tools as mcp_tools
from api.mcp.endpoint import PATH as MCP_PATH
from api.mcp.endpoint import McpEndpoint
from api.metrics import Metrics
from api.observe import TurnObserver
from api.protocol.asyncapi import APP_TITLE, APP_VERSION
from api.routes import (
    chat,
    customers,
    docs,
    health,
    knowledge,
    knowledge_gaps,
    metrics,
    openai_compat,
    pages,
    sessions,
    staff,
)
from api.routes.pages import CLIENT, STATIC
from api.session import handoff, line, recovery
from api.session.channels import ChannelRegistry
from api.session.coalesce import FrameBudget
from api.session.turn_log import TurnLog
from api.session.turn_queue import TurnQueue, default_slots
from orchestrator import model_abilities, model_probe, model_window, retention
from orchestrator.runtime import open_runtime
from orchestrator.secret import jwt_secret
from orchestrator.settings import Settings, get_settings
from orchestrator.turn_context import Services

# The start-up line goes out with the server's own lines: uvicorn configures its logger, and
# nothing configures "orchestrator" in a served process (only its warnings show).
log = logging.getLogger("uvicorn.error")


async def _watch_model(services: Services) -> asyncio.Task[None] | None:
    """In LLM mode, whether the model can be reached, found out before the first turn and
    watched from then on (`orchestrator.model_probe`)."""
    client, base_url = services.http_client, services.settings.openai_base_url
    if client is None:
        return None
    health, gate = services.model_health, services.model_gate
    await model_probe.probe(client, base_url, health, gate)
    settings = services.settings
    await model_window.learn_window(client, base_url, settings.llm_model, services.model_budget)
    watch = model_probe.watch(client, base_url, health, gate)
    return asyncio.create_task(watch, name="model-probe")


# How long start-up waits for the model to show whether it calls tools; a slower answer is
# logged when it comes.
TOOLS_PROBE_WAIT_S = 10.0


async def _watch_tools(services: Services) -> asyncio.Task[None] | None:
    """In LLM mode with LLM_TOOLS=auto, whether the model calls tools, asked before the first
    turn and again when in doubt (`orchestrator.model_abilities`)."""
    abilities, health = services.model_abilities, services.model_health
    if not services.llm or abilities.setting != "auto":
        return None
    model = services.answer_model
    gate = services.model_gate
    asking = await model_abilities.first_probe(model, abilities, health, TOOLS_PROBE_WAIT_S, gate)
    watch = model_abilities.watch(model, abilities, health, asking, gate)
    return asyncio.create_task(watch, name="model-tools")


def _ready_line(services: Services) -> str:
    """The start-up line: the answer mode, and in LLM mode whether the model calls tools."""
    line = f"ready: {services.settings.answer_mode} answer mode"
    if services.llm:
        line += f"; the model calls tools: {services.model_abilities.describe()}"
        budget, gate = services.model_budget, services.model_gate
        window = f"{budget.window} tokens ({budget.source})" if budget.window else "unknown"
        line += f"; context window: {window}"
        line += f"; requests at once: {gate.limit or 'no limit'}"
    return line


STOP_TASKS_S = 5.0  # at shutdown, how long the cancelled background tasks get to end


def create_app(settings: Settings | None = None, *, tune_gc: bool = False) -> FastAPI:
    """The application; `tune_gc` (the served process's): see `_tune_gc`."""
    settings = settings or get_settings()
    mcp = McpEndpoint(mcp_tools.build_server())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_runtime(settings) as runtime, AsyncExitStack() as shared:
            leases: TurnLeases = MemoryLeases()
            live: LiveState = PubSub()
            turns: TurnRecords = NoTakeover()
            limiter: RateLimiter = SlidingWindow(
                settings.rate_limit_messages, settings.rate_limit_window_s
            )
            if settings.redis_url:
                redis = await shared.enter_async_context(open_redis(settings.redis_url))
                # Leases and turn records on connections of their own: however busy the
                # event stream is, a running turn's lease is renewed in time.
                control = await shared.enter_async_context(
                    open_redis(settings.redis_url, max_connections=128)
                )
                leases = RedisLeases(control, settings.redis_prefix)
                turns = RedisTurns(control, settings.redis_prefix)
                live = await shared.enter_async_context(
                    open_live_state(redis, settings.redis_prefix)
                )
                limiter = RedisSlidingWindow(
                    redis,
                    settings.redis_prefix,
                    settings.rate_limit_messages,
                    settings.rate_limit_window_s,
                )
            frames = FrameBudget(settings.token_coalesce_ms / 1000, settings.token_frames_per_s)
            # A crowd's answers are read from the model as often as their frames go out.
            services = await asyncio.to_thread(
                build_services, settings, runtime.sessions, pace=frames.window_s
            )
            try:
                orchestrator = build_orchestrator(services, runtime.checkpointer)
                observed = Metrics()
                channels = ChannelRegistry(
                    orchestrator,
                    pubsub=live,
                    on_event=TurnObserver(observed),
                    turn_log=TurnLog(settings.answer_mode),
                    leases=leases,
                    turns=turns,
                    queue=TurnQueue(
                        settings.admission_slots or default_slots(), settings.queue_max_wait_s
                    ),
                    idle_after_s=settings.live_session_idle_s,
                    frames=frames,
                )
                observed.live_sessions.set_function(lambda: len(channels.channels))
                app.state.app = state = AppState(
                    settings=settings,
                    runtime=runtime,
                    orchestrator=orchestrator,
                    channels=channels,
                    metrics=observed,
                    secret=jwt_secret(settings),
                    limiter=limiter,
                    stopping=stopping.Stopping(settings.shutdown_grace_s),
                )
                channels.on_turn_start = lambda channel: handoff.announce(state, channel.session_id)
                channels.on_turn_end = lambda channel, text, event: handoff.after_turn(
                    state, channel.session_id, text, event
                )
                channels.on_free = lambda session_id: line.start_next(channels, session_id)
                rescuing = (  # a turn whose instance died is run again by a survivor
                    asyncio.create_task(recovery.rescue_orphans(channels), name="rescue-orphans")
                    if settings.redis_url
                    else None
                )
                if not live.outlives_process:  # the only process: what a crash left is its own
                    await recovery.close_unfinished(channels)
                if tune_gc:
                    await _tune_gc(services)
                probing = await _watch_model(services)
                asking = await _watch_tools(services)
                observed.follow_model_tools(services)
                log.info("%s", _ready_line(services))
                # SIGTERM: not ready first, the running turns' grace, then the server stops.
                restore_sigterm = stopping.install(state.stopping, channels.settle)
                # Idle sessions are forgotten on a timer too: an idle server gives memory back.
                sweeping = asyncio.create_task(channels.sweep_idle(), name="sweep-idle")
                # Lines no turn's end will move (their instance died between two turns).
                moving = asyncio.create_task(
                    line.keep_moving(channels, settings.line_sweep_s), name="move-lines"
                )
                retaining = (  # conversations idle past the retention go, or are reduced
                    asyncio.create_task(
                        retention.keep_sweeping(
                            services.db,
                            runtime.checkpointer,
                            settings.retention_days,
                            settings.retention_sweep_s,
                            settings.retention_strategy,
                        ),
                        name="retention",
                    )
                    if settings.retention_days
                    else None
                )
                try:
                    async with mcp.running():
                        yield
                finally:
                    restore_sigterm()
                    background = [
                        task
                        for task in (sweeping, rescuing, probing, asking, retaining, moving)
                        if task is not None
                    ]
                    for task in background:
                        task.cancel()
                    # Awaited, so none is left pending (and destroyed later) when the loop ends.
                    await asyncio.wait(background, timeout=STOP_TASKS_S)
                await channels.drain(state.stopping.left_s())
            finally:
                await services.aclose()

    app = FastAPI(
        title=APP_TITLE,
        version=APP_VERSION,
        description="Customer support for a vehicle maker's service network: chat over "
        "WebSocket (see docs/protocol.md) and REST.",
        lifespan=lifespan,
        docs_url=None,  # served by api.routes.docs from the app's own assets
        redoc_url=None,  # it would load its script from a CDN
    )
    routers = (
        health.router,
        metrics.router,
        chat.router,
        openai_compat.router,
        sessions.router,
        staff.router,
        customers.router,
        knowledge.router,
        knowledge_gaps.router,
        pages.router,
        docs.router,
    )
    for router in routers:
        app.include_router(router)
    http_errors.install(app)
    app.add_middleware(
        BodyGuard,
        limits=BodyLimits(
            settings.max_body_bytes,
            ((knowledge.INGEST_PATH, settings.max_ingest_body_bytes),),
        ),
        verifier=_token_verifier,
    )
    app.include_router(ws.router)
    app.include_router(ws_staff.router)
    app.router.routes.append(Route(MCP_PATH, mcp, include_in_schema=False))
    app.mount("/static/client", StaticFiles(directory=CLIENT), name="client")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def _token_verifier(scope: Scope) -> Callable[[str], Principal] | None:
    """Checks a bearer token with the service's secret, once start-up has read it."""
    state: AppState | None = getattr(scope["app"].state, "app", None)
    if state is None:
        return None
    return functools.partial(verify, state.secret)


# The collector's first threshold (allocations between young collections; Python's is 700).
YOUNG_GC_THRESHOLD = 10_000


async def _tune_gc(services: Services) -> None:
    """Fit the garbage collector to a server: what start-up built (modules, models, the
    knowledge base, read once here) is left out of its scans (`gc.freeze`), and young
    collections run every 10,000 allocations instead of 700.

    Measured with `gc.callbacks` (thread CPU time) under 100 turns at once: full collections
    walked the ~690,000 objects start-up leaves, 0.4-0.6 CPU-s each with the event loop
    stopped, three per load; frozen, 0.1 each. Young collections then still took 0.45-0.6
    CPU-s per load, about 2,100 of them: at a token's few dozen allocations, 700 is a few
    tokens of other turns, so most of what a streaming turn holds is scanned, promoted and
    scanned again. At 10,000: 0.2-0.3 CPU-s for all collections together. Frozen objects are
    still freed when nothing refers to them; only cycles among them stay."""
    with contextlib.suppress(Exception):  # a store that cannot be read fails the first turn
        await asyncio.to_thread(services.retriever.current)
    gc.collect()
    gc.freeze()
    _, *older = gc.get_threshold()
    gc.set_threshold(YOUNG_GC_THRESHOLD, *older)
