"""The recalls node: retrieval over its own domain, answered like any specialist."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agents.specialist import grounded_answer
from orchestrator.state import SpecialistInput
from orchestrator.turn_context import TurnContext

SYSTEM = "You answer questions about safety recalls from the recall notices given."


async def recalls(inp: SpecialistInput, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    return await grounded_answer(inp, runtime.context, system_prompt=SYSTEM)
