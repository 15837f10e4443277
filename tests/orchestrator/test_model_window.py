"""What a model's server says of its context window, wherever it says it."""

from __future__ import annotations

from orchestrator.model_window import window_in


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
