"""A served LLM mode against a small model's server: the window its server names is read at
start-up and kept to, and a server of one request at a time is learnt and queued for."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from orchestrator.settings import Settings
from tests.utils.chat_client import ChatClient
from tests.utils.fake_openai import FakeOpenAI, Reply
from tests.utils.server import llm_mode_server

WINDOW = 900


async def test_a_small_window_is_read_from_the_server_and_every_prompt_fits_it(
    tmp_path: Path, kb_settings: Settings
) -> None:
    with FakeOpenAI(default=lambda _request: Reply("It goes 430 km [1].")) as llm:
        llm.context_tokens = WINDOW  # past it: an empty 200, as llama-cpp-python answers
        llm.props = {"default_generation_settings": {"n_ctx": WINDOW}}
        server = llm_mode_server(tmp_path, kb_settings.chroma_path, llm.base_url)
        server.start()
        try:
            checks = httpx.get(f"{server.base_url}/ready", timeout=5).json()["checks"]
            assert (checks["model_window"], checks["model_window_from"]) == (WINDOW, "server")
            assert f"context window: {WINDOW} tokens (server)" in server.log()
            async with await ChatClient.connect(server.ws_url, server.token("small")) as client:
                for question in (
                    "What is the range of the Aster?",
                    "How much can the Ridge tow?",
                    "What tyre pressure does the Aster need?",
                    "What does a flashing check engine light mean?",
                ):
                    done = (await client.turn(question))[-1]
                    assert done["type"] == "complete", done
                    assert done["metadata"]["mode"] == "llm", done
            after = httpx.get(f"{server.base_url}/ready", timeout=5).json()["checks"]
            assert after["model_window_from"] == "server", "no prompt was refused"
        finally:
            server.stop()


async def test_a_server_of_one_request_at_a_time_is_learnt_and_turns_wait_their_turn(
    tmp_path: Path, kb_settings: Settings
) -> None:
    with FakeOpenAI(default=lambda _request: Reply("It goes 430 km [1].")) as llm:
        # Each first token waits for both requests: the second cuts the first, unsaid.
        llm.one_at_a_time, llm.first_token_after_requests = True, 2
        server = llm_mode_server(tmp_path, kb_settings.chroma_path, llm.base_url)
        server.start()
        try:
            async with (
                await ChatClient.connect(server.ws_url, server.token("one")) as first,
                await ChatClient.connect(server.ws_url, server.token("two")) as second,
            ):
                both = await asyncio.gather(
                    first.turn("What is the range of the Aster?"),
                    second.turn("How much can the Ridge tow?"),
                )
            for events in both:
                assert events[-1]["type"] == "complete", events[-1]
            checks = httpx.get(f"{server.base_url}/ready", timeout=5).json()["checks"]
            assert checks["model_requests_at_once"] == 1
            assert "one request at a time from now on" in server.log()
        finally:
            server.stop()
