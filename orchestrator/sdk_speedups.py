"""Measured speed-ups for the openai SDK's streaming path.

`dict_chunk_completions` lets LangChain read streamed chunks as the dicts it wants, with no
model built per chunk. For code that reads the SDK's chunk models (the bench's relay), the
SDK builds a model for every streamed chunk with `BaseModel.construct`, which asks
`isinstance(config, _ConfigProtocol)` of the model's config. `_ConfigProtocol` is a
runtime-checkable `typing_extensions.Protocol`, and on Python 3.11 that check walks the
config's class with `inspect.getattr_static` every time: it was 39% of `construct` (85 → 52 µs
per chunk) and 12% of the server's CPU under a 300-session load (py-spy). Under pydantic 2 the
config is always a dict, for which the check is always False; a plain class answers False at
once, process-wide. Under pydantic 1, or if the SDK changes the name, nothing is touched.

`dict_chunk_completions` also posts a streamed request's body as it is when it is plain JSON
data: the SDK's `create` first runs every request through `async_maybe_transform`, which walks
the body against the params' TypedDicts (aliases, date formats, files) and for the chat
completion params changes nothing in JSON data; with a turn's prompt it cost 0.7-0.9 CPU-ms
per model call, most of the SDK's share of a turn's work before its first token.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openai import AsyncOpenAI
    from openai.resources.chat.completions import AsyncCompletions

log = logging.getLogger(__name__)


class _NotAPydanticV1Config:
    """As the Protocol does under pydantic 2: no config (always a dict) is an instance."""


def speed_up_openai_chunks() -> bool:
    """Replace the SDK's per-chunk Protocol check; True if it was (or already is) replaced."""
    try:
        import openai._models as models
    except ImportError:  # pragma: no cover - openai is a dependency
        return False
    current = getattr(models, "_ConfigProtocol", None)
    if current is _NotAPydanticV1Config:
        return True
    if current is None or getattr(models, "PYDANTIC_V1", True):
        log.info("openai SDK: per-chunk config check left as it is")
        return False
    models._ConfigProtocol = _NotAPydanticV1Config  # type: ignore[misc,assignment]
    return True


def dict_chunk_completions(client: AsyncOpenAI) -> AsyncCompletions:
    """`client.chat.completions`, except that a stream yields each chunk's JSON as a dict.

    LangChain's ChatOpenAI reads every streamed chunk as a dict: given the SDK's model it calls
    `model_dump()` on it at once. Building that model (`construct_type`, field by field) and
    dumping it again were 21% of the event loop's CPU under a 100-session load (py-spy); asked
    for `AsyncStream[object]`, the SDK hands over the parsed JSON as it is. Only the resource's
    streams change: the client's other resources, and with them LangChain's `beta` stream
    (which reads chunk models), are untouched.
    """
    from openai import AsyncStream
    from openai.resources.chat.completions import AsyncCompletions
    from openai.types.chat import ChatCompletion

    completions = AsyncCompletions(client)
    post = client.post
    create = completions.create

    async def post_dict_chunks(path: str, *, stream_cls: Any = None, **options: Any) -> Any:
        if stream_cls is not None:
            stream_cls = AsyncStream[object]
        return await post(path, stream_cls=stream_cls, **options)

    async def create_streamed_as_is(**params: Any) -> Any:
        body, options = _split(params)
        # A response format is validated by `create`; other data is the SDK's to transform.
        if not body.get("stream") or "response_format" in body or not plain_json(body):
            return await create(**params)
        return await post(
            "/chat/completions",
            body=body,
            options=options,
            cast_to=ChatCompletion,
            stream=True,
            stream_cls=AsyncStream[object],
        )

    completions._post = post_dict_chunks
    completions.create = create_streamed_as_is  # type: ignore[method-assign]
    return completions


# `create`'s own keyword arguments, and the request option each becomes.
_OPTIONS = {
    "extra_headers": "headers",
    "extra_query": "params",
    "extra_body": "extra_json",
    "timeout": "timeout",
}


def _split(params: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    """`create`'s keyword arguments as the request's body and the SDK's request options
    (its `RequestOptions`, a TypedDict)."""
    from openai import NotGiven

    body = {k: v for k, v in params.items() if k not in _OPTIONS}
    options: dict[str, Any] = {"security": {"bearer_auth": True}}  # as `create` asks
    for name, option in _OPTIONS.items():
        value = params.get(name)
        if value is not None and not isinstance(value, NotGiven):
            options[option] = value
    return body, options


def plain_json(value: object) -> bool:
    """Whether `value` is JSON data only (dicts with string keys, lists, strings, numbers,
    booleans, None): what the SDK's request transform hands back unchanged."""
    if value is None or isinstance(value, str | int | float | bool):
        return True
    if isinstance(value, dict):
        return all(isinstance(k, str) and plain_json(v) for k, v in value.items())
    if isinstance(value, list):
        return all(plain_json(v) for v in value)
    return False
