"""The specs node: retrieval over the specs domain, answers for the vehicle asked about."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agents.specialist import grounded_answer
from agents.specs.prompts import SYSTEM
from orchestrator.state import SpecialistInput
from orchestrator.turn_context import TurnContext


async def specs(inp: SpecialistInput, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    return await grounded_answer(inp, runtime.context, system_prompt=SYSTEM)
