"""Whether the model calls tools: what is known (pure), and the probe against real servers on
loopback that call tools, answer them with an empty 200, ignore them or refuse them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from langchain_core.language_models import BaseChatModel

from orchestrator import model_abilities
from orchestrator.errors import EmptyReply, MalformedToolCall
from orchestrator.llm import chat_openai
from orchestrator.model_abilities import PROBE_EVERY_S, ModelAbilities, probe, tools_failure
from orchestrator.model_health import ModelHealth
from orchestrator.model_transport import model_http_client
from orchestrator.settings import Settings
from tests.utils.fake_openai import FakeOpenAI, Responder
from tests.utils.server import free_port
from tests.utils.tool_servers import (
    calls_the_tool,
    empty_when_streaming_tools,
    ignores_tools,
    refuses_tools,
)


def test_auto_wants_a_probe_and_offers_tools_until_it_is_known() -> None:
    abilities = ModelAbilities()
    assert (abilities.tools, abilities.offered) == ("unknown", True)
    assert abilities.probe_due(100.0)
    assert not abilities.probe_due(100.0 + PROBE_EVERY_S - 1)  # one probe at a time
    assert abilities.probe_due(100.0 + PROBE_EVERY_S)  # still unknown: asked again
    assert abilities.found(False, "asked to call a tool, the model answered in words")
    assert (abilities.tools, abilities.offered) == ("no", False)
    assert abilities.describe() == "no (asked to call a tool, the model answered in words)"
    assert not abilities.probe_due(1000.0)


def test_a_turns_failure_says_no_and_asks_once_more_before_it_stands() -> None:
    abilities = ModelAbilities()
    abilities.found(True, "")
    assert abilities.failed_in_turn("the server answered with nothing")
    assert abilities.tools == "no"
    assert (
        abilities.reason == "a turn's request with tools failed: the server answered with nothing"
    )
    assert abilities.probe_due(0.0)  # perhaps the prompt's fault, not the tools'
    abilities.found(True, "")
    assert abilities.tools == "yes"
    abilities.failed_in_turn("the server answered with nothing")
    assert abilities.tools == "no" and not abilities.probe_due(1000.0)  # it stands
    abilities.server_back()  # another server, perhaps: asked again
    assert abilities.probe_due(2000.0)


@pytest.mark.parametrize(("setting", "tools"), [("on", "yes"), ("off", "no")])
def test_a_setting_decides_without_asking(setting: str, tools: str) -> None:
    abilities = ModelAbilities(setting)  # type: ignore[arg-type]
    assert abilities.tools == tools and abilities.reason == f"LLM_TOOLS={setting}"
    assert not abilities.probe_due(0.0)
    abilities.failed_in_turn("the server answered with nothing")
    abilities.found(tools == "no", "")
    assert abilities.tools == tools


def test_what_a_failed_request_says_of_tools() -> None:
    assert tools_failure(EmptyReply("nothing")) == "the server answered with nothing"
    assert tools_failure(MalformedToolCall('{"a": ')) is not None
    assert tools_failure(TimeoutError()) is None


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    http = model_http_client(5.0, 10)
    try:
        yield http
    finally:
        await http.aclose()


def model_at(base_url: str, client: httpx.AsyncClient) -> BaseChatModel:
    """The answer model as the service makes it, on `base_url`."""
    settings = Settings(
        _env_file=None, openai_base_url=base_url, llm_model="test-model", llm_max_retries=0
    )
    return chat_openai(
        settings,
        client,
        streaming=True,
        timeout_s=5.0,
        max_retries=0,
        temperature=0.1,
        max_tokens=64,
    )


@pytest.mark.parametrize(
    ("server", "tools", "reason"),
    [
        (calls_the_tool(), "yes", None),
        (empty_when_streaming_tools(), "no", "the server answered with nothing"),
        (ignores_tools("Sure!"), "no", "asked to call a tool, the model answered in words"),
        (refuses_tools(), "no", "the server refused the tools: HTTP 400"),
    ],
    ids=["calls-tools", "empty-200", "ignores-tools", "refuses-tools"],
)
async def test_the_probe_asks_as_a_turn_asks_and_records_what_came(
    client: httpx.AsyncClient, server: Responder, tools: str, reason: str | None
) -> None:
    abilities = ModelAbilities()
    with FakeOpenAI(default=server) as llm:
        await probe(model_at(llm.base_url, client), abilities)
        [request] = llm.requests[:1]
    assert abilities.tools == tools
    assert (abilities.reason or "").startswith(reason or "")
    assert request["stream"] is True and request["tool_choice"] == "auto"
    assert [t["function"]["name"] for t in request["tools"]] == ["check_tools"]


async def test_a_server_that_cannot_be_reached_leaves_it_unknown(
    client: httpx.AsyncClient,
) -> None:
    abilities = ModelAbilities()
    await probe(model_at(f"http://127.0.0.1:{free_port()}/v1", client), abilities)
    assert abilities.tools == "unknown" and abilities.offered


async def test_the_watch_asks_again_after_a_turns_failure(client: httpx.AsyncClient) -> None:
    abilities, health = ModelAbilities(probe_every_s=0.0), ModelHealth(recheck_s=0.01)
    health.reached()
    with FakeOpenAI(default=calls_the_tool()) as llm:
        model = model_at(llm.base_url, client)
        asking = await model_abilities.first_probe(model, abilities, health, wait_s=5.0)
        assert abilities.tools == "yes" and asking is not None and asking.done()
        watching = asyncio.create_task(model_abilities.watch(model, abilities, health, asking))
        try:
            abilities.failed_in_turn("the server answered with nothing")
            for _ in range(500):  # the watch's next round, within 5 s
                if abilities.tools == "yes":
                    break
                await asyncio.sleep(0.01)
        finally:
            watching.cancel()
        assert abilities.tools == "yes" and len(llm.requests) == 2
