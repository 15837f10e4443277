"""The model server stopped mid-conversation: answers keep coming, from the offline mode, and
`/ready` says the model is unreachable; started again, the model answers once more."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx

from tests.llm_real.conversation import TurnLog
from tests.llm_real.llama_server import LlamaServer
from tests.utils.chat_client import ChatClient
from tests.utils.server import ServerProcess

OFFLINE_LIMIT_S = 2.0
BACK_WITHIN_S = 10.0
SPECS = "What is the range of the Aster?"


def model_check(product: ServerProcess) -> str:
    response = httpx.get(f"{product.base_url}/ready", timeout=5)
    assert response.status_code == 200, response.text
    return str(response.json()["checks"]["model"])


async def test_answers_go_on_offline_while_the_model_server_is_down_and_resume_after(
    product: ServerProcess, llama: LlamaServer, turn_log: TurnLog
) -> None:
    session = uuid.uuid4().hex
    test = "model server down"
    async with await ChatClient.connect(product.ws_url, product.token("outage")) as client:
        before = await turn_log.ask(client, test, SPECS, session)
        assert before.model_reached, before.describe()

        llama.stop()
        try:
            for message in ("Hello!", SPECS):
                turn = await turn_log.ask(client, test, message, session)
                assert turn.outcome == "complete", turn.describe()
                assert turn.wall_s < OFFLINE_LIMIT_S, turn.describe()
            assert turn.mode == "offline", turn.describe()  # a greeting needs no model
            assert turn.degraded == "model unreachable", turn.describe()
            assert model_check(product) == "unreachable"
        finally:
            llama.start()

        back = time.monotonic()
        while True:
            turn = await turn_log.ask(client, test, SPECS, session)
            assert turn.outcome == "complete", turn.describe()
            if turn.model_reached:
                break
            waited = time.monotonic() - back
            assert waited < BACK_WITHIN_S, (
                f"no answer from the model {waited:.1f} s after its return"
            )
            await asyncio.sleep(0.25)
    assert model_check(product) == "ok"
