"""A specialist's answer from a real OpenAI-compatible server on loopback, and the offline
answer where the model cannot give one: bounded, retried while nothing went out, degraded."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.engine import URL

from agents.model_message import DATA_RULES
from agents.model_reply import MAX_ATTEMPTS
from agents.specs.prompts import SYSTEM as SPECS_SYSTEM
from orchestrator.events import Token
from orchestrator.model_budget import estimate_tokens
from orchestrator.model_window import learn_window
from orchestrator.settings import Settings
from orchestrator.turns import Completed, Failed
from tests.orchestrator.test_llm_path import llm_settings, run_turn, stored
from tests.orchestrator.test_turns import running
from tests.utils.fake_openai import CutOff, Fail, FakeOpenAI, Raw, Reply
from tests.utils.server import free_port

QUESTION = "What is the range of the Aster?"
EMPTY = Raw(b"", "text/event-stream")  # what llama.cpp's server sends past its context window


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def settings(kb_settings: Settings, db_url: URL, llm: FakeOpenAI) -> Settings:
    return llm_settings(kb_settings, db_url, llm)


def tokens(events: list[Any]) -> str:
    return "".join(e.text for e in events if isinstance(e, Token))


async def test_every_model_call_is_bounded_by_max_tokens(
    settings: Settings, db_url: URL, embedder: Any, llm: FakeOpenAI
) -> None:
    unsure = settings.model_copy(update={"router_llm_threshold": 1.01, "llm_max_tokens": 300})
    llm.script(
        Reply(tool_calls=[{"name": "LLMRoute", "arguments": {"routes": ["specs"]}}]),
        Reply("The Aster goes 430 km [1]."),
    )
    async with running(unsure, db_url, embedder) as orchestrator:
        await run_turn(orchestrator, "bounded", QUESTION)
    router, answer = llm.requests
    assert (answer["max_completion_tokens"], answer["max_tokens"]) == (300, 300)
    assert router["max_completion_tokens"] == router["max_tokens"] == 128


async def test_an_answer_stopped_at_its_max_tokens_completes_marked_truncated(
    settings: Settings, db_url: URL, embedder: Any, llm: FakeOpenAI
) -> None:
    llm.script(Reply("The Aster goes 430 km on one charge, and the", finish_reason="length"))
    async with running(settings, db_url, embedder) as orchestrator:
        events = await run_turn(orchestrator, "truncated", QUESTION)
    done = events[-1]
    assert isinstance(done, Completed), done
    assert done.response == "The Aster goes 430 km on one charge, and the" == tokens(events)
    assert done.metadata.truncated is True and done.metadata.mode == "llm"


async def test_an_answer_fallen_into_a_loop_is_stopped_and_completes_marked_truncated(
    settings: Settings, db_url: URL, embedder: Any, llm: FakeOpenAI
) -> None:
    start = "The Aster goes 430 km on one charge. "
    llm.script(Reply(start + "Service " * 400))
    async with running(settings, db_url, embedder) as orchestrator:
        events = await run_turn(orchestrator, "looped", QUESTION)
    done = events[-1]
    assert isinstance(done, Completed), done
    assert done.response.startswith(start) and done.response == tokens(events)
    assert done.response.count("Service") < 20  # stopped, not written to the end
    assert done.metadata.truncated is True and done.metadata.mode == "llm"


async def test_an_answer_that_stopped_of_itself_is_not_marked(
    settings: Settings, db_url: URL, embedder: Any, llm: FakeOpenAI
) -> None:
    llm.script(Reply("The Aster goes 430 km [1]."))
    async with running(settings, db_url, embedder) as orchestrator:
        events = await run_turn(orchestrator, "whole", QUESTION)
    done = events[-1]
    assert isinstance(done, Completed) and done.metadata.truncated is None
    assert done.metadata.degraded is None


async def test_an_empty_reply_is_asked_for_once_more_since_nothing_went_out(
    settings: Settings, db_url: URL, embedder: Any, llm: FakeOpenAI
) -> None:
    llm.script(EMPTY, Reply("The Aster goes 430 km [1]."))
    async with running(settings, db_url, embedder) as orchestrator:
        events = await run_turn(orchestrator, "empty-once", QUESTION)
    done = events[-1]
    assert isinstance(done, Completed), done
    assert done.response == "The Aster goes 430 km [1]." == tokens(events)
    assert len(llm.requests) == 2


async def test_a_reply_empty_however_it_is_asked_ends_the_turn_with_its_own_code(
    settings: Settings, db_url: URL, embedder: Any, llm: FakeOpenAI
) -> None:
    llm.script(*[EMPTY] * MAX_ATTEMPTS)
    async with running(settings, db_url, embedder) as orchestrator:
        events = await run_turn(orchestrator, "empty-twice", QUESTION)
        rows = await stored(orchestrator, "empty-twice")
    failed = events[-1]
    assert isinstance(failed, Failed) and failed.code == "LLM_EMPTY_REPLY"
    assert "no answer" in failed.message
    assert [(m.role, m.status, m.error_code) for m in rows][-1] == (
        "assistant",
        "failed",
        "LLM_EMPTY_REPLY",
    )


async def test_a_stream_cut_after_tokens_went_out_is_not_asked_again(
    settings: Settings, db_url: URL, embedder: Any, llm: FakeOpenAI
) -> None:
    llm.script(CutOff("The Aster goes a long way on one charge", after_tokens=4, clean=True))
    async with running(settings, db_url, embedder) as orchestrator:
        events = await run_turn(orchestrator, "cut", QUESTION)
        rows = await stored(orchestrator, "cut")
    failed = events[-1]
    assert isinstance(failed, Failed) and failed.code == "LLM_UNAVAILABLE"
    assert failed.partial == tokens(events) == rows[-1].content != ""
    assert len(llm.requests) == 1


@pytest.mark.parametrize(
    "echo",
    [
        f"{SPECS_SYSTEM}\n\n{DATA_RULES}",
        "### Question\n<customer_message>\nWhat is the range of the Aster?\n</customer_message>",
        "Sure.\n### Context\n<passages>\n[1] Kestrel Aster Specifications",
    ],
    ids=["instructions", "question", "context"],
)
async def test_an_answer_that_repeats_its_prompt_is_replaced_by_the_offline_answer(
    settings: Settings, db_url: URL, embedder: Any, llm: FakeOpenAI, echo: str
) -> None:
    offline = settings.model_copy(update={"openai_api_key": None, "openai_base_url": None})
    async with running(offline, db_url, embedder) as orchestrator:
        expected = (await run_turn(orchestrator, "echo-offline", QUESTION))[-1]
    llm.script(Reply(echo))
    async with running(settings, db_url, embedder) as orchestrator:
        events = await run_turn(orchestrator, "echo", QUESTION)
    done = events[-1]
    assert isinstance(done, Completed), done
    assert done.response == tokens(events)
    assert done.response.endswith(expected.response)
    assert "### " not in done.response and "passages>" not in done.response
    assert "specifications specialist" not in done.response
    assert done.metadata.degraded == "answer repeated the prompt"


async def test_with_the_model_unreachable_turns_are_answered_offline_and_marked(
    settings: Settings, db_url: URL, embedder: Any
) -> None:
    nowhere = settings.model_copy(
        update={"openai_base_url": f"http://127.0.0.1:{free_port()}/v1", "llm_max_retries": 2}
    )
    async with running(nowhere, db_url, embedder) as orchestrator:
        first = await run_turn(orchestrator, "down", QUESTION)
        assert orchestrator.services.model_health.state == "unreachable"
        second = await run_turn(orchestrator, "down", "How much can the Ridge tow?")
        booked = await run_turn(orchestrator, "down-book", "Book an oil change next Monday at 9am")
    for events in (first, second, booked):
        done = events[-1]
        assert isinstance(done, Completed), done
        assert (done.metadata.mode, done.metadata.degraded) == ("offline", "model unreachable")
        assert done.response == tokens(events) != ""
    assert "430" in first[-1].response
    assert "Booked" in booked[-1].response  # the offline mode's rules act, tools and all


async def test_a_model_back_is_called_again_after_the_recheck(
    settings: Settings, db_url: URL, embedder: Any
) -> None:
    port = free_port()
    later = settings.model_copy(
        update={"openai_base_url": f"http://127.0.0.1:{port}/v1", "llm_recheck_s": 0.2}
    )
    async with running(later, db_url, embedder) as orchestrator:
        down = await run_turn(orchestrator, "back", QUESTION)
        with FakeOpenAI(port=port) as back:
            back.script(Reply("The Aster goes 430 km [1]."))
            health = orchestrator.services.model_health
            health.failed(0.0)  # the recheck is due: no waiting in a test
            up = await run_turn(orchestrator, "back", QUESTION)
    assert isinstance(down[-1], Completed) and down[-1].metadata.mode == "offline"
    done = up[-1]
    assert isinstance(done, Completed), done
    assert (done.metadata.mode, done.metadata.degraded) == ("llm", None)
    assert done.response == "The Aster goes 430 km [1]."
    assert health.state == "ok"


def prompt_tokens(request: dict[str, Any]) -> int:
    """The prompt's length as the loopback server counts it."""
    return sum(len(str(m.get("content") or "").split()) for m in request["messages"])


def estimated(request: dict[str, Any]) -> int:
    """The prompt's length as the product estimates it."""
    return estimate_tokens(str(m.get("content") or "") for m in request["messages"])


@pytest.fixture
def small_window(llm: FakeOpenAI) -> Iterator[FakeOpenAI]:
    llm.context_tokens = 900
    try:
        yield llm
    finally:
        llm.context_tokens, llm.props, llm.window_ends_answers = None, None, False


async def test_a_prompt_past_the_window_is_fitted_to_a_window_learnt_and_asked_again(
    settings: Settings, db_url: URL, embedder: Any, small_window: FakeOpenAI
) -> None:
    async with running(settings, db_url, embedder) as orchestrator:
        events = await run_turn(orchestrator, "window", QUESTION)
        budget = orchestrator.services.model_budget
    done = events[-1]
    assert isinstance(done, Completed), done
    assert done.response == tokens(events) != ""
    assert budget.source == "learnt"
    first, *_, last = small_window.requests
    assert prompt_tokens(last) < prompt_tokens(first)


async def test_a_window_the_server_names_is_kept_to_from_the_first_request(
    settings: Settings, db_url: URL, embedder: Any, small_window: FakeOpenAI
) -> None:
    small_window.props = {"default_generation_settings": {"n_ctx": 900}}
    async with running(settings, db_url, embedder) as orchestrator:
        services = orchestrator.services
        assert services.http_client is not None
        await learn_window(
            services.http_client, settings.openai_base_url, "m", services.model_budget
        )
        events = await run_turn(orchestrator, "told", QUESTION)
    assert (services.model_budget.window, services.model_budget.source) == (900, "server")
    assert isinstance(events[-1], Completed), events[-1]
    assert len(small_window.requests) == 1


async def test_an_answer_the_window_ended_teaches_the_window_and_the_next_prompt_fits(
    settings: Settings, db_url: URL, embedder: Any, small_window: FakeOpenAI
) -> None:
    """llama-cpp-python serves any prompt shorter than its window and ends the answer where
    the window ends, far short of max_tokens: nothing was refused, yet the window is known."""
    small_window.window_ends_answers = True
    small_window.context_tokens = 1300  # the first prompt is served: nothing is refused
    words = " ".join(f"word{n}" for n in range(600))  # no loop: the window ends it
    small_window.script(Reply(words), Reply("The Ridge tows 3,500 kg [1]."))
    async with running(settings, db_url, embedder) as orchestrator:
        first = await run_turn(orchestrator, "ended", QUESTION)
        budget = orchestrator.services.model_budget
        assert (budget.source, budget.window is not None) == ("learnt", True)
        second = await run_turn(orchestrator, "ended", "How much can the Ridge tow?")
    cut, done = first[-1], second[-1]
    assert isinstance(cut, Completed) and cut.metadata.truncated, cut
    assert isinstance(done, Completed) and not done.metadata.truncated, done
    asked, fitted = small_window.requests[-2:]
    allowed = budget.prompt_tokens()
    assert allowed is not None
    assert estimated(fitted) <= allowed < estimated(asked)


async def test_failed_and_cut_off_answers_are_not_sent_back(
    settings: Settings, db_url: URL, embedder: Any, llm: FakeOpenAI
) -> None:
    llm.script(
        Reply("Service Service Service", finish_reason="length"),
        Fail(500),
        Reply("The Aster goes 430 km [1]."),
        Reply("It tows 750 kg [1]."),
    )
    async with running(settings, db_url, embedder) as orchestrator:
        await run_turn(orchestrator, "history", "How often is the Aster serviced?")
        await run_turn(orchestrator, "history", "What tyres does the Aster use?")
        await run_turn(orchestrator, "history", QUESTION)
        await run_turn(orchestrator, "history", "How much can the Ridge tow?")
    sent = [m["content"] for m in llm.last_request["messages"][1:-1]]
    assert sent == ["What is the range of the Aster?", "The Aster goes 430 km [1]."]


async def test_a_stream_cut_for_another_request_is_sent_again_one_at_a_time(
    settings: Settings, db_url: URL, embedder: Any, llm: FakeOpenAI
) -> None:
    # Each answer's first token waits until the second request has arrived: the second
    # request cuts the first stream before anything of it went out, however loaded the
    # machine (waiting on wall time, a busy CI machine sometimes sent it after the first had
    # said something, which cannot be sent again). The cut one is sent again and waits its
    # turn: the second answer streams for about three seconds.
    llm.one_at_a_time, llm.first_token_after_requests = True, 2
    llm.tokens_per_s, llm.answer_tokens = 10.0, 30
    try:
        async with running(settings, db_url, embedder) as orchestrator:
            first = asyncio.create_task(run_turn(orchestrator, "one", QUESTION))
            # The model's server runs in another thread: its requests are polled.
            while not llm.requests and not first.done():  # noqa: ASYNC110
                await asyncio.sleep(0.01)
            both = await asyncio.gather(
                first, run_turn(orchestrator, "two", "How much can the Ridge tow?")
            )
            gate = orchestrator.services.model_gate
    finally:
        llm.one_at_a_time, llm.first_token_after_requests = False, None
        llm.tokens_per_s, llm.answer_tokens = None, None
    for events in both:
        assert isinstance(events[-1], Completed), events[-1]
    assert (gate.limit, gate.learnt) == (1, True)
    assert len(llm.requests) == 3
    waited = [e for events in both for e in events if getattr(e, "step", None) == "queued"]
    assert waited, "the turn that waited for the model was shown as queued"
