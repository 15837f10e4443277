"""Turns over `/ws/chat` against the real model, each recorded with its wall time, terminal event
and what the model server read and wrote for it."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tests.llm_real.llama_server import LlamaServer, ModelCalls
from tests.utils.chat_client import ChatClient

# Longer than any turn may take, so a turn that is too slow is reported with its time.
RECV_TIMEOUT_S = 120.0


@dataclass
class Turn:
    """One question and everything the server sent for it up to its terminal event."""

    test: str
    message: str
    events: list[dict[str, Any]]
    arrived_s: list[float]
    model_calls: ModelCalls | None = None

    @property
    def wall_s(self) -> float:
        return self.arrived_s[-1]

    @property
    def end(self) -> dict[str, Any]:
        return self.events[-1]

    @property
    def outcome(self) -> str:
        """`complete`, `cancelled`, or `error CODE`."""
        end = self.end
        return f"error {end['code']}" if end["type"] == "error" else str(end["type"])

    @property
    def mode(self) -> str | None:
        return self.end["metadata"]["mode"] if self.end["type"] == "complete" else None

    @property
    def degraded(self) -> str | None:
        return self.end["metadata"].get("degraded") if self.end["type"] == "complete" else None

    @property
    def model_reached(self) -> bool:
        """Whether the model's server answered: the model wrote the answer, or wrote one that
        the offline answer replaced for repeating the prompt."""
        return (
            self.outcome == "complete"
            and self.degraded != "model unreachable"
            and (self.mode == "llm" or self.degraded is not None)
        )

    def trace(self) -> list[str]:
        """'2.1 progress:retrieving', one per event, with when it came after the message."""
        return [
            f"{at:.1f} {event['type']}:{_detail(event)}"
            for at, event in zip(self.arrived_s, self.events, strict=True)
            if event["type"] != "token"
        ]

    def tools(self) -> list[dict[str, Any]]:
        return list(self.end["metadata"]["tools"]) if self.end["type"] == "complete" else []

    def describe(self) -> str:
        """What a failed assertion shows of the turn."""
        return (
            f"{self.message!r}: {self.outcome} after {self.wall_s:.1f} s, mode {self.mode}, "
            f"degraded {self.degraded}, model calls {self.model_calls}, events {self.trace()}: "
            f"{json.dumps(self.end)[:400]}"
        )


def _detail(event: dict[str, Any]) -> str:
    return str(event.get("step") or event.get("code") or event.get("name") or "")


class TurnLog:
    """Every turn of the run, appended to a JSON-lines file as it ends."""

    def __init__(self, path: Path, llama: LlamaServer) -> None:
        self.path = path
        self.llama = llama
        self.turns: list[Turn] = []

    async def ask(self, client: ChatClient, test: str, message: str, session_id: str) -> Turn:
        """Send `message` in the session and read up to its turn's end: `complete`,
        `cancelled`, or an error (one that ends the turn, or refuses the frame)."""
        log_at = self.llama.log_size()
        started = time.monotonic()
        await client.send({"type": "message", "message": message, "session_id": session_id})
        events, arrived = [], []
        while True:
            event = await client.recv(within=RECV_TIMEOUT_S)
            events.append(event)
            arrived.append(time.monotonic() - started)
            if event["type"] in ("complete", "cancelled", "error"):
                break
        turn = Turn(test, message, events, arrived)
        await asyncio.sleep(0.05)  # llama.cpp prints its report just after the last token
        turn.model_calls = self.llama.calls_since(log_at)
        self.turns.append(turn)
        with self.path.open("a") as out:
            record = {
                "test": test,
                "message": message,
                "outcome": turn.outcome,
                "wall_s": round(turn.wall_s, 2),
                "mode": turn.mode,
                "degraded": turn.degraded,
                "tools": [t["name"] for t in turn.tools()],
                "model_calls": asdict(turn.model_calls),
                "events": turn.trace(),
                "end": turn.end,
            }
            out.write(json.dumps(record) + "\n")
        return turn

    def table(self) -> list[str]:
        lines = [f"{'wall s':>6}  {'outcome':<44} {'prompt tokens (ended, left)':<28} message"]
        for turn in self.turns:
            calls = turn.model_calls
            prompts = (
                f"{','.join('=' if p is None else str(p) for p in calls.prompt_tokens) or '-'}"
                f" ({calls.finished}, {calls.abandoned})"
                if calls
                else "-"
            )
            outcome = f"{turn.outcome} {turn.mode or ''} {turn.degraded or ''}".strip()
            lines.append(f"{turn.wall_s:6.1f}  {outcome:<44} {prompts:<28} {turn.message[:50]}")
        return lines
