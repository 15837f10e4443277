"""The probe asks the model's server whether it is there, over the service's own client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from orchestrator.model_gate import ModelGate
from orchestrator.model_health import ModelHealth
from orchestrator.model_probe import probe
from orchestrator.model_transport import model_http_client
from tests.utils.fake_openai import FakeOpenAI
from tests.utils.server import free_port


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    http = model_http_client(5.0, 10)
    try:
        yield http
    finally:
        await http.aclose()


async def test_a_port_where_nothing_listens_is_unreachable_until_a_server_answers_there(
    client: httpx.AsyncClient,
) -> None:
    health, port = ModelHealth(), free_port()
    await probe(client, f"http://127.0.0.1:{port}/v1", health)
    assert health.state == "unreachable"
    with FakeOpenAI(port=port):
        await probe(client, f"http://127.0.0.1:{port}/v1", health)
    assert health.state == "ok"


async def test_any_http_answer_means_the_server_is_there(client: httpx.AsyncClient) -> None:
    health = ModelHealth()
    health.failed(0.0)
    with FakeOpenAI(require_key="sk-other") as llm:  # its /models answers; the path may not
        await probe(client, f"{llm.url}/no-such-prefix", health)
    assert health.state == "ok"


async def test_no_probe_goes_out_while_a_model_request_is_under_way(
    client: httpx.AsyncClient,
) -> None:
    """llama-cpp-python's server ends the answer it streams when any other request comes."""
    health, gate = ModelHealth(), ModelGate()
    nowhere = f"http://127.0.0.1:{free_port()}/v1"
    async with gate.through():
        await probe(client, nowhere, health, gate)
        assert health.state == "unknown"
    await probe(client, nowhere, health, gate)
    assert health.state == "unreachable"
