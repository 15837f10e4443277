"""What the model's server says of its context window, asked once at start-up.

Servers say it in different places: llama.cpp's `llama-server` in `GET /props`
(`default_generation_settings.n_ctx`, or `n_ctx`) and, as the model was trained, in its model
list (`meta.n_ctx_train`); vLLM as `max_model_len` in `GET /v1/models`; LM Studio and hosted
routers as `context_length` or `max_context_length`. A server that says nothing (OpenAI's,
llama-cpp-python's) leaves the window to a setting or to be learnt (`orchestrator.model_budget`).
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from orchestrator.model_budget import ModelBudget

log = logging.getLogger(__name__)

ASK_TIMEOUT_S = 2.0
SERVING_KEYS = ("n_ctx", "max_model_len", "context_length", "max_context_length", "context_window")
TRAINED_KEYS = ("n_ctx_train",)


def window_in(body: Any, model: str | None = None) -> int | None:
    """The serving window a `/props` or `/models` answer names (for `model` where it lists
    several), else the trained one; None if it names neither."""
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        entries = [e for e in body["data"] if isinstance(e, dict)]
        named = [e for e in entries if e.get("id") == model] or entries[:1]
        body = named[0] if named else {}
    return _find(body, SERVING_KEYS) or _find(body, TRAINED_KEYS)


def _find(value: Any, keys: tuple[str, ...], depth: int = 0) -> int | None:
    """The first positive integer under one of `keys`, looked for breadth first."""
    if not isinstance(value, dict) or depth > 3:
        return None
    for key in keys:
        found = value.get(key)
        if isinstance(found, int) and not isinstance(found, bool) and found > 0:
            return found
    for inner in value.values():
        if (found := _find(inner, keys, depth + 1)) is not None:
            return found
    return None


async def ask_window(
    client: httpx.AsyncClient, base_url: str | None, model: str | None
) -> int | None:
    """The window the server at `base_url` names, asking `/props` (beside `/v1`) then
    `/models`; None if neither answers with one."""
    if not base_url:
        return None
    base = base_url.rstrip("/")
    root = base.removesuffix("/v1")
    for url in (f"{root}/props", f"{base}/models"):
        try:
            response = await client.get(url, timeout=ASK_TIMEOUT_S)
            if response.status_code != 200:
                continue
            found = window_in(response.json(), model)
        except (httpx.HTTPError, ValueError):
            continue
        if found:
            return found
    return None


async def learn_window(
    client: httpx.AsyncClient, base_url: str | None, model: str | None, budget: ModelBudget
) -> None:
    """Tell `budget` what the server says, where no setting names the window."""
    if budget.source is not None:
        return
    budget.told(await ask_window(client, base_url, model))
