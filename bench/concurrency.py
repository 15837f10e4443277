"""Not yet measured: 100, 500 and 1,000 concurrent WebSocket conversations.

Planned: N clients each hold a conversation against the server with `FakeOpenAI` pacing the
answers (`first_token_delay_s`, `tokens_per_s`); figures are time to first token p50/p95,
turn p95, errors and server RSS per N, each against the same N on the bare relay. Fill in
`run` when the WebSocket API lands.
"""

from __future__ import annotations

from bench.common import Scenario

SCENARIO = Scenario(
    name="concurrency",
    title="Concurrency: 100 / 500 / 1,000 conversations",
    run=None,
    summary="Time to first token and turn p95 under 100, 500 and 1,000 concurrent clients.",
    waiting_for="the WebSocket API",
)
