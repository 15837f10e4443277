"""A long conversation with a small model in a 2,048-token window: every turn ends `complete`, in
time, written by the model. Mechanics, not facts: what the answers say is not checked."""

from __future__ import annotations

import uuid

from tests.llm_real.conversation import Turn, TurnLog
from tests.utils.chat_client import ChatClient
from tests.utils.server import ServerProcess

# The target for each turn (30 s) is a figure of the run, printed in its table and
# reported, not asserted: on two shared cores the model's prompt processing alone ran from 6 to
# 67 tokens a second, and a timed test would fail on the machine's load, not on the product.

# Greetings, thanks, follow-ups that lean on the turns before, a question out of scope, short and
# long messages, over every specialist: the history grows the way a real conversation's does.
CONVERSATION = (
    "Hello!",
    "What is the range of the Aster?",
    "And how long does it take to charge?",
    "How much can the Ridge tow?",
    "What does warning code P0420 mean?",
    "My 12V battery keeps going flat overnight, what should I check?",
    "thanks",
    "How often does the Sable need an oil change?",
    "Which model has the biggest boot?",
    "The infotainment screen is frozen and won't respond to touch. I've already turned the car "
    "off and on again and it still happens every morning. What else can I try before I bring "
    "it in, and is it safe to drive like this?",
    "What does the warranty cover?",
    "and for how long?",
    "What tyre pressure should I use on the Aster?",
    "brakes squeal when cold, normal?",
    "Can I run my Sable on E85?",
    "What is the Ridge's payload?",
    "Do you sell bicycles?",
    "Compare the Aster and the Sable for a family of four.",
    "The orange battery light came on while driving. Can I keep going?",
    "Thanks, that's all for today.",
)


def problems(turn: Turn) -> list[str]:
    """What is wrong with a turn of a conversation whose model is up, if anything: an end
    other than `complete` (LLM_UNAVAILABLE, TIMEOUT, …), or the model counted as down."""
    found = []
    if turn.outcome != "complete":
        found.append(f"ended {turn.outcome}")
    if turn.degraded == "model unreachable":
        found.append("answered offline: the model counted as unreachable")
    return found


async def test_twenty_varied_turns_of_one_conversation_all_complete_in_time(
    product: ServerProcess, turn_log: TurnLog
) -> None:
    assert len(CONVERSATION) == 20
    session = uuid.uuid4().hex
    async with await ChatClient.connect(product.ws_url, product.token("long-talk")) as client:
        turns = [
            await turn_log.ask(client, "twenty turns", message, session) for message in CONVERSATION
        ]
    failures = [f"{i}. {problems(t)} {t.describe()}" for i, t in enumerate(turns, 1) if problems(t)]
    assert not failures, "\n".join(failures)
    assert any(t.model_reached for t in turns), "the model answered none of the turns"


async def test_a_two_part_question_completes(product: ServerProcess, turn_log: TurnLog) -> None:
    session = uuid.uuid4().hex
    async with await ChatClient.connect(product.ws_url, product.token("two-parts")) as client:
        turn = await turn_log.ask(
            client,
            "two-part question",
            "What is the towing capacity of the Ridge, and how often does it need a service?",
            session,
        )
    assert not problems(turn), turn.describe()
    assert turn.model_reached, turn.describe()
