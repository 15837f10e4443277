"""A specialist's answer from a real OpenAI-compatible server on loopback, and the offline
answer where the model cannot give one: bounded, retried while nothing went out, degraded."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.engine import URL

from agents.model_message import DATA_RULES
from agents.specs.prompts import SYSTEM as SPECS_SYSTEM
from orchestrator.events import Token
from orchestrator.settings import Settings
from orchestrator.turns import Completed, Failed
from tests.orchestrator.test_llm_path import llm_settings, run_turn, stored
from tests.orchestrator.test_turns import running
from tests.utils.fake_openai import CutOff, FakeOpenAI, Raw, Reply
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


async def test_a_reply_empty_twice_ends_the_turn_with_its_own_code(
    settings: Settings, db_url: URL, embedder: Any, llm: FakeOpenAI
) -> None:
    llm.script(EMPTY, EMPTY)
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
