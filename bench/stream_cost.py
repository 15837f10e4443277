"""Not yet measured: the cost per streamed token against a bare relay.

Planned: `FakeOpenAI(tokens_per_s=…, answer_tokens=…)` streams a long answer; the product relays
it over the WebSocket; the baseline relays the same stream with a minimal Starlette WebSocket
that forwards the chunks as they come. Figure: extra CPU and latency per token, ratio against
the bare relay. Fill in `run` when the WebSocket API lands.
"""

from __future__ import annotations

from bench.common import Scenario

SCENARIO = Scenario(
    name="stream_cost",
    title="Cost per streamed token vs a bare relay",
    run=None,
    summary="Per-token CPU and latency of the product's stream vs a bare WebSocket relay.",
    waiting_for="the WebSocket API",
)
