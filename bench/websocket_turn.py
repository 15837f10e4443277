"""Not yet measured: one WebSocket turn, broken down from frame in to the last token out.

Planned: connect to the FastAPI app over a real socket with `tests.utils.fake_openai.FakeOpenAI`
as the language model, send one message, and split the time to the first and last token into
auth and socket, routing, retrieval, the model's time to first token and the relay. Baseline:
the same turn through `Orchestrator.stream_turn` without the socket. Fill in `run` when the
WebSocket API lands.
"""

from __future__ import annotations

from bench.common import Scenario

SCENARIO = Scenario(
    name="websocket",
    title="WebSocket single-turn breakdown",
    run=None,
    summary="Time to first and last token of one WebSocket turn, by stage.",
    waiting_for="the WebSocket API",
)
