"""Whether a message may start a turn: the rules every transport shares, in the order a client
can act on them. Run against the app's own state (real database) without a socket."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import URL

from api.app import create_app
from api.auth import Principal
from api.deps import AppState
from api.protocol import ChatFrame, ErrorCode
from api.session.admission import Admitted, Forwarded, Join, Queued, Refused, Replay, admit
from orchestrator.models import MessageStatus
from orchestrator.persistence import conversations
from orchestrator.settings import Settings
from orchestrator.turn_metadata import TurnMetadata

pytestmark = pytest.mark.slow


@pytest.fixture
def app(kb_settings: Settings, db_url: URL) -> Iterator[tuple[TestClient, AppState]]:
    url = db_url.render_as_string(hide_password=False)
    settings = kb_settings.model_copy(
        update={"database_url": url, "rate_limit_messages": 8, "line_sweep_s": 3600.0}
    )
    with TestClient(create_app(settings)) as client:
        yield client, client.app.state.app  # type: ignore[attr-defined]


def ask(app: tuple[TestClient, AppState], user: Principal, **frame: Any) -> Any:
    client, state = app
    assert client.portal is not None
    return client.portal.call(admit, state, user, ChatFrame(type="message", **frame))


ADA = Principal(id="ada", role="customer", name="Ada")
BOB = Principal(id="bob", role="customer", name="Bob")
STAFF = Principal(id="sam", role="staff", name="Sam")


def test_the_text_rules_come_first(app: tuple[TestClient, AppState]) -> None:
    assert ask(app, ADA, message="  ").code is ErrorCode.EMPTY_MESSAGE
    too_long = ask(app, ADA, message="x" * 4001)
    assert isinstance(too_long, Refused) and too_long.code is ErrorCode.MESSAGE_TOO_LARGE


def test_a_new_message_is_admitted_and_a_second_one_waits(
    app: tuple[TestClient, AppState],
) -> None:
    first = ask(app, ADA, message="How often should I service my car?", message_id="m1")
    assert isinstance(first, Admitted) and first.created and first.owner_id == "ada"
    session, channel = first.channel.session_id, first.channel

    channel.turn.start(first.turn_id, "m1")  # its turn is under way
    again = ask(app, ADA, message="How often?", message_id="m1", session_id=session)
    assert isinstance(again, Join)  # the same message id follows its own turn
    other = ask(
        app, ADA, message="And the tyres?", message_id="m2", session_id=session,
        multitask_strategy="reject",
    )  # fmt: skip
    assert isinstance(other, Refused) and other.code is ErrorCode.BUSY
    assert other.turn_id == first.turn_id
    waits = ask(app, ADA, message="And the tyres?", message_id="m3", session_id=session)
    assert isinstance(waits, Queued) and waits.position == 1  # the default: in line
    assert waits.turn_id != first.turn_id and not waits.interrupting
    again = ask(app, ADA, message="And the tyres?", message_id="m3", session_id=session)
    assert isinstance(again, Queued) and again.turn_id == waits.turn_id  # found in line again
    channel.turn.finish(first.turn_id)

    client, state = app

    async def answer() -> None:  # the turn, run and awaited on the app's own event loop
        state.channels.start_turn(
            channel, customer_id="ada", author_id="ada", text="How often?",
            turn_id=first.turn_id, client_message_id="m1", ticket=first.ticket,
        )  # fmt: skip
        assert channel.task is not None
        await asyncio.wait_for(channel.task, 60)

    assert client.portal is not None
    client.portal.call(answer)
    replayed = ask(app, ADA, message="How often?", message_id="m1", session_id=session)
    assert isinstance(replayed, Replay)  # answered once: that answer is sent again


def test_another_customers_session_reads_as_none(app: tuple[TestClient, AppState]) -> None:
    first = ask(app, ADA, message="Hello", session_id="ada-session")
    assert isinstance(first, Admitted)
    theirs = ask(app, BOB, message="Hello", session_id="ada-session")
    assert isinstance(theirs, Refused) and theirs.code is ErrorCode.SESSION_NOT_FOUND
    assert theirs.message == "No session ada-session"  # the words of a `resume` of none
    acting = ask(app, BOB, message="Hello", customer_id="ada")
    assert isinstance(acting, Refused) and acting.code is ErrorCode.FORBIDDEN
    staff = ask(app, STAFF, message="Hello", customer_id="ada")
    assert isinstance(staff, Admitted) and staff.owner_id == "ada"


def test_too_many_messages_are_refused_with_a_retry_time(
    app: tuple[TestClient, AppState],
) -> None:
    results = [ask(app, BOB, message=f"question {i}") for i in range(9)]
    assert all(isinstance(r, Admitted) for r in results[:8])
    limited = results[8]
    assert isinstance(limited, Refused) and limited.code is ErrorCode.RATE_LIMITED
    assert limited.retry_after is not None and limited.retry_after > 0


def test_a_message_to_a_staffed_conversation_is_forwarded(
    app: tuple[TestClient, AppState],
) -> None:
    client, state = app
    first = ask(app, ADA, message="Hello", session_id="staffed")
    assert isinstance(first, Admitted)
    assert client.portal is not None
    person = (STAFF.id, STAFF.name, STAFF.role)
    client.portal.call(state.orchestrator.services.db.staff_change, "staffed", person, "takeover")
    forwarded = ask(app, ADA, message="Can a person help?", session_id="staffed")
    assert isinstance(forwarded, Forwarded) and forwarded.message.content == "Can a person help?"


READ = ["begin", "rollback"]  # a transaction that reads, and so ends writing nothing


def test_a_message_is_admitted_with_one_sql_write(app: tuple[TestClient, AppState]) -> None:
    """Whatever a message leads to, its admission writes in one transaction on the database
    (a message that starts a turn reads first, writing nothing, then is stored with the others
    waiting); one that is admitted is stored, as its turn's question, by the time `admit`
    returns."""
    client, state = app
    assert client.portal is not None
    engine, db = state.runtime.engine.sync_engine, state.orchestrator.services.db
    seen: list[str] = []
    listeners = {
        name: lambda *_, name=name: seen.append(name) for name in ("begin", "commit", "rollback")
    }
    for name, listener in listeners.items():
        event.listen(engine, name, listener)

    def admitted(**frame: Any) -> tuple[Any, list[str]]:
        seen.clear()
        return ask(app, ADA, **frame), list(seen)

    try:
        first, sql = admitted(message="Tyre pressure?", message_id="m1")  # a new session
        assert isinstance(first, Admitted) and sql == [*READ, "begin", "commit"]
        session = first.channel.session_id
        stored = client.portal.call(db.messages, session)
        assert [(m.turn_id, m.client_message_id) for m in stored] == [(first.turn_id, "m1")]

        busy, sql = admitted(
            message="And the oil?", message_id="m2", session_id=session,
            multitask_strategy="reject",
        )  # fmt: skip
        assert isinstance(busy, Refused) and busy.code is ErrorCode.BUSY
        assert sql == ["begin", "commit"] and busy.turn_id == first.turn_id

        client.portal.call(state.channels.leases.release, session, first.turn_id)
        second, sql = admitted(message="And the oil?", message_id="m2", session_id=session)
        assert isinstance(second, Admitted) and sql == [*READ, "begin", "commit"]
    finally:
        for name, listener in listeners.items():
            event.remove(engine, name, listener)


def test_a_stored_answer_is_sent_again_while_another_turn_holds_the_session(
    app: tuple[TestClient, AppState],
) -> None:
    """The lease is taken before SQL; a message that starts no turn gives back the lease it
    took and leaves one it did not take alone."""
    client, state = app
    assert client.portal is not None
    leases, sessions = state.channels.leases, state.orchestrator.services.sessions

    def holder() -> str | None:
        assert client.portal is not None
        return client.portal.call(leases.holder, "s-lease", time.time())

    async def answered(turn_id: str) -> None:  # as the turn's end does: stored, then free
        async with sessions() as session:
            await conversations.save_answer(
                session, "s-lease", turn_id, "2.4 bar",
                status=MessageStatus.complete, metadata=TurnMetadata(),
            )  # fmt: skip
            await session.commit()
        await leases.release("s-lease", turn_id)

    first = ask(app, ADA, message="Tyre pressure?", session_id="s-lease", message_id="m1")
    assert isinstance(first, Admitted) and holder() == first.turn_id
    client.portal.call(answered, first.turn_id)
    second = ask(app, ADA, message="And the oil?", session_id="s-lease", message_id="m2")
    assert isinstance(second, Admitted) and holder() == second.turn_id

    again = ask(app, ADA, message="Tyre pressure?", session_id="s-lease", message_id="m1")
    assert isinstance(again, Replay) and holder() == second.turn_id
    client.portal.call(leases.release, "s-lease", second.turn_id)
    again = ask(app, ADA, message="Tyre pressure?", session_id="s-lease", message_id="m1")
    assert isinstance(again, Replay) and holder() is None
    theirs = ask(app, BOB, message="Hello", session_id="s-lease")
    assert isinstance(theirs, Refused) and theirs.code is ErrorCode.SESSION_NOT_FOUND
    assert holder() is None
