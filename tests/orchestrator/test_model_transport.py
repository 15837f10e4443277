"""The model's HTTP client against a real OpenAI-compatible server on loopback: a streamed
answer read at a pace arrives whole, in fewer chunks, its first text not held back."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Iterator

import httpx
import openai
import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage

from orchestrator.llm import chat_openai
from orchestrator.model_health import unreachable
from orchestrator.model_transport import model_http_client
from orchestrator.settings import Settings
from tests.utils.fake_openai import CutOff, Fail, FakeOpenAI, Reply
from tests.utils.server import free_port

ANSWER = " ".join(f"word{i}" for i in range(40))
REQUEST = {"model": "m", "messages": [{"role": "user", "content": "Hi"}], "stream": True}


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(tokens_per_s=200) as server:
        yield server


def streaming_model(base_url: str, client: httpx.AsyncClient, max_retries: int) -> BaseChatModel:
    """The answer model as the product makes it, on `base_url` through `client`."""
    settings = Settings(answer_mode="llm", openai_base_url=base_url, openai_api_key="sk-t")
    return chat_openai(
        settings,
        client,
        streaming=True,
        timeout_s=5.0,
        max_retries=max_retries,
        temperature=0,
        max_tokens=settings.llm_max_tokens,
    )


async def streamed(llm: FakeOpenAI, pace: float, answer: str = ANSWER) -> list[str]:
    """The chunks of text LangChain yields for `answer`, read at `pace`."""
    llm.reset()
    llm.script(Reply(answer))
    client = model_http_client(5.0, 10, lambda: pace)
    model = streaming_model(llm.base_url, client, max_retries=0)
    try:
        chunks = [c.content async for c in model.astream([HumanMessage("Hi")])]
    finally:
        await client.aclose()
    return [c for c in chunks if isinstance(c, str) and c]


async def test_an_answer_read_every_100_ms_comes_whole_in_a_few_chunks(llm: FakeOpenAI) -> None:
    unpaced = await streamed(llm, 0.0)
    paced = await streamed(llm, 0.1)
    assert "".join(paced) == "".join(unpaced) == ANSWER
    # 40 words at 200 tokens/s take about 0.2 s: two or three reads once it has begun.
    assert len(paced) <= 6 < len(unpaced)


async def test_the_first_text_is_never_held_back(llm: FakeOpenAI) -> None:
    # Tokens half a second apart, read every 2 s: the first goes through as it comes, alone
    # (only a stall of the whole machine of 0.5 s could join it to the next), and the pace
    # holds only the reads after it.
    llm.tokens_per_s = 2
    try:
        paced = await streamed(llm, 2.0, answer="word0 word1 word2")
    finally:
        llm.tokens_per_s = 200
    assert paced == ["word0 ", "word1 word2"]


async def test_a_window_too_short_to_pay_leaves_every_token_its_own_chunk(
    llm: FakeOpenAI,
) -> None:
    assert await streamed(llm, 0.005) == [f"word{i} " for i in range(39)] + ["word39"]


async def test_an_error_response_is_no_event_stream_and_comes_whole(
    llm: FakeOpenAI,
) -> None:
    llm.reset()
    llm.script(Fail(503))
    client = model_http_client(5.0, 10, lambda: 0.1)
    try:
        response = await client.post(f"{llm.base_url}/chat/completions", json=REQUEST)
    finally:
        await client.aclose()
    assert response.status_code == 503
    assert "error" in response.json()


async def test_a_refused_connection_is_an_error_to_connect_not_a_timeout() -> None:
    client = model_http_client(5.0, 10)
    try:
        with pytest.raises(httpx.ConnectError):
            await client.post(f"http://127.0.0.1:{free_port()}/v1/chat/completions", json=REQUEST)
    finally:
        await client.aclose()


async def test_a_refused_connection_is_not_asked_again_the_offline_answer_stands_in_at_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The SDK would try twice more, after 0.5 s and 1 s: a turn kept from its offline answer
    for nothing (`ModelHealth` decides when to try the server again)."""
    client = model_http_client(5.0, 10)
    model = streaming_model(f"http://127.0.0.1:{free_port()}/v1", client, max_retries=2)
    caplog.set_level(logging.DEBUG, logger="openai")
    try:
        with pytest.raises(openai.APIConnectionError) as raised:
            async for _ in model.astream([HumanMessage("Hi")]):
                pass
    finally:
        await client.aclose()
    assert unreachable(raised.value)
    assert not [r for r in caplog.records if "Retrying request" in r.getMessage()]


async def test_a_connection_dropped_mid_answer_is_a_read_error(llm: FakeOpenAI) -> None:
    llm.reset()
    llm.script(CutOff(ANSWER, after_tokens=5))
    client = model_http_client(5.0, 10)
    try:
        with pytest.raises(httpx.ReadError):
            async with client.stream(
                "POST", f"{llm.base_url}/chat/completions", json=REQUEST
            ) as response:
                async for _ in response.aiter_bytes():
                    pass
    finally:
        await client.aclose()


async def test_a_proxy_named_in_the_environment_carries_the_requests(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[bytes] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await reader.readline())
        while await reader.readline() not in (b"\r\n", b""):
            pass
        body = b'{"error": {"message": "from the proxy"}}'
        writer.write(
            b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(proxy, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    client = model_http_client(5.0, 10)
    try:
        response = await client.post("http://model.invalid/v1/chat/completions", json=REQUEST)
    finally:
        await client.aclose()
        server.close()
    assert response.status_code == 503
    assert seen == [b"POST http://model.invalid/v1/chat/completions HTTP/1.1\r\n"]


async def test_a_host_in_no_proxy_is_reached_directly_and_no_request_takes_a_thread(
    llm: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The environment is read once, when the client is made: a request hops to no thread
    (aiohttp's `trust_env` would, twice, behind whatever else the loop's executor runs)."""
    hops: list[object] = []
    loop = asyncio.get_running_loop()

    class Counting(concurrent.futures.ThreadPoolExecutor):
        def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
            hops.append(fn)
            return super().submit(fn, *args, **kwargs)

    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{free_port()}")  # nothing listens
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    client = model_http_client(5.0, 10)
    executor = Counting(max_workers=1)
    loop.set_default_executor(executor)
    llm.reset()
    llm.script(Reply("direct"))
    try:
        response = await client.post(f"{llm.base_url}/chat/completions", json=REQUEST)
        await response.aread()
    finally:
        await client.aclose()
        executor.shutdown()
    assert response.status_code == 200 and b"direct" in response.content
    assert hops == []
