"""A real OpenAI Chat Completions server on loopback, for tests and benchmarks.

`FakeOpenAI` runs uvicorn + Starlette in a background thread (its own event loop) bound to
127.0.0.1 on a free port, and speaks enough of OpenAI's HTTP protocol for the real `openai`
SDK and `langchain_openai.ChatOpenAI` to talk to it unmodified:

    with FakeOpenAI() as llm:
        llm.script(Reply("Hello!"), Fail(429, retry_after=0.05), Reply(tool_calls=[...]))
        model = ChatOpenAI(base_url=llm.base_url, api_key="sk-test", model="test-model")
        ...
        assert llm.requests[0]["messages"][-1]["content"] == "Hi"

Each `POST /v1/chat/completions` consumes one scripted response; when the script is empty,
`llm.default(request_json)` decides (by default: echo the last user message, or
`answer_tokens` synthetic words).  `first_token_delay_s` and `tokens_per_s` pace every
answer, so the server doubles as an LLM simulator for benchmarks:

    python -m tests.utils.fake_openai --port 8090 --tokens-per-s 30 --answer-tokens 200
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import re
import signal
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeAlias

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

__all__ = [
    "LONG_ANSWER",
    "CutOff",
    "Fail",
    "FakeOpenAI",
    "MalformedToolCall",
    "Raw",
    "Reply",
    "Responder",
    "Scripted",
    "Stall",
    "slow_answers",
    "tokenize",
]


# --------------------------------------------------------------------------- responses


@dataclass(frozen=True)
class Reply:
    """A normal answer: text, tool calls, or both (text is streamed first).

    Each tool call is `{"name": str, "arguments": dict | str, "id": str (optional)}`; a
    string `arguments` is sent verbatim (so it may be invalid JSON).  `finish_reason`
    overrides the natural one ("stop", or "tool_calls" when there are tool calls).
    """

    text: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    finish_reason: str | None = None


@dataclass(frozen=True)
class Fail:
    """An HTTP error with an OpenAI-style JSON body (`body` replaces the default one).

    `retry_after` (seconds) is sent as `Retry-After` and `retry-after-ms`.  The openai SDK
    only honours it when 0 < retry_after <= 120, otherwise it uses its own backoff.
    """

    status: int
    body: dict[str, Any] | None = None
    retry_after: float | None = None


@dataclass(frozen=True)
class Stall:
    """Accept the request and send nothing (not even headers) for `seconds`.

    Afterwards answer with `then`, or with the default responder.
    """

    seconds: float
    then: Reply | Fail | CutOff | MalformedToolCall | Raw | None = None


@dataclass(frozen=True)
class CutOff:
    """Send the first `after_tokens` tokens of `text`, then drop the connection.

    No final chunk, no `[DONE]`, no terminating HTTP chunk: the client sees an incomplete
    chunked response.  A non-streaming request gets half a JSON body, then the drop.
    With `clean`, the HTTP response ends properly instead: a well-formed body that simply
    stops, with no chunk carrying a `finish_reason` and no `[DONE]`. With `hang_s`, the
    stream first goes silent for that long with the connection open (a model server that
    hangs mid-answer).
    """

    text: str
    after_tokens: int
    clean: bool = False
    hang_s: float = 0.0


@dataclass(frozen=True)
class Raw:
    """Answer with exactly this body: a page that is not server-sent events, or broken SSE."""

    body: bytes
    content_type: str = "text/html"
    status: int = 200


@dataclass(frozen=True)
class MalformedToolCall:
    """A tool call whose arguments are `raw_arguments` verbatim (not valid JSON)."""

    name: str
    raw_arguments: str


Scripted: TypeAlias = Reply | Fail | Stall | CutOff | MalformedToolCall | Raw
Responder: TypeAlias = Callable[[dict[str, Any]], Scripted]

HOLD_LIMIT_S = 30.0  # the longest `first_token_after_requests` holds a first token
_TOKEN = re.compile(r"\S+\s*")
_FRAGMENT = re.compile(r"\w+\W*|\W+")


def tokenize(text: str) -> list[str]:
    """Whitespace-preserving word pieces: `"".join(tokenize(t)) == t`."""
    tokens = _TOKEN.findall(text)
    if not tokens:
        return [text] if text else []
    lead = len(text) - len(text.lstrip())
    if lead:
        tokens[0] = text[:lead] + tokens[0]
    return tokens


def _fragments(arguments: str) -> list[str]:
    """Split tool-call arguments into several pieces, as OpenAI streams them."""
    return _FRAGMENT.findall(arguments) or [arguments]


def _error_body(status: int, message: str | None = None) -> dict[str, Any]:
    kinds: dict[int, tuple[str, str, str | None]] = {
        400: ("Invalid request.", "invalid_request_error", None),
        401: (
            "Incorrect API key provided. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            "invalid_request_error",
            "invalid_api_key",
        ),
        403: ("You are not allowed to sample from this model.", "invalid_request_error", None),
        404: ("The requested resource does not exist.", "invalid_request_error", None),
        429: (
            "Rate limit reached for requests. Please try again later.",
            "requests",
            "rate_limit_exceeded",
        ),
        500: (
            "The server had an error while processing your request. Sorry about that!",
            "server_error",
            None,
        ),
        503: (
            "The engine is currently overloaded, please try again later.",
            "server_error",
            None,
        ),
    }
    default_message, kind, code = kinds.get(status, (f"HTTP {status}", "api_error", None))
    return {
        "error": {"message": message or default_message, "type": kind, "param": None, "code": code}
    }


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            str(part.get("text", "")) for part in content if isinstance(part, dict)
        ).strip()
    return ""


def _count_tokens(value: Any) -> int:
    if isinstance(value, str):
        return len(tokenize(value))
    if isinstance(value, dict):
        return sum(_count_tokens(v) for v in value.values())
    if isinstance(value, list):
        return sum(_count_tokens(v) for v in value)
    return 0


def _format_seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


# --------------------------------------------------------------------------- plumbing


class _Abort(Exception):
    """Raised inside a response to make uvicorn drop the connection."""


def _only_aborts(exc: BaseException | None) -> bool:
    if isinstance(exc, BaseExceptionGroup):
        return all(_only_aborts(e) for e in exc.exceptions)
    return isinstance(exc, _Abort)


class _QuietAborts(logging.Filter):
    """Keep uvicorn from logging the deliberate connection drops as app errors."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and _only_aborts(record.exc_info[1]))


_QUIET_ABORTS = _QuietAborts()


class _Pacer:
    """Schedules token k at start + first_token_delay_s + k / tokens_per_s."""

    def __init__(self, owner: FakeOpenAI) -> None:
        self._owner = owner
        self._start = time.monotonic()
        self._first = max(0.0, owner.first_token_delay_s)
        self._rate = owner.tokens_per_s
        self._count = 0

    async def token(self, n: int = 1) -> None:
        """Wait until `n` more tokens are due (raises `_Abort` when the server stops)."""
        if self._count == 0:
            await self._owner._hold_first_token()
        self._count += n
        offset = self._first
        if self._rate:
            offset += (self._count - 1) / self._rate
        delay = self._start + offset - time.monotonic()
        if delay > 0 and await self._owner._sleep(delay):
            raise _Abort("server stopping")


# --------------------------------------------------------------------------- server


class FakeOpenAI:
    """An OpenAI Chat Completions server on loopback; start/stop it with `with`."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        model: str = "test-model",
        first_token_delay_s: float = 0.0,
        tokens_per_s: float | None = None,
        answer_tokens: int | None = None,
        require_key: str | None = None,
        default: Responder | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.model = model
        self.first_token_delay_s = first_token_delay_s
        self.tokens_per_s = tokens_per_s
        self.answer_tokens = answer_tokens
        self.require_key = require_key
        self.default: Responder = default or self.echo
        # A small model's server: a prompt and its max_tokens past `context_tokens` gets an
        # empty 200 (llama-cpp-python's answer), and `props` is served as llama.cpp's /props.
        self.context_tokens: int | None = None
        self.props: dict[str, Any] | None = None
        # llama-cpp-python's other way: a prompt shorter than the window is served whatever
        # its max_tokens, and the window ends the answer (`finish_reason` "length").
        self.window_ends_answers = False
        # Counting tokens at this many characters each: llama.cpp's `POST /tokenize` and
        # llama-cpp-python's `POST /extras/tokenize/count` answer (None: 404, as OpenAI's).
        self.count_chars_per_token: float | None = None
        # A server of one request at a time (llama-cpp-python's): a new request ends the
        # stream under way with `[DONE]` and no finish_reason.
        self.one_at_a_time = False
        # The first token of every answer waits until the server has received this many
        # requests (at most HOLD_LIMIT_S): a test that needs requests to overlap waits on
        # that event, not on wall time.
        self.first_token_after_requests: int | None = None
        self._streaming: list[asyncio.Event] = []
        self._lock = threading.Lock()
        self._queue: deque[Scripted | Responder | str] = deque()
        self._requests: list[dict[str, Any]] = []
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing: asyncio.Event | None = None
        self.app = Starlette(
            routes=[
                Route("/v1/chat/completions", self._chat_completions, methods=["POST"]),
                Route("/v1/models", self._list_models, methods=["GET"]),
                Route("/v1/models/{model_id:path}", self._get_model, methods=["GET"]),
                Route("/simulator", self._configure, methods=["GET", "POST"]),
                Route("/props", self._props, methods=["GET"]),
                Route("/tokenize", self._tokenize, methods=["POST"]),
                Route("/extras/tokenize/count", self._tokenize, methods=["POST"]),
            ],
            exception_handlers={HTTPException: self._http_error},
            lifespan=self._lifespan,
        )

    # ----------------------------------------------------------------- public API

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT` (no path)."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What OpenAI clients take as `base_url`: `http://127.0.0.1:PORT/v1`."""
        return f"{self.url}/v1"

    def script(self, *responses: Scripted | Responder | str) -> None:
        """Queue responses, one per chat request, in order.

        Besides the response dataclasses, an entry may be a plain string (`Reply(text)`)
        or a callable taking the request JSON and returning a response.
        """
        with self._lock:
            self._queue.extend(responses)

    @property
    def pending(self) -> int:
        """How many scripted responses are still queued."""
        with self._lock:
            return len(self._queue)

    @property
    def requests(self) -> list[dict[str, Any]]:
        """A snapshot of every chat-completion request body received, oldest first."""
        with self._lock:
            return list(self._requests)

    @property
    def last_request(self) -> dict[str, Any]:
        with self._lock:
            if not self._requests:
                raise LookupError("the fake OpenAI server has received no request")
            return self._requests[-1]

    def reset(self) -> None:
        """Forget queued responses and recorded requests."""
        with self._lock:
            self._queue.clear()
            self._requests.clear()

    def echo(self, request: dict[str, Any]) -> Reply:
        """The default responder: `answer_tokens` words in sentences of `SENTENCE_WORDS` (as a
        model writes), or an echo of the last user turn. A request that forces one function
        (a classification, such as the LLM router's) gets a short call of it with no
        arguments, as a model's few tokens, not a paced answer."""
        forced = _forced_function(request)
        if self.answer_tokens is not None and forced is not None:
            return Reply(tool_calls=[{"name": forced, "arguments": {}}])
        if self.answer_tokens is not None:
            return Reply(" ".join(_word(i) for i in range(self.answer_tokens)))
        for message in reversed(request.get("messages") or []):
            if isinstance(message, dict) and message.get("role") == "user":
                said = " ".join(_text_of(message.get("content")).split())
                if said:
                    if len(said) > 200:
                        said = said[:200].rstrip() + "…"
                    return Reply(f'You said: "{said}".')
        return Reply("Hello from the fake OpenAI server.")

    def start(self) -> FakeOpenAI:
        if self._thread is not None:
            raise RuntimeError("the fake OpenAI server is already running")
        logging.getLogger("uvicorn.error").addFilter(_QUIET_ABORTS)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            if self.port:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_config=None,
            lifespan="on",
            timeout_graceful_shutdown=5,
            timeout_keep_alive=30,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [sock]},
            name=f"fake-openai:{self.port}",
            daemon=True,
        )
        self._socket, self._server, self._thread = sock, server, thread
        thread.start()
        deadline = time.monotonic() + 15
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the fake OpenAI server did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Stop serving: in-flight delays end at once, then uvicorn shuts down."""
        server, thread, sock = self._server, self._thread, self._socket
        if server is None or thread is None:
            return
        loop, closing = self._loop, self._closing
        if loop is not None and closing is not None:
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                loop.call_soon_threadsafe(closing.set)
        server.should_exit = True
        thread.join(timeout=10)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout=5)
        if sock is not None:
            sock.close()
        self._server = self._thread = self._socket = None
        self._loop = self._closing = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self._thread is not None else "stopped"
        return f"<FakeOpenAI {self.base_url} {state}>"

    # ----------------------------------------------------------------- internals

    @contextlib.asynccontextmanager
    async def _lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        self._loop = asyncio.get_running_loop()
        self._closing = asyncio.Event()
        yield

    async def _hold_first_token(self) -> None:
        """Wait, before an answer's first token, for `first_token_after_requests`."""
        deadline = time.monotonic() + HOLD_LIMIT_S
        while time.monotonic() < deadline:
            wanted = self.first_token_after_requests
            with self._lock:
                if wanted is None or len(self._requests) >= wanted:
                    return
            if await self._sleep(0.01):
                raise _Abort("server stopping")

    async def _sleep(self, seconds: float) -> bool:
        """Sleep; True when cut short because the server is stopping."""
        closing = self._closing
        if closing is None:
            await asyncio.sleep(seconds)
            return False
        if closing.is_set():
            return True
        try:
            async with asyncio.timeout(seconds):
                await closing.wait()
        except TimeoutError:
            return False
        return True

    def _next(self, request: dict[str, Any]) -> Scripted:
        with self._lock:
            item = self._queue.popleft() if self._queue else self.default
        if isinstance(item, str):
            return Reply(item)
        if callable(item):
            return item(request)
        return item

    @staticmethod
    def _headers(extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"x-request-id": f"req_{uuid.uuid4().hex}", **(extra or {})}

    async def _http_error(self, _request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        return JSONResponse(_error_body(status, str(getattr(exc, "detail", "") or "")), status)

    async def _configure(self, request: Request) -> Response:
        """`POST /simulator` changes the pacing knobs of a running server (for benchmarks that
        share one simulator between loads); `GET` shows them. Not part of OpenAI's API."""
        knobs = ("first_token_delay_s", "tokens_per_s", "answer_tokens")
        if request.method == "POST":
            try:
                body = await request.json()
            except ValueError:
                body = None
            if not isinstance(body, dict) or set(body) - set(knobs):
                return JSONResponse({"error": f"send a JSON object with some of {knobs}"}, 400)
            for knob, value in body.items():
                if value is not None and (not isinstance(value, int | float) or value < 0):
                    return JSONResponse({"error": f"{knob} must be a number >= 0 or null"}, 400)
            with self._lock:
                for knob, value in body.items():
                    if knob == "first_token_delay_s":
                        self.first_token_delay_s = float(value or 0)
                    elif knob == "tokens_per_s":
                        self.tokens_per_s = float(value) if value else None  # 0: unpaced
                    else:
                        self.answer_tokens = int(value) if value is not None else None
        return JSONResponse({knob: getattr(self, knob) for knob in knobs})

    async def _props(self, _request: Request) -> Response:
        if self.props is None:
            return JSONResponse({"error": "Not Found"}, 404)
        return JSONResponse(self.props)

    async def _tokenize(self, request: Request) -> Response:
        per_token = self.count_chars_per_token
        body = await request.json()
        text = body.get("content") or body.get("input") if isinstance(body, dict) else None
        if per_token is None or not isinstance(text, str):
            return JSONResponse({"error": "Not Found"}, 404)
        count = int(len(text) / per_token + 0.999)
        if request.url.path == "/tokenize":
            return JSONResponse({"tokens": list(range(count))})
        return JSONResponse({"count": count})

    def _past_window(self, body: dict[str, Any]) -> bool:
        if self.context_tokens is None:
            return False
        messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
        prompt = sum(_count_tokens([m.get("content"), m.get("tool_calls")]) for m in messages)
        if self.window_ends_answers:
            return prompt >= self.context_tokens
        return prompt + int(body.get("max_tokens") or 0) > self.context_tokens

    async def _list_models(self, _request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [self._model_card(self.model)]})

    async def _get_model(self, request: Request) -> Response:
        return JSONResponse(self._model_card(request.path_params["model_id"]))

    @staticmethod
    def _model_card(model_id: str) -> dict[str, Any]:
        return {"id": model_id, "object": "model", "created": 1700000000, "owned_by": "fake"}

    def _fail(self, fail: Fail) -> Response:
        headers = {}
        if fail.retry_after is not None:
            headers["retry-after"] = _format_seconds(fail.retry_after)
            headers["retry-after-ms"] = _format_seconds(fail.retry_after * 1000)
        body = fail.body if fail.body is not None else _error_body(fail.status)
        return JSONResponse(body, fail.status, headers=self._headers(headers))

    async def _chat_completions(self, request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return self._fail(Fail(400, _error_body(400, "The request body is not valid JSON.")))
        if not isinstance(body, dict):
            return self._fail(Fail(400, _error_body(400, "The request body must be an object.")))
        with self._lock:
            self._requests.append(body)
        if self.require_key is not None:
            authorization = request.headers.get("authorization", "")
            if authorization != f"Bearer {self.require_key}":
                return self._fail(Fail(401))
        if not isinstance(body.get("messages"), list):
            return self._fail(Fail(400, _error_body(400, "'messages' is a required property")))
        if self.one_at_a_time:
            for running in self._streaming:
                running.set()
        if self._past_window(body) and body.get("stream"):
            return Response(b"", 200, media_type="text/event-stream", headers=self._headers())
        pacer = _Pacer(self)
        response = self._next(body)
        if isinstance(response, Stall):
            if await self._sleep(response.seconds):
                return self._fail(Fail(503, _error_body(503, "The server is shutting down.")))
            pacer = _Pacer(self)
            response = response.then or self.default(body)
            if isinstance(response, Stall):
                raise TypeError("a Stall cannot answer with another Stall")
        if isinstance(response, Fail):
            return self._fail(response)
        if isinstance(response, Raw):
            return Response(
                response.body,
                response.status,
                media_type=response.content_type,
                headers=self._headers(),
            )
        if isinstance(response, MalformedToolCall):
            response = Reply(
                tool_calls=[{"name": response.name, "arguments": response.raw_arguments}]
            )
        completion = _Completion(body, response, self.model)
        if self.window_ends_answers and self.context_tokens is not None:
            completion.end_at(self.context_tokens - completion.prompt_tokens)
        if body.get("stream"):
            cut = asyncio.Event()
            return StreamingResponse(
                self._tracked(completion.sse(pacer, cut), cut),
                media_type="text/event-stream",
                headers=self._headers({"cache-control": "no-cache"}),
            )
        if isinstance(response, CutOff):
            return StreamingResponse(
                completion.truncated_json(pacer),
                media_type="application/json",
                headers=self._headers(),
            )
        await pacer.token(completion.token_count)
        return JSONResponse(completion.as_json(), headers=self._headers())

    async def _tracked(
        self, chunks: AsyncIterator[bytes], cut: asyncio.Event
    ) -> AsyncIterator[bytes]:
        """A stream that a later request may cut (`one_at_a_time`)."""
        self._streaming.append(cut)
        try:
            async for chunk in chunks:
                yield chunk
        finally:
            self._streaming.remove(cut)


class _Completion:
    """One answer, rendered as a `chat.completion` or as `chat.completion.chunk`s."""

    def __init__(self, request: dict[str, Any], response: Reply | CutOff, model: str) -> None:
        self.id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        self.created = int(time.time())
        self.model = str(request.get("model") or model)
        messages = [m for m in request.get("messages") or [] if isinstance(m, dict)]
        self.prompt_tokens = max(
            1, sum(_count_tokens([m.get("content"), m.get("tool_calls")]) for m in messages)
        )
        options = request.get("stream_options")
        self.include_usage = isinstance(options, dict) and bool(options.get("include_usage"))
        self.cut_off = isinstance(response, CutOff) and not response.clean
        self.ends_early = isinstance(response, CutOff) and response.clean
        self.hang_s = response.hang_s if isinstance(response, CutOff) else 0.0
        if isinstance(response, CutOff):
            self.text: str | None = response.text
            self.tokens = tokenize(response.text)[: max(0, response.after_tokens)]
            tool_calls: list[dict[str, Any]] = []
            self.finish_reason = "stop"
        else:
            self.text = response.text
            self.tokens = tokenize(response.text or "")
            tool_calls = list(response.tool_calls or [])
            natural = "tool_calls" if tool_calls else "stop"
            self.finish_reason = response.finish_reason or natural
        self.tool_calls = [self._normalise(call) for call in tool_calls]
        self.token_count = max(
            1, len(self.tokens) + sum(1 + len(c["fragments"]) for c in self.tool_calls)
        )

    def end_at(self, room: int) -> None:
        """The answer ended where the window leaves no more room, if it does."""
        if room < len(self.tokens):
            self.tokens = self.tokens[: max(1, room)]
            self.finish_reason = "length"
            self.token_count = max(1, len(self.tokens))

    @staticmethod
    def _normalise(call: dict[str, Any]) -> dict[str, Any]:
        arguments = call.get("arguments", {})
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments, ensure_ascii=False)
        return {
            "id": str(call.get("id") or f"call_{uuid.uuid4().hex[:24]}"),
            "name": str(call["name"]),
            "arguments": arguments,
            "fragments": _fragments(arguments),
        }

    def usage(self) -> dict[str, Any]:
        completion_tokens = self.token_count
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": self.prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }

    def as_json(self) -> dict[str, Any]:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": self.text,
            "refusal": None,
            "annotations": [],
        }
        if self.tool_calls:
            message["tool_calls"] = [
                {
                    "id": call["id"],
                    "type": "function",
                    "function": {"name": call["name"], "arguments": call["arguments"]},
                }
                for call in self.tool_calls
            ]
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": self.finish_reason,
                }
            ],
            "usage": self.usage(),
            "service_tier": "default",
            "system_fingerprint": "fp_fake",
        }

    def _chunk(self, delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
        chunk: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "service_tier": "default",
            "system_fingerprint": "fp_fake",
            "choices": [
                {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            ],
        }
        if self.include_usage:
            chunk["usage"] = None
        return _sse(chunk)

    def _deltas(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """(tokens it costs, delta) for everything after the role delta."""
        for token in self.tokens:
            yield 1, {"content": token}
        for index, call in enumerate(self.tool_calls):
            opening = {
                "index": index,
                "id": call["id"],
                "type": "function",
                "function": {"name": call["name"], "arguments": ""},
            }
            yield 1, {"tool_calls": [opening]}
            for fragment in call["fragments"]:
                yield 1, {"tool_calls": [{"index": index, "function": {"arguments": fragment}}]}

    async def sse(self, pacer: _Pacer, cut: asyncio.Event | None = None) -> AsyncIterator[bytes]:
        first = True
        for cost, delta in self._deltas():
            await pacer.token(cost)
            if cut is not None and cut.is_set():
                yield b"data: [DONE]\n\n"
                return
            if first:
                yield self._role_chunk()
                first = False
            yield self._chunk(delta)
        if self.hang_s:
            await asyncio.sleep(self.hang_s)
        if self.cut_off:
            raise _Abort("scripted cut-off")
        if self.ends_early:
            return
        if first:
            await pacer.token()
            yield self._role_chunk()
        yield self._chunk({}, self.finish_reason)
        if self.include_usage:
            yield _sse(
                {
                    "id": self.id,
                    "object": "chat.completion.chunk",
                    "created": self.created,
                    "model": self.model,
                    "service_tier": "default",
                    "system_fingerprint": "fp_fake",
                    "choices": [],
                    "usage": self.usage(),
                }
            )
        yield b"data: [DONE]\n\n"

    def _role_chunk(self) -> bytes:
        content = "" if self.tokens or not self.tool_calls else None
        return self._chunk({"role": "assistant", "content": content, "refusal": None})

    async def truncated_json(self, pacer: _Pacer) -> AsyncIterator[bytes]:
        await pacer.token(max(1, len(self.tokens)))
        body = json.dumps(self.as_json()).encode()
        yield body[: len(body) // 2]
        raise _Abort("scripted cut-off")


SENTENCE_WORDS = 15


def _word(i: int) -> str:
    """The `i`th word of a default answer: `word<i>`, a full stop after every
    `SENTENCE_WORDS`th."""
    return f"word{i}." if i % SENTENCE_WORDS == SENTENCE_WORDS - 1 else f"word{i}"


def _sse(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload, ensure_ascii=False).encode() + b"\n\n"


LONG_ANSWER = " ".join(f"step{i}" for i in range(40))


@contextlib.contextmanager
def slow_answers(fake_llm: FakeOpenAI, tokens_per_s: float) -> Iterator[None]:
    """The loopback model streams its next answers at `tokens_per_s`."""
    fake_llm.reset()
    fake_llm.tokens_per_s = tokens_per_s
    try:
        yield
    finally:
        fake_llm.tokens_per_s = None
        fake_llm.reset()


# --------------------------------------------------------------------------- standalone


def _forced_function(request: dict[str, Any]) -> str | None:
    """The function a request's `tool_choice` names outright, if any."""
    choice = request.get("tool_choice")
    if isinstance(choice, dict):
        function = choice.get("function")
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            return str(function["name"])
    return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.utils.fake_openai",
        description="Serve a fake OpenAI Chat Completions API (an LLM simulator).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090, help="0 picks a free port")
    parser.add_argument("--model", default="test-model")
    parser.add_argument("--first-token-ms", type=float, default=0.0)
    parser.add_argument("--tokens-per-s", type=float, default=None, help="default: unlimited")
    parser.add_argument("--answer-tokens", type=int, default=None, help="default: echo")
    parser.add_argument("--require-key", default=None)
    args = parser.parse_args(argv)

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    # Also for SIGINT: a shell starts background jobs with SIGINT ignored.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, interrupt)
    llm = FakeOpenAI(
        host=args.host,
        port=args.port,
        model=args.model,
        first_token_delay_s=args.first_token_ms / 1000,
        tokens_per_s=args.tokens_per_s or None,
        answer_tokens=args.answer_tokens,
        require_key=args.require_key,
    )
    with llm:
        print(llm.base_url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
