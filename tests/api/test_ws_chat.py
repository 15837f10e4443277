"""The `/ws/chat` protocol against a real server, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import httpx
import pytest
import websockets

from api.auth import Role, verify
from tests.conftest import AUTH_TIMEOUT_S, RATE_LIMIT
from tests.utils import paged_document
from tests.utils.chat_client import ChatClient, tokens_of
from tests.utils.server import JWT_SECRET, ServerProcess

# Closes that time drives (a token's expiry, the authentication deadline) do not depend on the
# database: each is tested end to end once, on SQLite, with a token or deadline a few seconds
# short. Their rules, at every instant, are the session core's (tests/api/session/).
on_one_database = pytest.mark.parametrize("server", ["sqlite"], indirect=True)


def sid() -> str:
    return f"test-{uuid.uuid4().hex[:10]}"


def user() -> str:
    return f"user-{uuid.uuid4().hex[:8]}"


async def test_a_turn_streams_session_progress_sources_tokens_and_complete(
    server: ServerProcess,
) -> None:
    async with await ChatClient.connect(server.ws_url, server.token(user())) as client:
        events = await client.turn(
            "What is the towing capacity of the Ridge Tow Pack?", session_id="python-session-1"
        )
    kinds = [e["type"] for e in events]
    assert kinds[0] == "session" and events[0]["session_id"] == "python-session-1"
    assert events[0]["created"] is True
    steps = [e["step"] for e in events if e["type"] == "progress"]
    assert steps == ["starting", "agent_routing", "rag_retrieval", "generating"]
    assert kinds.index("sources") < kinds.index("token") < kinds.index("complete")
    sources = next(e for e in events if e["type"] == "sources")["sources"]
    assert (
        sources[0]["source"] == "specs/ridge.md"
        and {"title", "heading", "score"} <= sources[0].keys()
    )
    complete = events[-1]
    assert complete["type"] == "complete"
    assert tokens_of(events) == complete["response"]
    assert "3,500 kg" in complete["response"]
    metadata = complete["metadata"]
    assert metadata["agent"] == "specs" and metadata["agents"] == ["specs"]
    assert metadata["mode"] == "offline"
    context = metadata["context"]  # the documents by name, in [n] order; the passages in full
    assert context["sources"][0] == "specs/ridge.md"
    assert all(isinstance(name, str) for name in context["sources"])
    assert context["passages"] == sources
    assert all(len(s["snippet"]) <= 300 for s in sources)
    assert 0 < metadata["confidence"] <= 1 and metadata["latency_ms"] >= 0
    numbered = [e for e in events if "seq" in e]
    assert [e["seq"] for e in numbered] == list(
        range(numbered[0]["seq"], numbered[0]["seq"] + len(numbered))
    )
    assert all(e["turn_id"] == complete["turn_id"] for e in numbered)
    partials = [e["partial_response"] for e in events if e["type"] == "token"]
    assert partials[-1] == complete["response"]


async def test_a_new_session_gets_an_id_and_partial_response_can_be_left_out(
    server: ServerProcess,
) -> None:
    async with await ChatClient.connect(
        server.ws_url, server.token(user()), query_token=True
    ) as client:
        events = await client.turn(
            "How often should the Sable 1.5T have its oil changed?", partial_response=False
        )
    assert events[0]["type"] == "session" and events[0]["created"] is True
    assert len(events[0]["session_id"]) >= 16
    assert all("partial_response" not in e for e in events if e["type"] == "token")
    assert events[-1]["metadata"]["agent"] == "maintenance"


async def test_the_auth_frame_leaves_the_answer_so_far_out_for_the_whole_connection(
    server: ServerProcess,
) -> None:
    async with await ChatClient.connect(
        server.ws_url, server.token(user()), partial_response=False
    ) as client:
        left_out = await client.turn("What is the Ridge's wading depth?")
        session = left_out[0]["session_id"]
        asked = await client.turn(
            "and its towing capacity?", session_id=session, partial_response=True
        )
    assert left_out[-1]["type"] == "complete"
    assert all("partial_response" not in e for e in left_out if e["type"] == "token")
    partials = [e["partial_response"] for e in asked if e["type"] == "token"]
    assert partials and partials[-1] == asked[-1]["response"]  # a message may still ask


async def test_ping_gets_pong_with_the_same_timestamp(server: ServerProcess) -> None:
    async with await ChatClient.connect(server.ws_url, server.token(user())) as client:
        await client.send({"type": "ping", "timestamp": 1700000000123})
        assert await client.recv() == {"type": "pong", "timestamp": 1700000000123}


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{not json", "INVALID_MESSAGE"),
        ({"type": "teleport"}, "INVALID_MESSAGE"),
        ({"type": "message"}, "INVALID_MESSAGE"),
        ({"type": "message", "message": "   "}, "EMPTY_MESSAGE"),
        ({"type": "message", "message": "\u200b\u200b\u200b"}, "EMPTY_MESSAGE"),
        ({"type": "message", "message": "Aster tyre\u0000 rotation?"}, "INVALID_MESSAGE"),
        ('{"type": "ping", "timestamp": NaN}', "INVALID_MESSAGE"),
        ({"type": "message", "message": "x" * 4001}, "MESSAGE_TOO_LARGE"),
        ({"type": "auth", "token": "again"}, "INVALID_MESSAGE"),
    ],
)
async def test_bad_frames_get_an_error_and_the_connection_stays_open(
    server: ServerProcess, frame: dict[str, object] | str, code: str
) -> None:
    async with await ChatClient.connect(server.ws_url, server.token(user())) as client:
        await client.send(frame)
        error = await client.recv()
        assert error["type"] == "error" and error["code"] == code and error["error"]
        await client.send({"type": "ping", "timestamp": 1})
        assert (await client.recv())["type"] == "pong"


async def test_a_frame_over_64_kib_is_refused_and_only_one_over_1_mib_closes(
    server: ServerProcess,
) -> None:
    async with await ChatClient.connect(server.ws_url, server.token(user())) as client:
        await client.send({"type": "message", "message": "x" * 70_000})
        error = await client.recv()
        assert error["type"] == "error" and error["code"] == "MESSAGE_TOO_LARGE"
        assert "the limit is 65536" in error["error"]
        await client.send({"type": "ping", "timestamp": 1})
        assert (await client.recv())["type"] == "pong"  # the connection stays usable
        await client.send("x" * (16 * 65_536 + 1))  # more than the server reads at all
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await client.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


async def test_auth_is_required_and_checked(server: ServerProcess) -> None:
    client = await ChatClient.connect(server.ws_url)
    await client.send({"type": "message", "message": "hi"})
    assert (await client.recv())["code"] == "AUTH_REQUIRED"
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await client.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4001

    for token in ("garbage", server.token("expired-user", ttl_s=-10)):
        client = await ChatClient.connect(server.ws_url)
        await client.send({"type": "auth", "token": token})
        reply = await client.recv()
        assert reply["type"] == "auth_error" and "failed" in reply["message"].lower()
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await client.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4001


async def test_an_origin_outside_allowed_origins_is_closed_with_4003(server: ServerProcess) -> None:
    connection = await websockets.connect(server.ws_url, origin="http://evil.example")  # type: ignore[arg-type]
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await connection.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4003


async def test_a_client_that_is_not_a_browser_may_leave_origin_out(server: ServerProcess) -> None:
    """The origin check stops pages on other sites; an app without a page sends no Origin and
    is admitted by its token alone (docs/protocol.md, Connecting)."""
    async with websockets.connect(server.ws_url) as connection:  # no Origin header at all
        await connection.send(json.dumps({"type": "auth", "token": server.token(user())}))
        assert json.loads(await connection.recv())["type"] == "auth_success"


async def test_a_second_message_that_asks_not_to_wait_while_one_streams_is_busy(
    server: ServerProcess,
) -> None:
    """(Waiting in line, the default, and interrupting: tests/api/test_double_texting.py.)"""
    session = sid()
    async with await ChatClient.connect(server.ws_url, server.token(user())) as client:
        await client.send(
            {"type": "message", "message": "What does P0A80 mean?", "session_id": session}
        )
        await client.send(
            {
                "type": "message",
                "message": "And P0300?",
                "session_id": session,
                "multitask_strategy": "reject",
            }
        )
        events = await client.until("complete")
    busy = [e for e in events if e["type"] == "error"]
    assert [e["code"] for e in busy] == ["BUSY"]
    assert busy[0]["session_id"] == session


async def test_an_idempotent_retry_is_not_processed_twice(server: ServerProcess) -> None:
    session, token = sid(), server.token(name := user())
    async with await ChatClient.connect(server.ws_url, token) as client:
        first = await client.turn(
            "What does warning code P0420 mean?", session_id=session, message_id="m-1"
        )
        again = await client.turn(
            "What does warning code P0420 mean?", session_id=session, message_id="m-1"
        )
    assert [e["type"] for e in again] == ["session", "complete"]
    assert again[-1]["response"] == first[-1]["response"]
    assert again[-1]["metadata"]["message_id"] == first[-1]["metadata"]["message_id"]
    assert again[-1]["metadata"]["context"] == first[-1]["metadata"]["context"]  # from SQL
    messages = httpx.get(
        f"{server.base_url}/api/v1/sessions/{session}/messages",
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert [m["role"] for m in messages] == ["user", "assistant"], name


async def test_resume_after_a_dropped_connection_sends_what_was_missed(
    server: ServerProcess,
) -> None:
    session, token = sid(), server.token(user())
    client = await ChatClient.connect(server.ws_url, token)
    await client.send(
        {
            "type": "message",
            "message": "My Aster shows P0AA6, what should I do?",
            "session_id": session,
        }
    )
    seen = await client.until("progress")
    await client.connection.close()  # drop mid-turn
    last_seq = max(e.get("seq", 0) for e in seen)
    await asyncio.sleep(1.0)

    async with await ChatClient.connect(server.ws_url, token) as resumed:
        await resumed.send({"type": "resume", "session_id": session, "after_seq": last_seq})
        replay = await resumed.until("session")  # what was missed, then the marker
        live = (
            [] if any(e["type"] == "complete" for e in replay) else await resumed.until("complete")
        )
    marker = replay[-1]
    events = replay[:-1] + live
    numbered = [e for e in events if "seq" in e]
    assert numbered and numbered[0]["seq"] == last_seq + 1
    assert [e["seq"] for e in numbered] == list(range(last_seq + 1, last_seq + 1 + len(numbered)))
    assert marker["last_seq"] == (replay[-2]["seq"] if len(replay) > 1 else last_seq)
    complete = events[-1]
    assert complete["type"] == "complete"
    assert tokens_of(events) == complete["response"]
    assert complete["response"].lower().startswith(("- stop safely", "stop safely"))


async def test_an_appointment_action_streams_its_tool_call_and_result_offline(
    server: ServerProcess,
) -> None:
    session, token = sid(), server.token(user())
    async with await ChatClient.connect(server.ws_url, token) as client:
        events = await client.turn(
            "When can I bring my car for an oil change tomorrow?", session_id=session
        )
        listed = await client.turn("Do I have any appointments?", session_id=session)
        await client.send({"type": "resume", "session_id": session, "after_seq": 0})
        replay = await client.until("session")
    kinds = [e["type"] for e in events]
    call, result = events[kinds.index("tool_call")], events[kinds.index("tool_result")]
    assert call["name"] == "available_slots" and call["agent"] == "maintenance"
    assert call["arguments"]["service_type"] == "oil_change"
    assert (result["call_id"], result["name"]) == (call["call_id"], call["name"])
    assert result["ok"] is True
    assert result["summary"] and call["seq"] + 1 == result["seq"] < events[-1]["seq"]
    assert events[-1]["type"] == "complete"
    assert [e["name"] for e in listed if e["type"] == "tool_call"] == ["list_my_appointments"]
    # Numbered like the rest of the turn: a resume replays them.
    assert {"tool_call", "tool_result"} <= {e["type"] for e in replay}
    # The answer names them, and its stored copy keeps them for the transcript.
    used = {k: result[k] for k in ("call_id", "name", "agent", "ok", "summary")}
    assert events[-1]["metadata"]["tools"] == [{**used, "arguments": call["arguments"]}]
    stored = httpx.get(
        f"{server.base_url}/api/v1/sessions/{session}/messages",
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    answers = [m for m in stored if m["role"] == "assistant"]
    assert answers[0]["tools"] == events[-1]["metadata"]["tools"]
    assert [t["name"] for t in answers[1]["tools"]] == ["list_my_appointments"]


async def test_resume_of_an_unknown_session_is_session_not_found(server: ServerProcess) -> None:
    async with await ChatClient.connect(server.ws_url, server.token(user())) as client:
        await client.send({"type": "resume", "session_id": "no-such-session", "after_seq": 0})
        error = await client.recv()
    assert error["code"] == "SESSION_NOT_FOUND"


async def test_two_customers_are_kept_apart(server: ServerProcess) -> None:
    session = sid()
    alice, bob = server.token(user()), server.token(user())
    async with await ChatClient.connect(server.ws_url, alice) as client:
        await client.turn("What is the Aster's range?", session_id=session)
    async with await ChatClient.connect(server.ws_url, bob) as client:
        await client.send({"type": "message", "message": "hi", "session_id": session})
        refused = await client.recv()
        await client.send({"type": "resume", "session_id": session, "after_seq": 0})
        assert (await client.recv())["code"] == "SESSION_NOT_FOUND"  # as REST's 404 below
        await client.send({"type": "resume", "session_id": sid(), "after_seq": 0})
        none = await client.recv()
        # Someone else's session reads as one that does not exist, in the same words.
        assert refused["code"] == none["code"] == "SESSION_NOT_FOUND"
        assert refused["error"] == f"No session {session}"
        await client.send({"type": "message", "message": "hi", "customer_id": "someone-else"})
        assert (await client.recv())["code"] == "FORBIDDEN"
    bob_sessions = httpx.get(
        f"{server.base_url}/api/v1/sessions", headers={"Authorization": f"Bearer {bob}"}
    ).json()
    assert session not in [s["session_id"] for s in bob_sessions]
    # Over REST too, someone else's session answers as one nobody has, reading or writing.
    for other in (session, sid()):
        bobs = {"Authorization": f"Bearer {bob}"}
        read = httpx.get(f"{server.base_url}/api/v1/sessions/{other}/messages", headers=bobs)
        assert read.status_code == 404
        assert read.json()["detail"] == {
            "code": "SESSION_NOT_FOUND",
            "message": f"No session {other}",
        }
    written = httpx.post(
        f"{server.base_url}/api/v1/chat",
        json={"message": "hi", "session_id": session},
        headers={"Authorization": f"Bearer {bob}"},
        timeout=30,
    )
    assert written.status_code == 404
    assert written.json()["detail"] == {
        "code": "SESSION_NOT_FOUND",
        "message": f"No session {session}",
    }


async def test_staff_may_act_for_a_customer(server: ServerProcess) -> None:
    customer = user()
    async with await ChatClient.connect(server.ws_url, server.token("agent-1", "staff")) as client:
        events = await client.turn(
            "Which slots are free for a brake service on Saturday?", customer_id=customer
        )
    session = events[0]["session_id"]
    owned = httpx.get(
        f"{server.base_url}/api/v1/sessions",
        headers={"Authorization": f"Bearer {server.token(customer)}"},
    ).json()
    assert session in [s["session_id"] for s in owned]


async def test_messages_over_the_rate_limit_are_refused_with_retry_after(
    server: ServerProcess,
) -> None:
    async with await ChatClient.connect(server.ws_url, server.token(user())) as client:
        for _ in range(RATE_LIMIT + 1):
            await client.send({"type": "message", "message": "hello", "session_id": sid()})
        events = [await client.recv()]
        while events[-1]["type"] != "error":
            events.append(await client.recv())
    # A connection follows one session at a time: each message moved it to a new session.
    assert len([e for e in events if e["type"] == "session"]) == RATE_LIMIT
    assert events[-1]["code"] == "RATE_LIMITED" and events[-1]["retry_after"] > 0


async def test_rest_chat_sessions_messages_and_feedback(server: ServerProcess) -> None:
    headers = {"Authorization": f"Bearer {server.token(user())}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers, timeout=60) as http:
        answer = await http.post("/api/v1/chat", json={"message": "What does code U0100 mean?"})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["metadata"]["agent"] == "troubleshooting" and "U0100" in body["response"]
        session = body["session_id"]
        assert [s["session_id"] for s in (await http.get("/api/v1/sessions")).json()] == [session]
        messages = (await http.get(f"/api/v1/sessions/{session}/messages")).json()
        assert [(m["role"], m["status"]) for m in messages] == [
            ("user", "complete"),
            ("assistant", "complete"),
        ]
        assert messages[1]["id"] == body["metadata"]["message_id"]
        assert messages[1]["sources"] == body["metadata"]["context"]["passages"]
        assert all(isinstance(name, str) for name in body["metadata"]["context"]["sources"])
        feedback = await http.post(
            f"/api/v1/messages/{messages[1]['id']}/feedback",
            json={"rating": "down", "comment": "Not what I asked"},
        )
        assert feedback.status_code == 200 and feedback.json()["rating"] == "down"
        assert (
            await http.post(f"/api/v1/messages/{messages[0]['id']}/feedback", json={"rating": "up"})
        ).status_code == 422
        assert (await http.post("/api/v1/chat", json={"message": ""})).status_code == 422
        assert (
            await http.get("/api/v1/sessions", headers={"Authorization": "Bearer x"})
        ).status_code == 401
    assert httpx.get(f"{server.base_url}/api/v1/sessions").status_code == 401


async def test_health_ready_metrics_and_docs(server: ServerProcess) -> None:
    assert httpx.get(f"{server.base_url}/health").json() == {"status": "ok"}
    ready = httpx.get(f"{server.base_url}/ready").json()
    assert ready["status"] == "ready" and ready["mode"] == "offline"
    assert ready["checks"]["database"] == "ok" and ready["checks"]["chunks"] > 100
    metrics = httpx.get(f"{server.base_url}/metrics").text
    for name in (
        "orchestrator_turns_total",
        "orchestrator_errors_total",
        "# TYPE orchestrator_turn_latency_seconds histogram",  # declared before any turn
        "orchestrator_active_connections",
        "orchestrator_live_sessions",
    ):
        assert name in metrics
    assert httpx.get(f"{server.base_url}/docs").status_code == 200
    assert "/api/v1/chat" in httpx.get(f"{server.base_url}/openapi.json").json()["paths"]


@on_one_database  # a server start; PostgreSQL after a kill: tests/api/test_cluster.py (kill)
async def test_the_conversation_continues_after_the_server_is_killed(server: ServerProcess) -> None:
    session, token = sid(), server.token(user())
    async with await ChatClient.connect(server.ws_url, token) as client:
        first = await client.turn("How much can the Ridge tow?", session_id=session)
    server.kill()
    server.start()
    async with await ChatClient.connect(server.ws_url, token) as client:
        follow_up = await client.turn("And what about its payload?", session_id=session)
    assert follow_up[0]["created"] is False
    assert "960 kg" in follow_up[-1]["response"]
    first_seqs = [e["seq"] for e in first if "seq" in e]
    later_seqs = [e["seq"] for e in follow_up if "seq" in e]
    assert min(later_seqs) > max(first_seqs)
    messages = httpx.get(
        f"{server.base_url}/api/v1/sessions/{session}/messages",
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert json.dumps(messages)


async def _closed_with(client: ChatClient) -> tuple[list[dict[str, object]], int]:
    """Every event up to the server's close, and the close code."""
    events = []
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            events.append(await client.recv(within=15))
    assert closed.value.rcvd is not None
    return events, closed.value.rcvd.code


def short_token(server: ServerProcess, name: str, role: Role = "customer") -> tuple[str, float]:
    """A token that expires in one to two seconds (whole seconds in the token), and when."""
    token = server.token(name, role, ttl_s=2)
    return token, verify(JWT_SECRET, token).expires_at


async def past(expires_at: float) -> None:
    await asyncio.sleep(max(0.0, expires_at - time.time()) + 0.5)


@on_one_database
async def test_a_token_that_expires_mid_connection_is_closed_when_it_expires(
    server: ServerProcess,
) -> None:
    token, expires_at = short_token(server, user())
    client = await ChatClient.connect(server.ws_url, token)
    events, code = await _closed_with(client)  # no frame sent: the server acts on its own
    assert time.time() >= expires_at  # not before
    assert [(e["type"], e["code"]) for e in events] == [("error", "AUTH_FAILED")]
    assert code == 4001


@on_one_database
async def test_an_expired_token_is_pushed_nothing_of_its_session(server: ServerProcess) -> None:
    """A second connection of the same customer writes in the session after the first one's
    token expired: the first, which followed the session, gets AUTH_FAILED and the close, not
    the turn."""
    customer, session = user(), sid()
    async with await ChatClient.connect(server.ws_url, server.token(customer)) as fresh:
        first = await fresh.turn(
            "How often should the Aster have its brake fluid changed?", session_id=session
        )
        token, expires_at = short_token(server, customer)
        short = await ChatClient.connect(server.ws_url, token)
        seen = max(e["seq"] for e in first if "seq" in e)
        await short.send({"type": "resume", "session_id": session, "after_seq": seen})
        (marker,) = await short.until("session")  # it follows the session, nothing missed
        assert (marker["session_id"], marker["last_seq"]) == (session, seen)
        await past(expires_at)
        await fresh.turn("And the Ridge?", session_id=session)
    events, code = await _closed_with(short)
    assert [(e["type"], e.get("code")) for e in events] == [("error", "AUTH_FAILED")]
    assert code == 4001


@on_one_database
async def test_an_expired_staff_token_is_pushed_no_conversations(server: ServerProcess) -> None:
    staff_url = server.ws_url.replace("/ws/chat", "/ws/staff")
    token, expires_at = short_token(server, user(), "staff")
    console = await ChatClient.connect(staff_url, token)
    await past(expires_at)
    session = sid()
    async with await ChatClient.connect(server.ws_url, server.token(user())) as customer:
        await customer.turn("What is the towing capacity of the Ridge?", session_id=session)
    events, code = await _closed_with(console)
    # (A conversation of an earlier test may still be announced before the expiry.)
    assert [e for e in events if e.get("conversation", {}).get("session_id") == session] == []
    assert events[-1]["type"] == "error" and events[-1]["code"] == "AUTH_FAILED"
    assert code == 4001


@pytest.mark.parametrize("frame", ["{not json", b"\x00binary", {"type": "teleport"}])
async def test_a_bad_frame_before_auth_is_auth_required_and_closes(
    server: ServerProcess, frame: dict[str, object] | str | bytes
) -> None:
    client = await ChatClient.connect(server.ws_url)
    if isinstance(frame, bytes):
        await client.connection.send(frame)
    else:
        await client.send(frame)
    events, code = await _closed_with(client)
    assert [(e["type"], e["code"]) for e in events] == [("error", "AUTH_REQUIRED")]
    assert code == 4001


@on_one_database
async def test_a_socket_that_never_authenticates_is_closed(server: ServerProcess) -> None:
    client = await ChatClient.connect(server.ws_url)
    started = asyncio.get_running_loop().time()
    events, code = await _closed_with(client)
    assert [(e["type"], e["code"]) for e in events] == [("error", "AUTH_REQUIRED")]
    assert code == 4001
    assert asyncio.get_running_loop().time() - started >= AUTH_TIMEOUT_S - 0.5


async def test_a_passage_of_a_document_with_pages_names_them_with_a_snippet_of_its_text(
    server: ServerProcess,
) -> None:
    paged_document.ingest_paged_document(server)
    token = server.token(user())
    async with await ChatClient.connect(server.ws_url, token) as client:
        events = await client.turn(paged_document.QUESTION)
    listed = [s for e in events if e["type"] == "sources" for s in e["sources"]]
    (paged,) = [s for s in listed if s["source"] == paged_document.SOURCE]
    assert (paged["page"], paged["page_end"]) == (41, 42)
    assert paged["snippet"].startswith(paged_document.SNIPPET_START)
    assert len(paged["snippet"]) <= 300 and paged["snippet"].endswith("…")
    assert all("page" not in s for s in listed if s is not paged)  # Markdown without pages

    complete = events[-1]
    assert complete["type"] == "complete" and "6 Nm" in complete["response"]
    context = complete["metadata"]["context"]
    assert paged_document.SOURCE in context["sources"] and paged in context["passages"]
    stored = httpx.get(
        f"{server.base_url}/api/v1/sessions/{complete['session_id']}/messages",
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    pages = [(s.get("page"), s.get("page_end"), s["snippet"]) for s in stored[-1]["sources"]]
    assert pages == [(s.get("page"), s.get("page_end"), s["snippet"]) for s in listed]
