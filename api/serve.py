"""Start uvicorn after checking the environment, so that problems end in one clear line."""

from __future__ import annotations

import asyncio
import errno
import logging
import socket

import uvicorn

from api.auth import demo_token
from api.live.shared_state import open_redis
from api.log_format import log_config
from api.ws_transport import SlowClientsLetGo, read_limit
from orchestrator.errors import StartupError
from orchestrator.runtime import open_runtime
from orchestrator.secret import jwt_secret
from orchestrator.settings import Environment, Settings

log = logging.getLogger("orchestrator")


async def _preflight(settings: Settings) -> None:
    async with open_runtime(settings):
        pass
    if settings.redis_url:
        async with open_redis(settings.redis_url):
            pass


def check_workers(settings: Settings, workers: int) -> None:
    """Several workers need live state they all share (REDIS_URL): refuse what would break
    BUSY, resume, cancel and the console rather than start it."""
    if workers > 1 and not settings.redis_url:
        raise StartupError(
            f"--workers {workers} needs live state shared by every worker, and REDIS_URL is unset",
            "Set REDIS_URL (e.g. redis://127.0.0.1:6379/0) or serve with one worker",
        )


def check_port(host: str, port: int) -> None:
    """Refuse a port another program listens on in one line, before anything starts (uvicorn
    would print `[Errno 98]` after the start-up work)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                problem = f"cannot listen on {host}:{port} ({exc.strerror})"
                raise StartupError(problem, "Check HOST (or --host) and PORT") from None
            raise StartupError(
                f"port {port} on {host} is already in use (another server is running there?)",
                f"Stop it, or serve on another port: PORT={port + 1} make run "
                f"(or orchestrator serve --port {port + 1})",
            ) from None


def run(settings: Settings, host: str, port: int, workers: int = 1) -> None:
    """Check the database, Redis and data dir, print where to go, then serve until stopped."""
    check_workers(settings, workers)
    check_port(host, port)
    asyncio.run(_preflight(settings))
    base = f"http://{host}:{port}"
    print(f"Support orchestrator ({settings.answer_mode} answer mode)")
    print(f"  Home:       {base}/   Protocol: {base}/protocol")
    print(f"  API docs:   {base}/docs")
    print(f"  Health:     {base}/health   Ready: {base}/ready   Metrics: {base}/metrics")
    if settings.environment is Environment.development:
        secret = jwt_secret(settings)
        customer, staff = demo_token(secret, "customer"), demo_token(secret, "staff")
        print(f"  Test page:  {base}/ws/test?token={customer}")
        print(f"  Console:    {base}/console?token={staff}")
    uvicorn.run(
        "api.main:app",
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        log_config=log_config(settings.log_format),
        ws=SlowClientsLetGo,
        ws_max_size=read_limit(settings.max_frame_bytes),
        ws_ping_interval=settings.ws_ping_interval_s,
        ws_ping_timeout=settings.ws_ping_interval_s,
        # Open connections get the grace period, then running turns are saved as interrupted.
        timeout_graceful_shutdown=max(1, round(settings.shutdown_grace_s)),
    )
