"""Two real instances on one PostgreSQL database and one Redis: what they share.

They answer through an OpenAI-compatible server on loopback, so that a test can hold a turn
open for as long as it needs."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from orchestrator.settings import Settings
from tests.utils.chat_client import ChatClient, started, tokens_of
from tests.utils.chroma_server import chroma_server
from tests.utils.databases import fresh_database
from tests.utils.fake_openai import LONG_ANSWER, FakeOpenAI, Reply, Stall, slow_answers
from tests.utils.live import REDIS_URL
from tests.utils.server import ServerProcess, llm_env

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def instances(
    tmp_path_factory: pytest.TempPathFactory, kb_settings: Settings, fake_llm: FakeOpenAI
) -> Iterator[list[ServerProcess]]:
    root = tmp_path_factory.mktemp("cluster")
    prefix = f"test-{uuid.uuid4().hex[:12]}:"
    with fresh_database("postgresql", Path(root)) as url:
        servers = [
            ServerProcess(
                root / name,
                kb_settings.chroma_path,
                url.render_as_string(False),
                REDIS_URL=REDIS_URL,
                REDIS_PREFIX=prefix,
                RATE_LIMIT_MESSAGES="3",
                RATE_LIMIT_WINDOW_S="60",
                SHUTDOWN_GRACE_S="2",
                **llm_env(fake_llm.base_url),
            )
            for name in ("a", "b")
        ]
        for server in servers:
            server.launch()
        try:
            for server in servers:
                server.wait_ready()
            yield servers
        finally:
            for server in servers:
                server.stop()


def test_a_users_rate_limit_counts_messages_on_every_instance(
    instances: list[ServerProcess],
) -> None:
    a, b = instances
    token = a.token(f"cluster-{uuid.uuid4().hex[:8]}")
    headers = {"Authorization": f"Bearer {token}"}
    codes = []
    for i, server in enumerate([a, b, a, b]):
        response = httpx.post(
            f"{server.base_url}/api/v1/chat",
            json={"message": f"How often should the oil be changed? ({i})"},
            headers=headers,
            timeout=60,
        )
        codes.append(response.status_code)
    assert codes == [200, 200, 200, 429]


def test_a_session_runs_one_turn_whichever_instance_is_asked(
    instances: list[ServerProcess], fake_llm: FakeOpenAI
) -> None:
    a, b = instances
    headers = {"Authorization": f"Bearer {a.token(f'busy-{uuid.uuid4().hex[:8]}')}"}
    session = f"busy-{uuid.uuid4().hex}"
    fake_llm.reset()
    fake_llm.script(Stall(4.0, then=Reply(text="Every 15,000 km.")))
    answered: list[httpx.Response] = []

    def ask_a() -> None:
        body = {"message": "How often is the oil changed?", "session_id": session}
        answered.append(
            httpx.post(f"{a.base_url}/api/v1/chat", json=body, headers=headers, timeout=60)
        )

    running = threading.Thread(target=ask_a)
    running.start()
    try:
        deadline = 40
        while not fake_llm.requests and deadline:  # the turn on A has reached the model
            threading.Event().wait(0.25)
            deadline -= 1
        body = {
            "message": "And the tyres?",
            "session_id": session,
            "multitask_strategy": "reject",
        }
        refused = httpx.post(f"{b.base_url}/api/v1/chat", json=body, headers=headers, timeout=60)
    finally:
        running.join(timeout=60)
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"]["code"] == "BUSY"
    assert answered and answered[0].status_code == 200
    assert answered[0].json()["response"] == "Every 15,000 km."
    after = httpx.post(
        f"{b.base_url}/api/v1/chat",
        json={"message": "And the tyres?", "session_id": session},
        headers=headers,
        timeout=60,
    )
    assert after.status_code == 200, after.text  # the lease went with the answer


async def test_messages_sent_to_the_other_instance_while_an_answer_streams_wait_in_line(
    instances: list[ServerProcess], fake_llm: FakeOpenAI
) -> None:
    """A turn streams on A; two messages of the same session arrive at B, the second asking
    to interrupt: B lines them up, A's turn ends cancelled when the second arrives, and each
    is answered in its own turn, in order, followed from B. (Three messages a minute is this
    cluster's rate limit.)"""
    a, b = instances
    user = f"line-{uuid.uuid4().hex[:8]}"
    with slow_answers(fake_llm, tokens_per_s=10):
        fake_llm.script(Reply(text=LONG_ANSWER), *(Reply(text=f"Answer {n}.") for n in (2, 3)))
        on_a = await ChatClient.connect(a.ws_url, a.token(user))
        on_b = await ChatClient.connect(b.ws_url, b.token(user))
        async with on_a, on_b:
            session_id = await started(on_a, "How often is the oil changed?")
            await on_a.until("token")
            for n, strategy in ((2, "enqueue"), (3, "interrupt")):
                await on_b.send(
                    {
                        "type": "message",
                        "message": f"Question {n}",
                        "session_id": session_id,
                        "multitask_strategy": strategy,
                    }
                )
            seen: list[dict[str, object]] = []
            while sum(e["type"] == "complete" for e in seen) < 2:
                seen.append(await on_b.recv(within=30))
            first = await on_a.until("complete", "cancelled", within=30)
    queued = [e for e in seen if e["type"] == "queued"]
    assert [(e["position"], e["interrupting"]) for e in queued] == [(1, False), (2, True)]
    assert first[-1]["type"] == "cancelled" and first[-1]["partial_response"]
    answers = [e for e in seen if e["type"] == "complete"]
    assert [e["turn_id"] for e in answers] == [e["turn_id"] for e in queued]
    assert [e["response"] for e in answers] == ["Answer 2.", "Answer 3."]
    assert not [e for e in seen if e["type"] == "error"]


def staff_url(server: ServerProcess) -> str:
    return server.ws_url.replace("/ws/chat", "/ws/staff")


async def test_a_customer_on_one_instance_is_watched_live_by_staff_on_the_other(
    instances: list[ServerProcess], fake_llm: FakeOpenAI
) -> None:
    a, b = instances
    with slow_answers(fake_llm, tokens_per_s=20):
        fake_llm.script(Reply(text=LONG_ANSWER))
        staff = await ChatClient.connect(staff_url(b), b.token("staff-b", "staff"))
        customer = await ChatClient.connect(a.ws_url, a.token(f"watched-{uuid.uuid4().hex[:8]}"))
        async with staff, customer:
            session_id = await started(customer, "How often is the oil changed?")
            await staff.send({"type": "watch", "session_id": session_id})
            seen_by_staff = await staff.until("complete", within=60)
            seen_by_customer = await customer.until("complete", within=60)
    listed = [e for e in seen_by_staff if e["type"] == "conversation"]
    assert any(e["conversation"]["session_id"] == session_id for e in listed)
    watched = [e for e in seen_by_staff if e.get("session_id") == session_id and "seq" in e]
    assert [e["seq"] for e in watched] == list(range(1, len(watched) + 1))  # all, in order
    assert tokens_of(watched) == tokens_of(seen_by_customer)
    assert LONG_ANSWER in tokens_of(seen_by_customer)
    assert watched[-1]["type"] == seen_by_customer[-1]["type"] == "complete"


async def test_a_note_written_on_one_instance_reaches_a_console_on_the_other(
    instances: list[ServerProcess], fake_llm: FakeOpenAI
) -> None:
    a, b = instances
    fake_llm.script(Reply(text="Every 15,000 km."))
    customer = await ChatClient.connect(a.ws_url, a.token(f"noted-{uuid.uuid4().hex[:8]}"))
    async with customer:
        session_id = await started(customer, "How often is the oil changed?")
        await customer.until("complete", within=60)
    staff = await ChatClient.connect(staff_url(b), b.token("staff-b", "staff"))
    async with staff:
        written = httpx.post(
            f"{a.base_url}/api/v1/staff/conversations/{session_id}/notes",
            json={"note": "Called them back"},
            headers={"Authorization": f"Bearer {a.token('staff-a', 'staff')}"},
            timeout=30,
        )
        assert written.status_code == 201, written.text
        while True:  # the console on B is told the conversation changed, and reads it again
            event = await staff.recv(within=20)
            changed = event.get("conversation") or {}
            if changed.get("session_id") == session_id:
                break
    headers = {"Authorization": f"Bearer {b.token('staff-b', 'staff')}"}
    read = httpx.get(f"{b.base_url}/api/v1/staff/conversations/{session_id}", headers=headers)
    assert [n["content"] for n in read.json()["notes"]] == ["Called them back"]


async def test_a_cancel_sent_to_the_other_instance_stops_the_turn(
    instances: list[ServerProcess], fake_llm: FakeOpenAI
) -> None:
    a, b = instances
    user = f"cancel-{uuid.uuid4().hex[:8]}"
    with slow_answers(fake_llm, tokens_per_s=5):
        fake_llm.script(Reply(text=LONG_ANSWER))
        on_a = await ChatClient.connect(a.ws_url, a.token(user))
        on_b = await ChatClient.connect(b.ws_url, b.token(user))
        async with on_a, on_b:
            session_id = await started(on_a, "How often is the oil changed?")
            await on_b.send({"type": "resume", "session_id": session_id, "after_seq": 0})
            await on_b.until("session")
            await on_b.until("token")  # the answer is streaming on A
            await on_b.send({"type": "cancel", "session_id": session_id})
            ended_b = await on_b.until("complete", "cancelled", within=30)
            ended_a = await on_a.until("complete", "cancelled", within=30)
    assert ended_a[-1]["type"] == ended_b[-1]["type"] == "cancelled"
    assert ended_a[-1]["seq"] == ended_b[-1]["seq"]


async def test_a_message_sent_again_through_the_other_instance_follows_its_turn(
    instances: list[ServerProcess], fake_llm: FakeOpenAI
) -> None:
    """The client lost its connection to A mid-answer and resends the same frame through B:
    not BUSY, but the running turn's events and its `complete`."""
    a, b = instances
    user = f"resend-{uuid.uuid4().hex[:8]}"
    frame = {"type": "message", "message": "How often is the oil changed?", "message_id": "m-1"}
    with slow_answers(fake_llm, tokens_per_s=10):
        fake_llm.script(Reply(text=LONG_ANSWER))
        on_a = await ChatClient.connect(a.ws_url, a.token(user))
        async with on_a:
            await on_a.send(frame)
            first = await on_a.until("token")
        session_id = first[0]["session_id"]
        on_b = await ChatClient.connect(b.ws_url, b.token(user))
        async with on_b:
            await on_b.send({**frame, "session_id": session_id})
            followed = await on_b.until("complete", within=60)
        asked = len(fake_llm.requests)
    assert followed[0]["type"] == "session", followed[0]
    assert followed[0]["turn_id"] == first[0]["turn_id"]
    assert followed[-1]["type"] == "complete" and followed[-1]["turn_id"] == first[0]["turn_id"]
    assert asked == 1  # one turn, not a second one


async def test_a_client_resumes_on_the_other_instance_with_seq_continuous(
    instances: list[ServerProcess], fake_llm: FakeOpenAI
) -> None:
    a, b = instances
    user = f"resume-{uuid.uuid4().hex[:8]}"
    with slow_answers(fake_llm, tokens_per_s=20):
        fake_llm.script(Reply(text=LONG_ANSWER))
        on_a = await ChatClient.connect(a.ws_url, a.token(user))
        async with on_a:
            session_id = await started(on_a, "How often is the oil changed?")
            before = await on_a.until("token")
        # A's client is gone mid-answer; it comes back through B.
        last_seen = max(e["seq"] for e in before if "seq" in e)
        on_b = await ChatClient.connect(b.ws_url, b.token(user))
        async with on_b:
            await on_b.send({"type": "resume", "session_id": session_id, "after_seq": last_seen})
            after = await on_b.until("complete", within=60)
    seqs = [e["seq"] for e in after if "seq" in e]
    assert seqs == list(range(last_seen + 1, last_seen + 1 + len(seqs)))
    marker = next(e for e in after if e["type"] == "session")
    assert marker["turn_id"]  # the turn runs on A: the marker says so
    assert LONG_ANSWER in tokens_of(before) + tokens_of(after)


def test_an_ingest_through_one_instance_is_answered_by_the_other(
    tmp_path: Path, kb_settings: Settings
) -> None:
    """With CHROMA_URL, instances share the knowledge base: what an admin uploads on A is
    found by B at once."""
    document = (
        "---\ntitle: Orca Tern specifications\nmodel: Tern\ndomain: specs\n---\n"
        "# Orca Tern specifications\n\nThe Tern is a small electric delivery van.\n\n"
        "| Item | Tern |\n|---|---|\n| Payload | 905 kg |\n| Load volume | 4.2 m³ |\n"
    )
    # The Chroma server starts on a copy of the sample the run ingested once (the same files as
    # the embedded store's), so that both instances start ready without embedding it again.
    shutil.copytree(kb_settings.chroma_path, tmp_path / "chroma")
    with (
        chroma_server(tmp_path / "chroma") as chroma_url,
        fresh_database("postgresql", tmp_path) as url,
    ):
        servers = [
            ServerProcess(
                tmp_path / name,
                kb_settings.chroma_path,
                url.render_as_string(False),
                CHROMA_URL=chroma_url,
            )
            for name in ("a", "b")
        ]
        for server in servers:
            server.launch()
        try:
            for server in servers:
                server.wait_ready()
            a, b = servers
            admin = {"Authorization": f"Bearer {a.token('admin-1', 'admin')}"}
            body = {"documents": [{"source": "vans/tern.md", "content": document}]}
            done = httpx.post(
                f"{a.base_url}/api/v1/knowledge/ingest", json=body, headers=admin, timeout=120
            )
            assert done.status_code == 200, done.text
            customer = {"Authorization": f"Bearer {b.token('tern-owner')}"}
            question = {"message": "What payload does the Tern carry?"}
            deadline = (
                time.monotonic() + 3.0
            )  # every instance looks for a new version twice a second
            while True:
                answer = httpx.post(
                    f"{b.base_url}/api/v1/chat", json=question, headers=customer, timeout=60
                )
                assert answer.status_code == 200, answer.text
                if "905 kg" in answer.json()["response"] or time.monotonic() > deadline:
                    break
            assert "905 kg" in answer.json()["response"]
        finally:
            for server in servers:
                server.stop()


@pytest.mark.parametrize("stop", ["kill", "sigterm", "stall"])
async def test_a_turn_whose_instance_goes_is_finished_by_another(
    instances: list[ServerProcess], fake_llm: FakeOpenAI, stop: str
) -> None:
    """`kill -9` of the instance running a turn: within the lease's 10 s a survivor runs it
    again; the client that resumes there gets the rest and `complete`; the answer is saved once.
    SIGTERM (a rolling restart) with an answer longer than the grace: the turn streams on
    through the grace, then is handed to the survivor the same way, never INTERRUPTED.
    A stall (SIGSTOP past the lease, SIGCONT once the survivor has answered): the stalled
    instance comes back fenced, and publishes and stores nothing more for that turn.
    (Last of the module's tests on the shared instances: it stops one.)"""
    a, b = (server.running() for server in instances)
    user = f"orphan-{uuid.uuid4().hex[:8]}"
    with slow_answers(fake_llm, tokens_per_s=8):
        fake_llm.script(Reply(text=LONG_ANSWER), Reply(text=LONG_ANSWER))
        on_a = await ChatClient.connect(a.ws_url, a.token(user))
        session_id = await started(on_a, "How often is the oil changed?")
        before = await on_a.until("token")
        at_stop = len(before)
        if stop == "kill":
            a.kill()
        elif stop == "stall":
            assert a.process is not None
            a.process.send_signal(signal.SIGSTOP)
        else:
            assert a.process is not None
            a.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(Exception):  # until the server closes it (1012)
                while True:
                    before.append(await on_a.recv(within=30))
        if stop != "stall":
            with contextlib.suppress(Exception):
                await on_a.close()
        last_seen = max(e["seq"] for e in before if "seq" in e)
        on_b = await ChatClient.connect(b.ws_url, b.token(user))
        async with on_b:
            await on_b.send({"type": "resume", "session_id": session_id, "after_seq": last_seen})
            after = await on_b.until("complete", within=60)
            if stop == "stall":  # back, it finds its run taken over: nothing more goes out
                assert a.process is not None
                a.process.send_signal(signal.SIGCONT)
                with contextlib.suppress(TimeoutError):
                    late = await on_b.recv(within=8)
                    raise AssertionError(f"the stalled instance still published: {late}")
                with contextlib.suppress(Exception):
                    await on_a.close()
                assert "was taken over elsewhere" in a.log()
    headers = {"Authorization": f"Bearer {b.token(user)}"}
    history = httpx.get(
        f"{b.base_url}/api/v1/sessions/{session_id}/messages", headers=headers, timeout=30
    )
    seqs = [e["seq"] for e in after if "seq" in e]
    assert seqs == list(range(last_seen + 1, last_seen + 1 + len(seqs)))
    restarted = [e for e in after if e["type"] == "progress" and e["step"] == "starting"]
    assert restarted, "the survivor announces the turn's new start"
    assert after[-1]["response"].startswith(LONG_ANSWER)
    assert not [e for e in before + after if e["type"] == "error"], "nothing INTERRUPTED"
    if stop == "sigterm":  # it streamed on through the grace before it was handed over
        assert [e for e in before[at_stop:] if e["type"] == "token"], before[at_stop:]
    assert history.status_code == 200, history.text
    stored = [(m["role"], m["status"]) for m in history.json()]
    assert stored == [("user", "complete"), ("assistant", "complete")], stored  # once each


async def test_the_workers_of_one_instance_share_the_live_state(
    tmp_path: Path, kb_settings: Settings
) -> None:
    """`serve --workers 2` with Redis: customers land on either worker, and one staff console
    (on one of them) hears of every conversation."""
    with fresh_database("postgresql", tmp_path) as url:
        server = ServerProcess(
            tmp_path / "workers",
            kb_settings.chroma_path,
            url.render_as_string(False),
            workers=2,
            REDIS_URL=REDIS_URL,
            REDIS_PREFIX=f"test-{uuid.uuid4().hex[:12]}:",
        )
        server.start()
        try:
            staff = await ChatClient.connect(
                server.ws_url.replace("/ws/chat", "/ws/staff"), server.token("staff-w", "staff")
            )
            questions = [
                "How often should the oil be changed?",
                "What is the towing capacity?",
                "My battery light is on, what should I do?",
                "What tyre pressure should I use?",
                "Can I book a service next week?",
                "What does the engine warning light mean?",
            ]

            async def ask(n: int, question: str) -> str:
                client = await ChatClient.connect(server.ws_url, server.token(f"w-{n}"))
                async with client:
                    events = await client.turn(question)
                assert events[-1]["type"] == "complete", events[-1]
                return str(events[-1]["session_id"])

            async with staff:
                sessions = set(await asyncio.gather(*(ask(n, q) for n, q in enumerate(questions))))
                heard: set[str] = set()
                async with asyncio.timeout(30):
                    while not sessions <= heard:
                        event = await staff.recv()
                        if event["type"] == "conversation":
                            heard.add(event["conversation"]["session_id"])
        finally:
            server.stop()
    assert len(sessions) == len(questions)
