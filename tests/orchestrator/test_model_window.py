"""What a model's server says of its context window, wherever it says it, and how its tokenizer
counts where it counts tokens."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from orchestrator.model_budget import ModelBudget
from orchestrator.model_window import SAMPLE, ask_chars_per_token, learn_window, window_in
from tests.utils.fake_openai import FakeOpenAI


@pytest.fixture
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def test_llama_cpp_props_name_the_serving_window() -> None:
    props = {"default_generation_settings": {"n_ctx": 2048, "model": "x.gguf"}, "total_slots": 1}
    assert window_in(props) == 2048


def test_vllm_names_it_in_the_model_list() -> None:
    models = {"data": [{"id": "small", "max_model_len": 8192}, {"id": "big", "max_model_len": 1}]}
    assert window_in(models, "small") == 8192


def test_the_named_model_is_read_where_several_are_listed() -> None:
    models = {"data": [{"id": "a", "context_length": 4096}, {"id": "b", "context_length": 32768}]}
    assert window_in(models, "b") == 32768


def test_the_trained_window_stands_in_where_the_serving_one_is_not_said() -> None:
    models = {"data": [{"id": "m", "meta": {"n_ctx_train": 8192, "n_params": 135000000}}]}
    assert window_in(models, "m") == 8192


def test_a_server_that_says_nothing_of_it_leaves_it_unknown() -> None:
    assert window_in({"data": [{"id": "gpt-4o-mini", "object": "model"}]}, "gpt-4o-mini") is None
    assert window_in({"n_ctx": True}) is None
    assert window_in([]) is None


async def test_a_server_that_counts_tokens_says_how_many_characters_one_holds(
    llm: FakeOpenAI,
) -> None:
    llm.count_chars_per_token = 2.5
    async with httpx.AsyncClient() as client:
        found = await ask_chars_per_token(client, llm.base_url, llm.model)
    assert found == round(len(SAMPLE) / int(len(SAMPLE) / 2.5 + 0.999), 2)
    assert found is not None and 2.4 < found <= 2.5


async def test_the_budget_learns_the_window_and_the_count_at_start_up(llm: FakeOpenAI) -> None:
    llm.props = {"default_generation_settings": {"n_ctx": 2048}}
    llm.count_chars_per_token = 2.0
    budget = ModelBudget.of(512, None)
    async with httpx.AsyncClient() as client:
        await learn_window(client, llm.base_url, llm.model, budget)
    assert (budget.window, budget.source, budget.chars_per_token) == (2048, "server", 2.0)
    assert budget.prompt_tokens() == 1024


async def test_a_server_that_counts_nothing_leaves_the_estimate_as_it_is(llm: FakeOpenAI) -> None:
    budget = ModelBudget.of(512, 2048)
    async with httpx.AsyncClient() as client:
        assert await ask_chars_per_token(client, llm.base_url, llm.model) is None
        await learn_window(client, llm.base_url, llm.model, budget)
    assert (budget.chars_per_token, budget.prompt_tokens()) == (None, 1536)
