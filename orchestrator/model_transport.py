"""The HTTP client of the model endpoint: aiohttp underneath, its streams read at a pace.

Streamed answers are read through aiohttp (`httpx-aiohttp`, the transport the OpenAI SDK
offers for concurrency, here under the legacy httpx client whose errors `turns` classifies):
its C parser buffers what arrives and one read takes all of it, where httpx's own transport
wakes the loop and opens a cancel scope for every HTTP chunk, that is for every token.

`PacedTransport` then reads a streamed answer, once its first text has gone through, no more
often than `pace()` says (the process's token-frame window, `api.session.coalesce`: 5 ms for
one answer, up to 250 ms for a crowd), and hands each read on with its run of text deltas
merged (`orchestrator.sse_merge`): a hundred answers at once cost the loop one event per
window each instead of one per token, and the time saved goes to the turns still waiting for
their first token. A stream's first text is never held back, and nothing read is held: only
the next read waits. Measured 2026-11-25 (100 answers at 30 tokens/s through LangChain in one
process): 0.31-0.38 CPU-ms a token on httpx's transport, 0.13-0.16 on aiohttp's, 0.09-0.10
read every 100 ms, 0.06-0.08 every 200 ms.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager

import aiohttp
import httpx
import openai

from orchestrator.sse_merge import DeltaMerger

MIN_PACE_S = 0.02  # a shorter window saves nothing worth a timer: the stream is read as it comes
EVENT_STREAM = "text/event-stream"
KEEPALIVE_S = 5.0  # an idle connection to the model is kept this long (httpx's default)


def no_pace() -> float:
    return 0.0


@contextmanager
def connection_errors() -> Iterator[None]:
    """httpx-aiohttp reports every aiohttp connection error as `httpx.ConnectTimeout`; a
    refused or dropped connection is no timeout (the customer is told the model is
    unavailable, not slow): those become `ConnectError` and `ReadError`."""
    try:
        yield
    except httpx.ConnectTimeout as exc:
        cause = exc.__cause__
        if isinstance(cause, aiohttp.ServerTimeoutError) or cause is None:
            raise
        if isinstance(cause, aiohttp.ClientConnectorError):
            raise httpx.ConnectError(str(exc)) from cause
        raise httpx.ReadError(str(exc)) from cause


class Refused(httpx.ConnectError, openai.APIConnectionError):  # type: ignore[misc]
    """The model's server refused the connection (or none could be made): an
    `httpx.ConnectError` to whoever reads HTTP, and an error of the OpenAI SDK's own to the SDK,
    which raises those as they are instead of trying again. A server that refuses is down:
    asking again after 0.5 s and 1 s (the SDK's backoff) only kept the turn from the offline
    answer that stands in for it; `ModelHealth` decides when to try it again."""

    def __init__(self, message: str, request: httpx.Request) -> None:
        # Each parent's __init__ hands on to the next in the MRO with its own arguments, so
        # neither is called: Exception's takes the message, and the attributes both read are set.
        Exception.__init__(self, message)
        self.request = request  # httpx's property, which the SDK's error sets as well
        self.message = message
        self.body: object | None = None
        self.code: str | None = None
        self.param: str | None = None
        self.type: str | None = None


class PacedStream(httpx.AsyncByteStream):
    """A streamed body read at `pace()` once its first text has gone through, the runs of
    text deltas of each read merged; with a window under `MIN_PACE_S` (one answer, a few)
    it is read as it comes and every token stays its own event."""

    def __init__(self, stream: httpx.AsyncByteStream, pace: Callable[[], float]) -> None:
        self._stream = stream
        self._pace = pace
        self.merger = DeltaMerger()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        merger = self.merger
        with connection_errors():
            async for data in self._stream:
                wait = self._pace()
                paced = wait >= MIN_PACE_S
                out = merger.feed(data, merge=paced)
                if out:
                    yield out
                if paced and merger.spoke:
                    await asyncio.sleep(wait)
        rest = merger.flush()
        if rest:
            yield rest

    async def aclose(self) -> None:
        await self._stream.aclose()


class PacedTransport(httpx.AsyncBaseTransport):
    """`inner`, with every server-sent event stream read as `PacedStream` reads it (and
    every other body read as it comes, through the same error mapping)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, pace: Callable[[], float]) -> None:
        self.inner = inner
        self.pace = pace

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            with connection_errors():
                response = await self.inner.handle_async_request(request)
        except httpx.ConnectError as exc:
            raise Refused(str(exc) or "connection refused", request) from exc
        headers = response.headers
        events = headers.get("content-type", "").startswith(EVENT_STREAM) and headers.get(
            "content-encoding", "identity"
        ) in ("", "identity")
        stream = response.stream
        assert isinstance(stream, httpx.AsyncByteStream)
        return httpx.Response(  # any other body is read as it comes, its errors mapped alike
            status_code=response.status_code,
            headers=headers,
            stream=PacedStream(stream, self.pace if events else no_pace),
            request=request,
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


def model_http_client(
    timeout_s: float, max_connections: int, pace: Callable[[], float] = no_pace
) -> httpx.AsyncClient:
    """The client every model request of one service instance goes through (bound to the
    loop that first uses it). Like httpx's own, it takes a proxy and CA certificates from the
    environment (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY, SSL_CERT_FILE), read once here:
    aiohttp's `trust_env` would read them (and ~/.netrc) again for every request, in two hops
    to the loop's default executor, queued behind the embeddings of a burst."""
    from httpx_aiohttp import AiohttpTransport

    # httpx-aiohttp's own session: this many connections, idle ones kept KEEPALIVE_S, an SSL
    # context from httpx's (SSL_CERT_FILE honoured), aiohttp's trust_env off.
    limits = httpx.Limits(max_connections=max_connections, keepalive_expiry=KEEPALIVE_S)

    def transport(proxy: str | None) -> httpx.AsyncBaseTransport:
        through = httpx.Proxy(proxy) if proxy else None
        return PacedTransport(AiohttpTransport(limits=limits, proxy=through), pace)

    # As httpx routes them: a pattern per proxy variable, NO_PROXY's hosts to the direct one.
    mounts = {
        pattern: transport(proxy) if proxy else None
        for pattern, proxy in environment_proxies().items()
    }
    return httpx.AsyncClient(timeout=timeout_s, transport=transport(None), mounts=mounts)


def environment_proxies() -> dict[str, str | None]:
    """The proxy of each URL pattern, as httpx reads the environment for its own clients."""
    from httpx._utils import get_environment_proxies

    return get_environment_proxies()
