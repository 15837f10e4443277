"""The product's graph, as `langgraph dev` loads it (see `langgraph.json` beside this file).

The graph is `orchestrator.graph.build_graph` over the services' specialists, unchanged: same
nodes, same wiring, no checkpointer (the LangGraph server supplies its own). Only its
runtime-context schema is swapped for `PeerTurnContext`, a subclass of `TurnContext` whose
`services` default to the `Services` this module builds once at import, as the product's app
does in its lifespan.

Why: the LangGraph server hands a run's `context` (JSON from the request) to
`graph.astream(..., context=...)`, and LangGraph turns a dict into the context schema with
`schema(**context)`. Services (models, retriever, sessions) are not JSON, so a request sends
`{"customer_id": ..., "turn_id": ...}` and the defaults fill in the rest; the nodes receive a
`TurnContext` exactly as under the product's API.

Configured from the environment only (no `.env`): ORCHESTRATOR_DATA_DIR (holding `chroma/`),
DATABASE_URL, OPENAI_API_KEY, OPENAI_BASE_URL, LLM_MODEL, ... `bench/langgraph_server.py`
starts the server; by hand, from this directory (langgraph dev resolves the graph's path
against its cwd, and keeps its state in `.langgraph_api/` there):

    langgraph dev --no-browser --no-reload --n-jobs-per-worker 100 --config langgraph.json
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from langgraph.graph.state import CompiledStateGraph

from agents.wiring import build_services
from orchestrator import db_url
from orchestrator.data_dir import ensure_writable
from orchestrator.graph import build_graph
from orchestrator.persistence import db_engine
from orchestrator.settings import Settings
from orchestrator.turn_context import Services, TurnContext

log = logging.getLogger("bench.peer")


def _build_services() -> Services:
    """Settings, database and services, as `api.app.create_app`'s lifespan opens them."""
    settings = Settings(_env_file=None)
    url = db_url.parse(settings.resolved_database_url)
    ensure_writable(settings.data_dir)
    db_engine.upgrade(url)  # the server loads graphs in a worker thread: blocking is fine here
    sessions = db_engine.session_factory(db_engine.create_engine(url))
    services = build_services(settings, sessions)
    log.info(
        "peer graph ready: %s answer mode, data dir %s", settings.answer_mode, settings.data_dir
    )
    return services


SERVICES = _build_services()


def _services() -> Services:
    return SERVICES


def _turn_id() -> str:
    return uuid.uuid4().hex


@dataclass
class PeerTurnContext(TurnContext):
    """`TurnContext` with the process's services filled in; the rest comes from the request."""

    services: Services = field(default_factory=_services)
    customer_id: str = "peer-customer"
    turn_id: str = field(default_factory=_turn_id)


graph: CompiledStateGraph[Any, Any, Any, Any] = build_graph(None, SERVICES.specialists).copy(
    update={"context_schema": PeerTurnContext}
)
