"""The FastAPI application: its lifespan opens the runtime, routers are collected here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.routes import health
from orchestrator.runtime import open_runtime
from orchestrator.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_runtime(settings) as runtime:
            app.state.runtime = runtime
            yield

    app = FastAPI(
        title="Kestrel support orchestrator",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.include_router(health.router)
    return app
