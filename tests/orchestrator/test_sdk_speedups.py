"""The openai SDK speed-ups: the same chunks, parsed without the slow Protocol check, or
handed to LangChain as the dicts it reads."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import openai._models as models
import pydantic
from langchain_core.messages import AIMessageChunk
from langchain_openai import ChatOpenAI
from openai.types.chat import ChatCompletionChunk
from pydantic import SecretStr

from orchestrator.sdk_speedups import dict_chunk_completions, plain_json, speed_up_openai_chunks

CHUNK = {
    "id": "chatcmpl-1",
    "object": "chat.completion.chunk",
    "created": 1,
    "model": "test-model",
    "choices": [{"index": 0, "delta": {"content": " word", "role": "assistant"}}],
}


class Aliased(models.BaseModel):
    model_config = pydantic.ConfigDict(populate_by_name=True)
    value: int = pydantic.Field(alias="theValue")


def test_chunks_parse_the_same_once_the_check_is_replaced() -> None:
    assert speed_up_openai_chunks()
    assert speed_up_openai_chunks()  # idempotent
    assert not issubclass(models._ConfigProtocol, pydantic.BaseModel)  # type: ignore[attr-defined]
    parsed = models.construct_type(type_=ChatCompletionChunk, value=CHUNK)
    assert isinstance(parsed, ChatCompletionChunk)
    assert parsed == ChatCompletionChunk.model_validate(CHUNK)
    assert parsed.choices[0].delta.content == " word"


def test_populate_by_name_still_comes_from_the_pydantic_2_config() -> None:
    speed_up_openai_chunks()
    assert isinstance(models.get_model_config(Aliased), dict)  # what makes the check always False
    assert Aliased.construct(value=3).value == 3
    assert Aliased.construct(theValue=4).value == 4


def _sse(*chunks: dict[str, object]) -> httpx.AsyncClient:
    """An HTTP client whose every POST answers these chunks as a chat completion stream."""
    body = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=body, headers={"content-type": "text/event-stream"})

    return httpx.AsyncClient(transport=httpx.MockTransport(answer))


TOOL_CHUNK = {
    **CHUNK,
    "choices": [
        {
            "index": 0,
            "delta": {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call-1",
                        "type": "function",
                        "function": {"name": "book", "arguments": '{"day": 1}'},
                    }
                ]
            },
            "finish_reason": "tool_calls",
        }
    ],
}


async def test_streams_yield_the_chunks_json_and_langchain_reads_it_the_same() -> None:
    def model(dicts: bool) -> ChatOpenAI:
        chat = ChatOpenAI(
            model="test-model",
            api_key=SecretStr("sk-test"),
            base_url="http://llm.test/v1",
            streaming=True,
            http_async_client=_sse(CHUNK, TOOL_CHUNK),
        )
        if dicts:
            chat.async_client = dict_chunk_completions(chat.root_async_client)
        return chat

    raw = await dict_chunk_completions(model(False).root_async_client).create(
        model="test-model", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    assert [chunk async for chunk in raw] == [CHUNK, TOOL_CHUNK]

    async def streamed(dicts: bool) -> list[AIMessageChunk]:
        return [chunk async for chunk in model(dicts).astream("hi")]  # type: ignore[misc]

    plain, fast = await streamed(False), await streamed(True)
    strip = {"id", "response_metadata"}  # run ids differ
    assert [c.model_dump(exclude=strip) for c in fast] == [
        c.model_dump(exclude=strip) for c in plain
    ]
    assert [c.response_metadata for c in fast] == [c.response_metadata for c in plain]
    merged = fast[0] + fast[1]
    assert merged.content == " word"
    assert merged.tool_calls == [
        {"name": "book", "args": {"day": 1}, "id": "call-1", "type": "tool_call"}
    ]


TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "book",
            "description": "Book a slot",
            "parameters": {"type": "object", "properties": {"day": {"type": "integer"}}},
        },
    }
]
PROMPT = [
    {"role": "system", "content": "You answer from the passages."},
    {"role": "user", "content": "Which oil?"},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "book", "arguments": "{}"}}
        ],
    },
    {"role": "tool", "tool_call_id": "c1", "content": "booked"},
]


async def test_a_streamed_request_goes_out_as_the_sdks_own_create_sends_it() -> None:
    """Posted as it is, a plain JSON request is the same request, byte for byte, headers and
    all (the SDK's transform changes nothing in it)."""
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        body = f"data: {json.dumps(CHUNK)}\n\ndata: [DONE]\n\n"
        return httpx.Response(200, text=body, headers={"content-type": "text/event-stream"})

    client = openai.AsyncOpenAI(
        api_key="sk-test",
        base_url="http://llm.test/v1",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(answer)),
        max_retries=0,
    )
    params: dict[str, Any] = {
        "model": "test-model",
        "messages": PROMPT,
        "stream": True,
        "stream_options": {"include_usage": True},
        "temperature": 0.1,
        "tools": TOOLS,
        "extra_headers": {"X-Turn": "t1"},
        "timeout": 12.5,
    }
    fast = dict_chunk_completions(client)
    for completions in (client.chat.completions, fast):
        stream = await completions.create(**params)
        async with stream:
            [chunk async for chunk in stream]
    sdk, ours = sent
    volatile = {"x-stainless-retry-count", "x-stainless-read-timeout"}
    assert ours.url == sdk.url and ours.method == sdk.method
    assert json.loads(ours.content) == json.loads(sdk.content)
    assert {k: v for k, v in ours.headers.items() if k not in volatile} == {
        k: v for k, v in sdk.headers.items() if k not in volatile
    }
    assert ours.headers["authorization"] == "Bearer sk-test"
    assert ours.extensions["timeout"] == sdk.extensions["timeout"]


def test_only_json_data_is_posted_as_it_is() -> None:
    assert plain_json({"messages": PROMPT, "tools": TOOLS, "n": 1, "top_p": 0.5})
    assert not plain_json({"messages": (m for m in PROMPT)})  # an iterable the SDK lists
    assert not plain_json({"messages": [{"role": "user", "content": Aliased(theValue=1)}]})
    assert not plain_json({1: "a key that is not a string"})
