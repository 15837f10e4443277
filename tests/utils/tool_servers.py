"""How real OpenAI-compatible servers answer a request with tools, as `FakeOpenAI` responders.

    with FakeOpenAI(default=empty_when_streaming_tools(wording)) as llm: ...

- `calls_the_tool`: a server and model that call tools (OpenAI, vLLM with its tool parser);
- `empty_when_streaming_tools`: llama-cpp-python's server with a function-calling chat format,
  which answers a streamed request with tools and `tool_choice: "auto"` with an empty 200;
- `ignores_tools`: a server that drops the tools and lets the model answer in words;
- `refuses_tools`: vLLM without `--enable-auto-tool-choice`, a 400 about tool choice.
Each answers a request without tools with `otherwise` (by default `wording`).
"""

from __future__ import annotations

from typing import Any

from agents.model_message import parse
from tests.utils.fake_openai import Fail, Raw, Reply, Responder, Scripted

VLLM_REFUSAL = (
    '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set'
)


def last_user_text(request: dict[str, Any]) -> str:
    users = [m for m in request.get("messages") or [] if m.get("role") == "user"]
    content = users[-1].get("content") if users else ""
    return content if isinstance(content, str) else ""


def wording(request: dict[str, Any]) -> Scripted:
    """A model that words a tool's result faithfully: 'Here is what I found. <result>'; and
    answers anything else in a sentence of its own."""
    result = parse(last_user_text(request)).tool_result
    if result:
        return Reply(f"Here is what I found. {result}")
    return Reply("Servicing is covered in the owner's manual [1].")


def calls_the_tool(otherwise: Responder = wording) -> Responder:
    """Calls the first tool it is offered, with no arguments, unless the last message is a
    tool's result (then it answers in words)."""

    def respond(request: dict[str, Any]) -> Scripted:
        tools = request.get("tools") or []
        messages = request.get("messages") or []
        if tools and not (messages and messages[-1].get("role") == "tool"):
            return Reply(tool_calls=[{"name": tools[0]["function"]["name"], "arguments": {}}])
        return otherwise(request)

    return respond


def empty_when_streaming_tools(otherwise: Responder = wording) -> Responder:
    def respond(request: dict[str, Any]) -> Scripted:
        if request.get("tools") and request.get("stream"):
            return Raw(b"", "text/event-stream")
        return otherwise(request)

    return respond


def ignores_tools(text: str) -> Responder:
    """Answers every request with `text`, tools or none."""
    return lambda _request: Reply(text)


def refuses_tools(otherwise: Responder = wording) -> Responder:
    def respond(request: dict[str, Any]) -> Scripted:
        if request.get("tools"):
            body = {"object": "error", "message": VLLM_REFUSAL, "type": "BadRequestError"}
            return Fail(400, {"error": body})
        return otherwise(request)

    return respond
