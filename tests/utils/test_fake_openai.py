"""The fake OpenAI server, exercised through the real `openai` and `langchain_openai` clients."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from langchain_core.messages import AIMessageChunk, BaseMessageChunk, HumanMessage
from langchain_openai import ChatOpenAI

from tests.utils.fake_openai import (
    CutOff,
    Fail,
    FakeOpenAI,
    MalformedToolCall,
    Reply,
    Stall,
    tokenize,
)

BOOK_APPOINTMENT = {
    "type": "function",
    "function": {
        "name": "book_appointment",
        "description": "Book a service appointment at a dealership.",
        "parameters": {
            "type": "object",
            "properties": {
                "dealer_id": {"type": "string"},
                "date": {"type": "string", "description": "ISO date"},
                "services": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["dealer_id", "date"],
        },
    },
}


@pytest.fixture
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def chat(llm: FakeOpenAI, **kwargs: Any) -> ChatOpenAI:
    options: dict[str, Any] = {
        "base_url": llm.base_url,
        "api_key": "sk-test",
        "model": "test-model",
        "streaming": True,
    }
    options.update(kwargs)
    return ChatOpenAI(**options)


async def collect(model: Any, prompt: str) -> list[BaseMessageChunk]:
    return [chunk async for chunk in model.astream([HumanMessage(prompt)])]


def aggregate(chunks: list[BaseMessageChunk]) -> AIMessageChunk:
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    assert isinstance(total, AIMessageChunk)
    return total


def test_tokenize_preserves_text() -> None:
    for text in ["", "one", "  lead and trail  ", "a\nb\tc", "   "]:
        assert "".join(tokenize(text)) == text
    assert tokenize("Hello there, you") == ["Hello ", "there, ", "you"]


async def test_astream_yields_the_scripted_text(llm: FakeOpenAI) -> None:
    text = "Your next service is due at 30,000 km. Shall I book it?"
    llm.script(Reply(text))

    chunks = await collect(chat(llm), "When is my next service?")

    contents = [c.content for c in chunks if c.content]
    assert "".join(str(c) for c in contents) == text
    assert len(contents) == len(tokenize(text))
    (request,) = llm.requests
    assert request["model"] == "test-model"
    assert request["stream"] is True
    assert request["messages"] == [{"role": "user", "content": "When is my next service?"}]


async def test_stream_usage_is_reported(llm: FakeOpenAI) -> None:
    llm.script(Reply("one two three"))

    chunks = await collect(chat(llm, stream_usage=True), "count")

    assert llm.last_request["stream_options"] == {"include_usage": True}
    usage = aggregate(chunks).usage_metadata
    assert usage is not None
    assert usage["output_tokens"] == 3
    assert usage["total_tokens"] == usage["input_tokens"] + 3


async def test_streamed_tool_call_is_parsed(llm: FakeOpenAI) -> None:
    arguments = {"dealer_id": "D-042", "date": "2026-03-14", "services": ["oil", "brakes"]}
    llm.script(Reply(tool_calls=[{"name": "book_appointment", "arguments": arguments}]))
    model = chat(llm).bind_tools([BOOK_APPOINTMENT])

    chunks = await collect(model, "Book me in at D-042 on 14 March.")

    fragments = [c for c in chunks if getattr(c, "tool_call_chunks", None)]
    assert len(fragments) > 2  # name first, then the arguments in several pieces
    message = aggregate(chunks)
    assert message.response_metadata["finish_reason"] == "tool_calls"
    (call,) = message.tool_calls
    assert call["name"] == "book_appointment"
    assert call["args"] == arguments
    assert call["id"]
    (tool,) = llm.last_request["tools"]
    assert tool["function"]["name"] == "book_appointment"


async def test_text_then_two_tool_calls_without_streaming(llm: FakeOpenAI) -> None:
    llm.script(
        Reply(
            "Checking both.",
            tool_calls=[
                {"name": "book_appointment", "arguments": {"dealer_id": "A", "date": "x"}},
                {"name": "book_appointment", "arguments": {"dealer_id": "B", "date": "y"}},
            ],
        )
    )
    model = chat(llm, streaming=False).bind_tools([BOOK_APPOINTMENT])

    message = await model.ainvoke("Book both")

    assert message.content == "Checking both."
    assert [c["args"]["dealer_id"] for c in message.tool_calls] == ["A", "B"]
    assert "stream" not in llm.last_request or llm.last_request["stream"] is False


@pytest.mark.parametrize("streaming", [True, False])
async def test_malformed_tool_call_arguments(llm: FakeOpenAI, streaming: bool) -> None:
    llm.script(MalformedToolCall("book_appointment", "{dealer_id: D-1}"))
    model = chat(llm, streaming=streaming).bind_tools([BOOK_APPOINTMENT])

    message = await model.ainvoke("Book")

    assert message.tool_calls == []
    (invalid,) = message.invalid_tool_calls
    assert invalid["name"] == "book_appointment"
    assert invalid["args"] == "{dealer_id: D-1}"


async def test_truncated_tool_call_arguments_are_repaired_when_streaming(
    llm: FakeOpenAI,
) -> None:
    """langchain-core parses streamed arguments leniently (partial JSON): a truncated
    object becomes a *valid* call missing its last field, not an invalid one."""
    llm.script(MalformedToolCall("book_appointment", '{"dealer_id": "D-1", "date": '))
    model = chat(llm).bind_tools([BOOK_APPOINTMENT])

    message = aggregate(await collect(model, "Book"))

    assert message.invalid_tool_calls == []
    assert message.tool_calls[0]["args"] == {"dealer_id": "D-1"}


async def test_rate_limit_is_retried(llm: FakeOpenAI) -> None:
    llm.script(Fail(429, retry_after=0.05), Reply("Back in business."))

    message = await chat(llm, streaming=False, max_retries=1).ainvoke("Hi")

    assert message.content == "Back in business."
    assert len(llm.requests) == 2
    assert llm.pending == 0


async def test_streaming_rate_limit_is_retried(llm: FakeOpenAI) -> None:
    llm.script(Fail(503, retry_after=0.05), Reply("Streamed after a retry."))

    chunks = await collect(chat(llm, max_retries=1), "Hi")

    assert "".join(str(c.content) for c in chunks) == "Streamed after a retry."
    assert len(llm.requests) == 2


async def test_server_error_without_retries_raises(llm: FakeOpenAI) -> None:
    llm.script(Fail(500), Reply("never sent"))

    with pytest.raises(openai.InternalServerError) as caught:
        await chat(llm, max_retries=0).ainvoke("Hi")

    assert caught.value.status_code == 500
    assert isinstance(caught.value.body, dict)
    assert "server had an error" in caught.value.body["message"]
    assert len(llm.requests) == 1
    assert llm.pending == 1


def test_rate_limit_without_retries_raises_with_the_raw_sdk(llm: FakeOpenAI) -> None:
    llm.script(Fail(429, retry_after=1))

    with (
        openai.OpenAI(base_url=llm.base_url, api_key="sk-test", max_retries=0) as client,
        pytest.raises(openai.RateLimitError) as caught,
    ):
        client.chat.completions.create(
            model="test-model", messages=[{"role": "user", "content": "Hi"}]
        )

    assert caught.value.code == "rate_limit_exceeded"
    assert caught.value.response.headers["retry-after"] == "1"


async def test_stall_times_out(llm: FakeOpenAI) -> None:
    llm.script(Stall(10))
    model = chat(llm, timeout=0.5, max_retries=0)

    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        await model.ainvoke("Hello?")

    assert time.monotonic() - started < 5


async def test_stall_then_answer(llm: FakeOpenAI) -> None:
    llm.script(Stall(0.2, then=Reply("Sorry for the wait.")))

    started = time.monotonic()
    message = await chat(llm, streaming=False).ainvoke("Hello?")

    assert message.content == "Sorry for the wait."
    assert time.monotonic() - started >= 0.15


def test_stop_does_not_wait_for_a_stall() -> None:
    with FakeOpenAI() as server:
        server.script(Stall(60))
        client = openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0)
        with client, pytest.raises(openai.APITimeoutError):
            client.with_options(timeout=0.3).chat.completions.create(
                model="test-model", messages=[{"role": "user", "content": "Hi"}]
            )
        started = time.monotonic()
    assert time.monotonic() - started < 5


async def test_cut_off_stream_raises_after_the_first_tokens(llm: FakeOpenAI) -> None:
    llm.script(CutOff("Your car is ready for pickup at four today.", after_tokens=3))
    received: list[str] = []

    with pytest.raises(openai.APIConnectionError) as caught:
        async for chunk in chat(llm, max_retries=0).astream("Is my car ready?"):
            received.append(str(chunk.content))

    assert "".join(received) == "Your car is "
    cause = caught.value.__cause__
    while cause is not None and not cause.__class__.__module__.startswith("httpx"):
        cause = cause.__cause__
    assert cause is not None, "expected an httpx transport error underneath"


def _stream_with_the_raw_sdk(
    llm: FakeOpenAI, received: list[str], timeout: float | None = None
) -> None:
    with openai.OpenAI(
        base_url=llm.base_url, api_key="sk-test", max_retries=0, timeout=timeout
    ) as client:
        stream = client.chat.completions.create(
            model="test-model", messages=[{"role": "user", "content": "Hi"}], stream=True
        )
        with stream:
            for chunk in stream:
                received.append(chunk.choices[0].delta.content or "")


def test_cut_off_stream_with_the_raw_sdk(llm: FakeOpenAI) -> None:
    llm.script(CutOff("one two three four", after_tokens=2))
    received: list[str] = []
    with pytest.raises(openai.APIConnectionError):
        _stream_with_the_raw_sdk(llm, received)
    assert "".join(received) == "one two "


def test_a_stream_can_hang_mid_answer(llm: FakeOpenAI) -> None:
    llm.script(CutOff("one two three four", after_tokens=2, hang_s=3))
    received: list[str] = []
    with pytest.raises(openai.APITimeoutError):
        _stream_with_the_raw_sdk(llm, received, timeout=1.0)
    assert "".join(received) == "one two "


async def test_cut_off_body_is_retried_without_streaming(llm: FakeOpenAI) -> None:
    llm.script(CutOff("half a body", after_tokens=1), Reply("whole body"))

    message = await chat(llm, streaming=False, max_retries=1).ainvoke("Hi")

    assert message.content == "whole body"
    assert len(llm.requests) == 2


async def test_first_token_delay_and_rate_are_honoured(llm: FakeOpenAI) -> None:
    llm.first_token_delay_s = 0.2
    llm.tokens_per_s = 50
    llm.answer_tokens = 10
    expected_total = 0.2 + 9 / 50
    model = chat(llm)  # built outside the timed part: it loads certificates

    arrivals: list[float] = []
    text = ""
    started = time.monotonic()
    async for chunk in model.astream("Talk to me"):
        if chunk.content:
            arrivals.append(time.monotonic() - started)
        text += str(chunk.content)
    total = time.monotonic() - started

    assert text == " ".join(f"word{i}" for i in range(10))
    assert len(arrivals) == 10
    assert arrivals[0] >= 0.8 * 0.2
    assert arrivals[-1] - arrivals[0] >= 0.8 * 9 / 50
    assert total >= 0.8 * expected_total
    assert total < expected_total + 10  # only catches a pacing that never ends


async def test_a_first_token_can_wait_for_other_requests(llm: FakeOpenAI) -> None:
    llm.first_token_after_requests, llm.answer_tokens = 2, 3
    model = chat(llm)
    first = asyncio.create_task(collect(model, "One"))
    await asyncio.sleep(0.5)
    assert not first.done(), "its first token waits for the second request"
    second = await collect(model, "Two")
    assert aggregate(await first).content == aggregate(second).content == "word0 word1 word2"


def test_default_responder_echoes_and_is_configurable(llm: FakeOpenAI) -> None:
    model = chat(llm, streaming=False)

    assert model.invoke("Where is   my nearest dealer?").content == (
        'You said: "Where is my nearest dealer?".'
    )

    llm.default = lambda request: Reply(f"{len(request['messages'])} message(s)")
    assert model.invoke("again").content == "1 message(s)"

    llm.script("plain strings are replies", lambda request: Fail(503))
    assert model.invoke("x").content == "plain strings are replies"


def test_require_key(llm: FakeOpenAI) -> None:
    llm.require_key = "sk-right"

    with pytest.raises(openai.AuthenticationError):
        chat(llm, api_key="sk-wrong", streaming=False, max_retries=0).invoke("Hi")
    assert chat(llm, api_key="sk-right", streaming=False).invoke("Hi").content


def test_models_endpoint(llm: FakeOpenAI) -> None:
    with openai.OpenAI(base_url=llm.base_url, api_key="sk-test") as client:
        assert [m.id for m in client.models.list()] == ["test-model"]


def test_raw_sse_framing(llm: FakeOpenAI) -> None:
    llm.script(Reply("a b"))
    body = {
        "model": "m",
        "messages": [{"role": "user", "content": "x"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }

    with httpx.Client() as client:
        response = client.post(f"{llm.base_url}/chat/completions", json=body)

    assert response.headers["content-type"].startswith("text/event-stream")
    events = response.text.split("\n\n")
    assert events[-2:] == ["data: [DONE]", ""]
    assert all(e.startswith("data: ") for e in events[:-1])
    chunks = [httpx.Response(200, content=e[6:]).json() for e in events[:-2]]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert [c["choices"][0]["delta"].get("content") for c in chunks[1:3]] == ["a ", "b"]
    assert chunks[3]["choices"][0]["finish_reason"] == "stop"
    assert chunks[4]["choices"] == []
    assert chunks[4]["usage"]["completion_tokens"] == 2


def test_standalone_server() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.utils.fake_openai",
            "--port",
            "0",
            "--answer-tokens",
            "5",
            "--tokens-per-s",
            "1000",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        model = ChatOpenAI(base_url=base_url, api_key="sk-test", model="test-model")
        assert model.invoke("Hi").content == "word0 word1 word2 word3 word4"
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
        if process.stdout is not None:
            process.stdout.close()


async def test_the_pacing_can_be_changed_while_it_runs(llm: FakeOpenAI) -> None:
    async with httpx.AsyncClient(base_url=llm.url) as client:
        reply = await client.post("/simulator", json={"answer_tokens": 3, "tokens_per_s": 50})
        assert reply.json() == {
            "first_token_delay_s": 0.0,
            "tokens_per_s": 50.0,
            "answer_tokens": 3,
        }
        started = time.monotonic()
        chunks = await collect(chat(llm), "anything")
        assert aggregate(chunks).content == "word0 word1 word2"
        assert time.monotonic() - started >= 2 / 50  # three tokens at 50/s: two gaps
        await client.post("/simulator", json={"tokens_per_s": 0, "answer_tokens": None})
        assert (await client.get("/simulator")).json()["tokens_per_s"] is None
        assert "You said" in str(aggregate(await collect(chat(llm), "hello")).content)
        refused = await client.post("/simulator", json={"temperature": 1})
        assert refused.status_code == 400


def test_a_forced_function_with_answer_tokens_set_gets_a_short_call_not_a_paced_answer() -> None:
    from tests.utils.fake_openai import _forced_function

    request = {"tool_choice": {"type": "function", "function": {"name": "Routes"}}}
    assert _forced_function(request) == "Routes"
    assert _forced_function({"tool_choice": "auto"}) is None
    assert _forced_function({}) is None
