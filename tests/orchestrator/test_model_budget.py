"""The model's window as far as it is known: set, told by its server, or learnt from a
prompt it refused; and what a prompt may take of it."""

from __future__ import annotations

from orchestrator.model_budget import ModelBudget, estimate_tokens


def test_nothing_is_cut_while_the_window_is_unknown() -> None:
    assert ModelBudget.of(512, None).prompt_tokens() is None


def test_a_prompt_may_take_the_window_less_the_answer() -> None:
    budget = ModelBudget.of(512, 2048)
    assert (budget.source, budget.prompt_tokens()) == ("setting", 1536)


def test_a_window_too_small_for_the_answer_still_leaves_a_prompt() -> None:
    assert ModelBudget.of(512, 600).prompt_tokens() == 128


def test_what_the_server_says_counts_only_where_no_setting_does() -> None:
    told = ModelBudget.of(512, None)
    told.told(4096)
    assert (told.window, told.source) == (4096, "server")
    kept = ModelBudget.of(512, 2048)
    kept.told(4096)
    assert (kept.window, kept.source) == (2048, "setting")


def test_a_refused_prompt_teaches_a_window_below_it() -> None:
    budget = ModelBudget.of(512, None)
    assert budget.refused(3000)
    assert budget.source == "learnt" and budget.window is not None
    assert budget.window < 3000 + 512
    learnt = budget.window
    assert budget.refused(1000) and budget.window < learnt


def test_nothing_is_learnt_below_the_smallest_window() -> None:
    budget = ModelBudget.of(512, None)
    assert not budget.refused(10) and budget.window is None


def test_tokens_are_estimated_on_the_safe_side_of_english() -> None:
    sentence = "Check the engine oil level every 1,000 km or before a long journey."
    assert estimate_tokens([sentence]) >= len(sentence.split()) + 8


def test_a_tokenizer_that_takes_fewer_characters_a_token_leaves_the_prompt_fewer() -> None:
    budget = ModelBudget.of(512, 2048)
    budget.counted(2.54)  # SmolLM2's, on a sample of a prompt's prose, tables and figures
    assert budget.prompt_tokens() == int(1536 * 2.54 / 3.0)


def test_a_tokenizer_that_takes_more_never_lets_the_estimate_past_the_window() -> None:
    budget = ModelBudget.of(512, 2048)
    budget.counted(4.5)
    assert budget.prompt_tokens() == 1536


def test_a_refused_prompt_is_read_in_the_model_tokens() -> None:
    plain, counted = ModelBudget.of(512, None), ModelBudget.of(512, None)
    counted.counted(1.5)
    assert plain.refused(3000) and counted.refused(3000)
    assert counted.window is not None and plain.window is not None
    assert counted.window > plain.window  # 3,000 estimated tokens are 6,000 of the model's
    assert counted.prompt_tokens() == int((counted.window - 512) * 0.5)


def test_an_answer_the_window_ended_short_of_max_tokens_teaches_the_window() -> None:
    budget = ModelBudget.of(512, None)
    budget.counted(2.4)
    assert budget.stopped_short(1600, 120)
    assert (budget.window, budget.source) == (int(1600 / 0.8) + 120, "learnt")


def test_an_answer_at_its_max_tokens_or_a_known_window_teaches_nothing() -> None:
    unknown, known = ModelBudget.of(512, None), ModelBudget.of(512, 4096)
    assert not unknown.stopped_short(1600, 500) and unknown.window is None
    assert not known.stopped_short(1600, 120) and known.window == 4096
