"""The general specialist's fixed replies read as sentences, for any company and any set of
specialists, and reach the customer as written in either answer mode."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.engine import URL

from agents.general.prompts import THANKS, capabilities, greeting, human, out_of_scope
from orchestrator.settings import Settings
from orchestrator.turns import Completed
from tests.orchestrator.test_llm_path import llm_settings, run_turn
from tests.orchestrator.test_turns import running
from tests.utils.fake_openai import FakeOpenAI, Reply

OFFERS = ("vehicle specifications", "maintenance, service appointments and warranty questions")


def test_the_replies_keep_i_capitalised_mid_sentence() -> None:
    for reply in (greeting("Halden", ["Fjord", "Tarn"], OFFERS), human(None, [], OFFERS)):
        assert " i " not in reply and "Hello, i" not in reply and "Meanwhile, i" not in reply
    assert greeting("Halden", ["Fjord", "Tarn"], OFFERS).startswith(
        "Hello, I can help with Halden vehicles (Fjord and Tarn): vehicle specifications and "
        "maintenance, service appointments and warranty questions."
    )
    assert "Meanwhile, I can help with vehicle specifications and" in human(None, [], OFFERS)
    assert out_of_scope(None, ["Fjord"], OFFERS).startswith(
        "Sorry, that's outside what I can help with. I can help with our vehicles (Fjord): "
    )


def test_every_specialist_is_named_and_the_list_reads_as_one() -> None:
    offers = (*OFFERS, "safety recalls")
    assert capabilities(None, [], offers) == (
        "I can help with vehicle specifications, maintenance, service appointments and warranty "
        "questions, and safety recalls."
    )


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.mark.parametrize(
    ("message", "says"),
    [
        ("Hello!", "Hello, I can help with"),
        ("Thanks, that's all I needed", THANKS),
        ("Can I talk to a person please?", "someone will join this conversation"),
        ("What's the weather like tomorrow?", "Sorry, that's outside what I can help with."),
    ],
    ids=["greeting", "thanks", "hand-off", "out-of-scope"],
)
async def test_with_a_language_model_the_fixed_replies_are_ours_word_for_word(
    kb_settings: Settings, db_url: URL, embedder: Any, llm: FakeOpenAI, message: str, says: str
) -> None:
    llm.script(Reply("Hi! I am a helpful assistant and can do anything."))
    async with running(llm_settings(kb_settings, db_url, llm), db_url, embedder) as orchestrator:
        events = await run_turn(orchestrator, f"fixed-{uuid.uuid4().hex[:8]}", message)
    done = events[-1]
    assert isinstance(done, Completed), done
    assert says in done.response and "helpful assistant" not in done.response
    assert done.metadata.agent == "general" and done.metadata.mode == "llm"
    assert llm.requests == []  # the model was not asked
