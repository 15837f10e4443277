"""Benchmarks: `python -m bench [--quick] [--only NAME,...]`.

Every scenario is one module exposing `SCENARIO` (a `bench.common.Scenario`); a planned one
has `run=None` and is listed in the report as "not yet measured". To add a scenario, write
its module and add its name to `SCENARIO_MODULES`, in report order.
"""

from __future__ import annotations

import importlib

from bench.common import Scenario

SCENARIO_MODULES = (
    "ingestion",
    "embedding",
    "retrieval",
    "routing",
    "real_manuals",
    "graph_overhead",
    "stage_cost",
    "stage_ops",
    "websocket_turn",
    "stream_cost",
    "concurrency",
    "scaleout",
    "capacity",
    "memory",
    "langgraph_server",
)


def scenarios() -> list[tuple[str, Scenario]]:
    """(module name, scenario) for every scenario, measured or planned, in report order."""
    return [(m, importlib.import_module(f"bench.{m}").SCENARIO) for m in SCENARIO_MODULES]
