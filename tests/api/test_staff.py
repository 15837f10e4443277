"""The staff side over a real server: roles, the live list, watching, takeover and handback."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
import pytest
import websockets

from tests.utils.chat_client import ChatClient
from tests.utils.server import ServerProcess


def sid() -> str:
    return f"staff-{uuid.uuid4().hex[:10]}"


def staff_api(
    server: ServerProcess, user: str = "agent-7", role: str = "staff"
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=f"{server.base_url}/api/v1/staff",
        headers={"Authorization": f"Bearer {server.token(user, role)}"},  # type: ignore[arg-type]
        timeout=30,
    )


async def next_of(client: ChatClient, kind: str, within: float = 20) -> dict[str, Any]:
    while True:
        event = await client.recv(within)
        if event["type"] == kind:
            return event


async def test_customers_are_refused_everywhere_staff_only(server: ServerProcess) -> None:
    headers = {"Authorization": f"Bearer {server.token('cust-x')}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        for method, path in [
            ("GET", "/api/v1/staff/conversations"),
            ("GET", "/api/v1/staff/conversations/abc"),
            ("POST", "/api/v1/staff/conversations/abc/takeover"),
            ("POST", "/api/v1/staff/conversations/abc/handback"),
            ("GET", "/api/v1/staff/metrics"),
            ("GET", "/api/v1/staff/charts/routes.svg"),
        ]:
            response = await http.request(method, path)
            assert response.status_code == 403, (path, response.text)
            assert response.json()["detail"]["code"] == "FORBIDDEN"
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        assert (await http.get("/api/v1/staff/conversations")).status_code == 401
        assert (await http.get("/console")).status_code == 200

    connection = await websockets.connect(
        server.ws_url.replace("/ws/chat", "/ws/staff"), origin="http://testserver.local"
    )  # type: ignore[arg-type]
    await connection.send(json.dumps({"type": "auth", "token": server.token("cust-x")}))
    assert '"auth_error"' in str(await connection.recv())
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await connection.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4003


async def test_takeover_staff_messages_no_bot_and_handback(server: ServerProcess) -> None:
    session = sid()
    staff_url = server.ws_url.replace("/ws/chat", "/ws/staff")
    customer = await ChatClient.connect(server.ws_url, server.token("cust-handoff"))
    console = await ChatClient.connect(staff_url, server.token("agent-7", "staff"))
    try:
        await customer.turn("How much can the Ridge tow?", session_id=session)
        listed = await next_of(console, "conversation")
        while (
            listed["conversation"]["session_id"] != session
            or listed["conversation"].get("route") is None
        ):
            listed = await next_of(console, "conversation")
        assert listed["conversation"]["status"] == "bot"
        assert listed["conversation"]["customer"]["id"] == "cust-handoff"

        await console.send({"type": "watch", "session_id": session})
        await next_of(console, "session")
        await customer.send(
            {"type": "message", "message": "And its payload?", "session_id": session}
        )
        streamed = await next_of(console, "token")
        assert streamed["session_id"] == session
        await next_of(customer, "complete")
        await next_of(console, "complete")

        async with staff_api(server) as api:
            taken = await api.post(f"/conversations/{session}/takeover")
            assert taken.status_code == 200 and taken.json()["status"] == "with_staff"
            joined = await next_of(customer, "handoff")
            assert joined["status"] == "staff_joined" and "Agent-7" in joined["message"]

            sent = await api.post(
                f"/conversations/{session}/messages",
                json={"message": "Hi, I'm Agent-7. How can I help?"},
            )
            assert sent.status_code == 200
            staff_message = await next_of(customer, "staff_message")
            assert staff_message["message"] == "Hi, I'm Agent-7. How can I help?"
            assert staff_message["seq"] > joined["seq"]

            await customer.send(
                {"type": "message", "message": "Can I bring it Friday?", "session_id": session}
            )
            assert (await customer.recv())["type"] == "session"
            shown = await next_of(console, "customer_message")
            assert shown["message"] == "Can I bring it Friday?"
            with pytest.raises(asyncio.TimeoutError):
                await next_of(customer, "token", within=2)

            back = await api.post(f"/conversations/{session}/handback")
            assert back.json()["status"] == "bot"
            assert (await next_of(customer, "handoff"))["status"] == "returned_to_bot"
            # What the customer wrote meanwhile is answered, without writing again.
            waited = await next_of(customer, "complete")
            assert waited["response"] and waited["session_id"] == session
            answered = await customer.turn("What does P0300 mean?", session_id=session)
            assert answered[-1]["type"] == "complete"

            detail = (await api.get(f"/conversations/{session}")).json()
        roles = [m["role"] for m in detail["messages"]]
        assert "staff" in roles and roles.count("system") >= 2
        said = [m for m in detail["messages"] if m["role"] != "system"]
        friday = next(i for i, m in enumerate(said) if m["content"] == "Can I bring it Friday?")
        assert said[friday + 1]["role"] == "assistant", said  # answered after the hand-back
        assert said[friday + 1]["content"] == waited["response"]
        assert [a["action"] for a in detail["actions"]] == ["takeover", "message", "handback"]
        assert all(a["staff"]["id"] == "agent-7" for a in detail["actions"])
    finally:
        await customer.close()
        await console.close()


# A restart costs a server start: on one database (numbering is stored by the persistence
# layer, whose spec suite runs on both).
@pytest.mark.parametrize("server", ["sqlite"], indirect=True)
async def test_events_outside_turns_keep_their_numbers_across_a_restart(
    server: ServerProcess,
) -> None:
    session, token = sid(), server.token("cust-renumber")
    async with await ChatClient.connect(server.ws_url, token) as customer:
        await customer.turn("How much can the Ridge tow?", session_id=session)
        async with staff_api(server) as api:
            await api.post(f"/conversations/{session}/takeover")
            await api.post(f"/conversations/{session}/messages", json={"message": "Hello there"})
        staff_message = await next_of(customer, "staff_message")
    await asyncio.to_thread(server.stop)
    await asyncio.to_thread(server.start)
    async with await ChatClient.connect(server.ws_url, token) as customer:
        await customer.send({"type": "resume", "session_id": session, "after_seq": 0})
        marker = await next_of(customer, "session")
        assert marker["last_seq"] == staff_message["seq"]
        async with staff_api(server) as api:
            await api.post(f"/conversations/{session}/messages", json={"message": "Still there?"})
        assert (await next_of(customer, "staff_message"))["seq"] == staff_message["seq"] + 1


async def test_asking_for_a_person_or_a_thumbs_down_waits_for_a_human(
    server: ServerProcess,
) -> None:
    asked, unhappy = sid(), sid()
    token = server.token("cust-waits")
    async with await ChatClient.connect(server.ws_url, token) as customer:
        events = await customer.turn("Can I talk to a real person please?", session_id=asked)
        waiting = await next_of(customer, "handoff")
        assert events[-1]["metadata"]["agent"] == "general" and waiting["status"] == "waiting"
        answer = (await customer.turn("What does P0420 mean?", session_id=unhappy))[-1]
    async with httpx.AsyncClient(
        base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        feedback = await http.post(
            f"/api/v1/messages/{answer['metadata']['message_id']}/feedback",
            json={"rating": "down", "comment": "Not helpful"},
        )
        assert feedback.status_code == 200
    async with staff_api(server) as api:
        waiting_ids = [
            c["session_id"]
            for c in (await api.get("/conversations", params={"status": "waiting"})).json()
        ]
        assert asked in waiting_ids and unhappy in waiting_ids
        found = (await api.get("/conversations", params={"q": "P0420"})).json()
        assert unhappy in [c["session_id"] for c in found]
        detail = (await api.get(f"/conversations/{unhappy}")).json()
        rated = [m for m in detail["messages"] if m["feedback"]]
        assert rated[0]["feedback"] == {"rating": "down", "comment": "Not helpful"}
        totals = (await api.get("/metrics")).json()["totals"]
        assert totals["turns"] >= 2 and totals["waiting"] >= 2 and totals["feedback_count"] >= 1
        for name in ("activity", "routes", "latency", "errors", "rates"):
            chart = await api.get(f"/charts/{name}.svg")
            assert chart.status_code == 200
            assert chart.headers["content-type"].startswith("image/svg+xml")
            assert chart.text.startswith("<svg")
