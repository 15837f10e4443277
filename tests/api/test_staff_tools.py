"""The console's everyday tools over a real server: notes for staff only, canned replies, the
list by assignee, and how long a conversation has waited for a person."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx

from tests.api.test_staff import next_of, sid, staff_api
from tests.utils.chat_client import ChatClient
from tests.utils.server import ServerProcess


async def test_a_note_is_kept_for_staff_audited_and_never_shown_to_the_customer(
    server: ServerProcess,
) -> None:
    session, customer = sid(), f"cust-{uuid.uuid4().hex[:6]}"
    token = server.token(customer)
    async with await ChatClient.connect(server.ws_url, token) as client:
        await client.turn("How much can the Ridge tow?", session_id=session)
    async with staff_api(server, "agent-notes") as api:
        written = await api.post(f"/conversations/{session}/notes", json={"note": "VIP: call back"})
        assert written.status_code == 201, written.text
        assert written.json()["author"] == {"id": "agent-notes", "name": "Agent-Notes"}
        listed = (await api.get(f"/conversations/{session}/notes")).json()
        assert [n["content"] for n in listed] == ["VIP: call back"]
        detail = (await api.get(f"/conversations/{session}")).json()
        assert [n["content"] for n in detail["notes"]] == ["VIP: call back"]
        audited = [(a["action"], a["detail"]) for a in detail["actions"]]
        assert ("note", "VIP: call back") in audited
        missing = await api.post("/conversations/nope/notes", json={"note": "x"})
        assert missing.status_code == 404
        assert missing.json()["detail"]["code"] == "SESSION_NOT_FOUND"
        empty = await api.post(f"/conversations/{session}/notes", json={"note": ""})
        assert empty.status_code == 422
    async with httpx.AsyncClient(
        base_url=f"{server.base_url}/api/v1", headers={"Authorization": f"Bearer {token}"}
    ) as http:
        seen = (await http.get(f"/sessions/{session}/messages")).json()
        assert "VIP" not in str(seen)
        refused = await http.get(f"/staff/conversations/{session}/notes")
        assert refused.status_code == 403


async def test_canned_replies_are_kept_by_title_listed_and_removed(server: ServerProcess) -> None:
    title = f"Opening hours {uuid.uuid4().hex[:6]}"
    text = "We are open Monday to Friday, 08:00-18:00."
    async with staff_api(server, "agent-canned") as api:
        kept = await api.post("/canned-replies", json={"title": title, "content": text})
        assert kept.status_code == 201, kept.text
        reply = kept.json()
        assert (reply["title"], reply["content"], reply["created_by"]) == (
            title,
            text,
            "agent-canned",
        )
        again = await api.post("/canned-replies", json={"title": title, "content": "other"})
        assert again.status_code == 409 and again.json()["detail"]["code"] == "CONFLICT"
        assert reply in (await api.get("/canned-replies")).json()
    async with staff_api(server, "agent-other") as other:  # every staff member sees them all
        assert reply in (await other.get("/canned-replies")).json()
        assert (await other.delete(f"/canned-replies/{reply['id']}")).status_code == 204
        assert reply not in (await other.get("/canned-replies")).json()
        gone = await other.delete(f"/canned-replies/{reply['id']}")
        assert gone.status_code == 404 and gone.json()["detail"]["code"] == "NOT_FOUND"
    headers = {"Authorization": f"Bearer {server.token('cust-canned')}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        assert (await http.get("/api/v1/staff/canned-replies")).status_code == 403


async def test_the_list_by_assignee_and_the_time_a_conversation_has_waited(
    server: ServerProcess,
) -> None:
    mine, waiting = sid(), sid()
    staff_url = server.ws_url.replace("/ws/chat", "/ws/staff")
    async with await ChatClient.connect(server.ws_url, server.token("cust-assign")) as customer:
        console = await ChatClient.connect(staff_url, server.token("agent-mine", "staff"))
        async with console:
            await customer.turn("How much can the Ridge tow?", session_id=mine)
            asked = datetime.now(UTC)
            await customer.turn("I want to talk to a person", session_id=waiting)
            await next_of(customer, "handoff")
    async with staff_api(server, "agent-mine") as api:
        assert (await api.post(f"/conversations/{mine}/takeover")).status_code == 200
        by_me = [c["session_id"] for c in (await api.get("/conversations?assigned=mine")).json()]
        nobodys = (await api.get("/conversations", params={"assigned": "unassigned"})).json()
        assert mine in by_me and waiting not in by_me
        assert waiting in [c["session_id"] for c in nobodys]
        assert mine not in [c["session_id"] for c in nobodys]
        summary = next(c for c in nobodys if c["session_id"] == waiting)
        assert summary["status"] == "waiting"
        since = datetime.fromisoformat(summary["waiting_since"].replace("Z", "+00:00"))
        assert abs((since - asked).total_seconds()) < 30
        taken = next(c for c in (await api.get("/conversations?assigned=mine")).json())
        assert taken["waiting_since"] is None
        bad = await api.get("/conversations", params={"assigned": "everyone"})
        assert bad.status_code == 422
    async with staff_api(server, "agent-other") as other:
        theirs = [c["session_id"] for c in (await other.get("/conversations?assigned=mine")).json()]
        assert mine not in theirs


async def test_a_customers_panel_names_their_vehicles_bookings_and_conversations(
    server: ServerProcess,
) -> None:
    customer, first, second = f"cust-{uuid.uuid4().hex[:6]}", sid(), sid()
    async with await ChatClient.connect(server.ws_url, server.token(customer)) as client:
        await client.turn("How much can the Ridge tow?", session_id=first)
        await client.turn("And the Ridge's payload?", session_id=first)
        booked = await client.turn("Please book an oil change on Friday at 2pm", session_id=second)
        await client.turn("What tyre pressure for the Aster?", session_id=second)
    answer = booked[-1]["response"]
    assert "Booked" in answer, answer
    async with staff_api(server, "agent-panel") as api:
        found = await api.get(f"/customers/{customer}")
        assert found.status_code == 200, found.text
        panel = found.json()
        assert panel["customer"]["id"] == customer
        assert panel["named_vehicles"] == [
            {"vehicle": "Ridge", "mentions": 2},
            {"vehicle": "Aster", "mentions": 1},
        ]
        [booking] = panel["appointments"]
        assert booking["status"] == "booked" and booking["service_type"] == "oil_change"
        assert booking["reference"] in answer  # the reference the customer was given
        assert [c["session_id"] for c in panel["conversations"]] == [second, first]
        missing = await api.get("/customers/nobody-at-all")
        assert missing.status_code == 404 and missing.json()["detail"]["code"] == "NOT_FOUND"
    headers = {"Authorization": f"Bearer {server.token(customer)}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        assert (await http.get(f"/api/v1/staff/customers/{customer}")).status_code == 403


async def test_a_closed_conversation_is_rated_by_its_customer_and_counted_in_the_metrics(
    server: ServerProcess,
) -> None:
    session, customer = sid(), f"cust-{uuid.uuid4().hex[:6]}"
    token = server.token(customer)
    headers = {"Authorization": f"Bearer {token}"}
    rating = f"/api/v1/sessions/{session}/rating"
    async with (
        await ChatClient.connect(server.ws_url, token) as client,
        httpx.AsyncClient(base_url=server.base_url, headers=headers) as http,
        staff_api(server, "agent-csat") as api,
    ):
        await client.turn("How much can the Ridge tow?", session_id=session)
        early = await http.post(rating, json={"score": 5})
        assert early.status_code == 409 and early.json()["detail"]["code"] == "CONFLICT"
        before = (await api.get("/metrics")).json()["totals"]
        assert (await api.post(f"/conversations/{session}/close")).status_code == 200
        closed = await next_of(client, "handoff")
        assert (closed["status"], closed["rating_asked"]) == ("closed", True)
        assert "How did we do?" in closed["message"]
        assert (await http.post(rating, json={"score": 2})).status_code == 204
        assert (await http.post(rating, json={"score": 4, "comment": "Quick"})).status_code == 204
        after = (await api.get("/metrics")).json()["totals"]
        assert after["csat_count"] == before["csat_count"] + 1  # rated again: replaced
        bad = await http.post(rating, json={"score": 6})
        assert bad.status_code == 422
    other = {"Authorization": f"Bearer {server.token('cust-someone-else')}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=other) as http:
        theirs = await http.post(rating, json={"score": 1})
        assert theirs.status_code == 404


async def test_a_drafted_reply_answers_what_waits_with_citations_and_stores_or_books_nothing(
    server: ServerProcess,
) -> None:
    session, customer = sid(), f"cust-{uuid.uuid4().hex[:6]}"
    token = server.token(customer)
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        await ChatClient.connect(server.ws_url, token) as client,
        httpx.AsyncClient(base_url=f"{server.base_url}/api/v1", headers=headers) as http,
        staff_api(server, "agent-draft") as api,
    ):
        await client.turn("How much can the Ridge tow?", session_id=session)
        nothing = await api.post(f"/conversations/{session}/draft")  # the bot answered it all
        assert nothing.status_code == 409 and nothing.json()["detail"]["code"] == "CONFLICT"
        assert (await api.post(f"/conversations/{session}/takeover")).status_code == 200
        await next_of(client, "handoff")
        await client.send(
            {"type": "message", "message": "What does code P0A80 mean?", "session_id": session}
        )
        await next_of(client, "session")
        stored = len((await http.get(f"/sessions/{session}/messages")).json())

        drafted = await api.post(f"/conversations/{session}/draft")
        assert drafted.status_code == 200, drafted.text
        reply = drafted.json()
        assert "P0A80" in reply["text"] and reply["sources"], reply
        assert "troubleshooting" in reply["agents"] and reply["mode"] == "offline"
        assert "[1]" in reply["text"]  # cited as an answer is

        await client.send(
            {
                "type": "message",
                "message": "Please book an oil change on Friday at 2pm",
                "session_id": session,
            }
        )
        await next_of(client, "session")
        booking = (await api.post(f"/conversations/{session}/draft")).json()
        assert "nothing was done" in booking["text"], booking
        panel = (await api.get(f"/customers/{customer}")).json()
        assert panel["appointments"] == []  # drafted, not booked
        after = (await http.get(f"/sessions/{session}/messages")).json()
        assert len(after) == stored + 1  # the customer's second message; no draft stored
        assert not [m for m in after if m["role"] == "assistant" and "P0A80" in m["content"]]


async def test_a_conversation_handed_to_a_colleague_is_theirs_and_audited(
    server: ServerProcess,
) -> None:
    session = sid()
    staff_url = server.ws_url.replace("/ws/chat", "/ws/staff")
    colleague = f"agent-{uuid.uuid4().hex[:6]}"
    async with (
        await ChatClient.connect(server.ws_url, server.token("cust-assigned")) as customer,
        await ChatClient.connect(staff_url, server.token(colleague, "staff")),  # signs in
        staff_api(server, "agent-lead") as lead,
        staff_api(server, colleague) as theirs,
    ):
        await customer.turn("How much can the Ridge tow?", session_id=session)
        known = (await lead.get("/members")).json()
        assert {"id": colleague, "name": colleague.title()} in known
        handed = await lead.post(f"/conversations/{session}/assign", json={"staff_id": colleague})
        assert handed.status_code == 200, handed.text
        summary = handed.json()
        assert summary["status"] == "with_staff"
        assert summary["assigned_staff"] == {"id": colleague, "name": colleague.title()}
        joined = await next_of(customer, "handoff")
        assert joined["status"] == "staff_joined" and colleague.title() in joined["message"]
        mine = [c["session_id"] for c in (await theirs.get("/conversations?assigned=mine")).json()]
        assert session in mine
        written = await theirs.post(f"/conversations/{session}/messages", json={"message": "Hi!"})
        assert written.status_code == 200  # theirs to write in
        detail = (await lead.get(f"/conversations/{session}")).json()
        assert ("assign", colleague.title()) in [
            (a["action"], a["detail"]) for a in detail["actions"]
        ]
        nobody = await lead.post(f"/conversations/{session}/assign", json={"staff_id": "cust-x"})
        assert nobody.status_code == 409 and nobody.json()["detail"]["code"] == "CONFLICT"
