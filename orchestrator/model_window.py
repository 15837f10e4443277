"""What the model's server says of its context window, asked once at start-up.

Servers say it in different places: llama.cpp's `llama-server` in `GET /props`
(`default_generation_settings.n_ctx`, or `n_ctx`) and, as the model was trained, in its model
list (`meta.n_ctx_train`); vLLM as `max_model_len` in `GET /v1/models`; LM Studio and hosted
routers as `context_length` or `max_context_length`. A server that says nothing (OpenAI's,
llama-cpp-python's) leaves the window to a setting or to be learnt (`orchestrator.model_budget`).

Servers that count tokens are asked how many a sample of what prompts hold makes, so that the
budget counts as the model does: llama.cpp's `POST /tokenize` (`content`, answered with its
`tokens`), vLLM's (`prompt`, answered with a `count`), llama-cpp-python's `POST
/extras/tokenize/count` (`input`, a `count`). Hosted APIs count none: their windows hold any
prompt the product makes.
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
# What prompts hold: instructions, a passage's prose, a table of figures, a list, a citation.
SAMPLE = (
    "Answer from the sources below; cite each fact as [n]. If they do not answer, say so.\n"
    "[1] Maintenance > Fluids and capacities (page 212)\n"
    "Check the engine oil level with the vehicle on level ground and the engine warm.\n"
    "| Item | Capacity | Interval |\n|---|---|---|\n"
    "| Engine oil (with filter) | 4.5 L (4.8 US qt) | every 15,000 km / 12 months |\n"
    "| Coolant, LLC 50% | 6.2 L | first at 160,000 km, then every 80,000 km |\n"
    "- Tyre pressure, front: 230 kPa (2.3 bar, 33 psi); rear: 210 kPa (2.1 bar, 30 psi)\n"
    "- Wheel nut torque: 103 N·m (76 lbf·ft). Part no. 15601-XK2-004, fault code P0301.\n"
    "If the warning light stays on, stop safely and contact an authorised workshop."
)
# A count outside these is no tokenizer's (an error page's length, a count of words).
CHARS_PER_TOKEN_RANGE = (1.0, 8.0)


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


def _count_in(body: Any) -> int | None:
    if not isinstance(body, dict):
        return None
    count = body.get("count")
    if isinstance(count, int) and not isinstance(count, bool):
        return count
    tokens = body.get("tokens")
    return len(tokens) if isinstance(tokens, list) else None


async def ask_chars_per_token(
    client: httpx.AsyncClient, base_url: str | None, model: str | None
) -> float | None:
    """The characters a token holds in `SAMPLE`, as the server at `base_url` counts them; None
    if it counts none."""
    if not base_url:
        return None
    root = base_url.rstrip("/").removesuffix("/v1")
    asks = (
        (f"{root}/tokenize", {"content": SAMPLE}),  # llama.cpp
        (f"{root}/tokenize", {"model": model, "prompt": SAMPLE}),  # vLLM
        (f"{root}/extras/tokenize/count", {"input": SAMPLE}),  # llama-cpp-python
    )
    for url, body in asks:
        try:
            response = await client.post(url, json=body, timeout=ASK_TIMEOUT_S)
            if response.status_code != 200:
                continue
            count = _count_in(response.json())
        except (httpx.HTTPError, ValueError):
            continue
        if count:
            ratio = len(SAMPLE) / count
            low, high = CHARS_PER_TOKEN_RANGE
            if low <= ratio <= high:
                return round(ratio, 2)
    return None


async def learn_window(
    client: httpx.AsyncClient, base_url: str | None, model: str | None, budget: ModelBudget
) -> None:
    """Tell `budget` what the server says: its window, where no setting names one, and how
    its tokenizer counts."""
    if budget.source is None:
        budget.told(await ask_window(client, base_url, model))
    if budget.chars_per_token is None:
        budget.counted(await ask_chars_per_token(client, base_url, model))
