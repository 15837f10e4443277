"""What the language model can do beyond writing: whether it calls tools, found out by asking.

Some OpenAI-compatible servers cannot call tools the way a turn asks (tools listed,
`tool_choice: "auto"`, streamed): llama-cpp-python's server ignores the tools without a
`tool_choice` and answers with an empty 200 with one; vLLM without its tool parser refuses with a
400; a model may simply answer in words. The probe asks once the way a turn asks, at start-up
and again when a turn's request with tools fails that way, and `ModelAbilities` holds what was
found (`yes`, `no`, or `unknown` while the server could not be asked). Where tools do not work,
specialists carry out tool work by their own rules and the model only words the answer.
`LLM_TOOLS=on|off` settles it without asking.

`ModelAbilities` is pure (time comes in as an argument); `probe` and `watch` do the asking.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from typing import Any, Literal, get_args

import openai
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from orchestrator.errors import EmptyReply, MalformedToolCall
from orchestrator.model_gate import ModelGate
from orchestrator.model_health import ModelHealth, unreachable

log = logging.getLogger(__name__)

ToolCalling = Literal["unknown", "yes", "no"]
TOOL_CALLING: tuple[ToolCalling, ...] = get_args(ToolCalling)
ToolsSetting = Literal["auto", "on", "off"]

PROBE_EVERY_S = 30.0  # at most one probe this often, whatever asks for it (a model's time)
PROBE_TIMEOUT_S = 30.0
PROBE_TOOL_NAME = "check_tools"
PROBE_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": PROBE_TOOL_NAME,
        "description": "Confirms that tools can be called. Takes no arguments.",
        "parameters": {"type": "object", "properties": {}, "required": []},
    },
}
PROBE_MESSAGES = (
    SystemMessage("You are a test of tool calling. When asked to call a tool, call it."),
    HumanMessage(f"Call the {PROBE_TOOL_NAME} tool now."),
)


class ModelAbilities:
    """Whether the model calls tools, why that is known, and when to ask again."""

    def __init__(
        self, setting: ToolsSetting = "auto", probe_every_s: float = PROBE_EVERY_S
    ) -> None:
        self.setting = setting
        self.probe_every_s = probe_every_s
        self.tools: ToolCalling = "unknown"
        self.reason: str | None = None
        if setting != "auto":
            self.tools = "yes" if setting == "on" else "no"
            self.reason = f"LLM_TOOLS={setting}"
        self._wanted = setting == "auto"  # a probe is wanted (never asked, or in doubt)
        self._doubted = False  # a turn failed since the probe last said yes
        self._probed_at = -math.inf

    @property
    def offered(self) -> bool:
        """Whether a turn offers the model its tools (`unknown` included: the turn finds out)."""
        return self.tools != "no"

    def describe(self) -> str:
        """'yes', 'no (why)', or 'unknown'."""
        return f"{self.tools} ({self.reason})" if self.tools == "no" and self.reason else self.tools

    def found(self, calls_tools: bool, reason: str) -> bool:
        """A probe's finding; whether it changed what is known."""
        was = self.tools
        if self.setting == "auto":
            self.tools, self.reason = ("yes", None) if calls_tools else ("no", reason)
            self._wanted = False
        return self.tools != was

    def failed_in_turn(self, reason: str) -> bool:
        """A turn's request with tools failed as a server that cannot call tools fails: tools
        are `no` from now on. The first such failure since a probe said yes asks for one
        probe more (the failure may have been the prompt's, not the tools'); a second one
        stands. Whether it changed what is known."""
        was = self.tools
        if self.setting == "auto":
            self.tools, self.reason = "no", f"a turn's request with tools failed: {reason}"
            self._wanted, self._doubted = not self._doubted, True
        return self.tools != was

    def server_back(self) -> None:
        """The model's server answers again after it could not be reached: it may be another
        server, or another model, now."""
        if self.setting == "auto":
            self._wanted, self._doubted = True, False

    def probe_due(self, now: float) -> bool:
        """Whether to probe now (a probe is wanted, the last was `probe_every_s` ago or more);
        yes counts as the probe's start."""
        if not (self._wanted or (self.setting == "auto" and self.tools == "unknown")):
            return False
        if now - self._probed_at < self.probe_every_s:
            return False
        self._probed_at = now
        return True


def tools_failure(exc: BaseException) -> str | None:
    """Why a failed request with tools says the server cannot call tools, else None: an
    empty reply, a tool call that is not valid JSON, or an HTTP error about tools."""
    if isinstance(exc, EmptyReply):
        return "the server answered with nothing"
    if isinstance(exc, MalformedToolCall):
        return f"the model's tool call was not valid JSON ({exc})"
    if isinstance(exc, openai.APIStatusError) and "tool" in str(exc.message).lower():
        return f"the server refused the tools: HTTP {exc.status_code} {str(exc.message)[:160]}"
    return None


async def ask(model: BaseChatModel, gate: ModelGate | None = None) -> tuple[bool, str] | None:
    """Ask the model to call a tool the way a turn asks (listed, `tool_choice: "auto"`,
    streamed as the model streams): (calls tools, why not), or None when its server could not
    be reached or did not answer in time."""
    bound = model.bind_tools([PROBE_TOOL], tool_choice="auto")
    try:
        # Through the gate: on a server of one request at a time, a probe must not cut a
        # customer's answer.
        async with (gate or ModelGate()).through(), asyncio.timeout(PROBE_TIMEOUT_S):
            reply = await bound.ainvoke(list(PROBE_MESSAGES))
    except TimeoutError:
        return None
    except Exception as exc:  # whatever the server did, turns would meet it too
        if unreachable(exc) or isinstance(exc, openai.APIConnectionError):
            return None
        return False, tools_failure(exc) or f"the request with tools failed: {_short(exc)}"
    if not isinstance(reply, AIMessage):
        return False, "the reply was not a chat message"
    if any(call["name"] == PROBE_TOOL_NAME for call in reply.tool_calls):
        return True, ""
    if reply.invalid_tool_calls:
        return False, "the model's tool call was not valid JSON"
    return False, "asked to call a tool, the model answered in words"


async def probe(
    model: BaseChatModel, abilities: ModelAbilities, gate: ModelGate | None = None
) -> None:
    """Ask once, record what was found, and log it when it changed."""
    found = await ask(model, gate)
    if found is None:
        return
    if abilities.found(*found):
        log_tools(abilities)


def log_tools(abilities: ModelAbilities) -> None:
    """One line on what is known now."""
    if abilities.tools == "no":
        log.warning(
            "the language model does not call tools: %s; appointment work is done by the "
            "specialists' rules, the model words the answers",
            abilities.reason,
        )
    else:
        log.info("the language model calls tools: %s", abilities.describe())


async def first_probe(
    model: BaseChatModel,
    abilities: ModelAbilities,
    health: ModelHealth,
    wait_s: float,
    gate: ModelGate | None = None,
) -> asyncio.Task[None] | None:
    """The start-up probe, waited for up to `wait_s` (so that the start-up line can say what
    it found); the task, which may still be asking."""
    if health.state == "unreachable" or not abilities.probe_due(time.monotonic()):
        return None
    asking = asyncio.create_task(probe(model, abilities, gate), name="model-tools-probe")
    await asyncio.wait({asking}, timeout=wait_s)
    return asking


async def watch(
    model: BaseChatModel,
    abilities: ModelAbilities,
    health: ModelHealth,
    asking: asyncio.Task[None] | None = None,
    gate: ModelGate | None = None,
) -> None:
    """After the probe `asking`, if any, probe whenever `abilities` wants it (not known yet, a
    turn's failure, the server back after it could not be reached) and the server is not
    known to be unreachable; for as long as the service runs (cancel the task to stop it)."""
    try:
        if asking is not None:
            await asking
        was = health.state
        while True:
            if was == "unreachable" and health.state == "ok":
                abilities.server_back()
            was = health.state
            if health.state != "unreachable" and abilities.probe_due(time.monotonic()):
                await probe(model, abilities, gate)
            await asyncio.sleep(health.recheck_s)
    finally:
        if asking is not None:
            asking.cancel()


def _short(exc: BaseException) -> str:
    text = str(getattr(exc, "message", "") or exc)
    return f"{type(exc).__name__}: {text[:160]}"
