"""The orchestrator as an MCP server, asked with the official SDK's own client (Streamable HTTP
and `ClientSession`) over a real server: its tools act as the caller the bearer token names,
and nothing runs for a caller without a valid one."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import httpx2
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, TextContent

from api.auth import issue
from tests.utils import paged_document
from tests.utils.server import ServerProcess

ANOTHER_SECRET = "not-the-servers-secret-0123456789abcdefgh"
TOOLS = {"ask", "search_manuals", "available_slots", "book_appointment", "list_appointments"}


def user() -> str:
    return f"mcp-{uuid.uuid4().hex[:8]}"


@asynccontextmanager
async def connected(
    server: ServerProcess, token: str | None, statuses: list[int] | None = None
) -> AsyncIterator[ClientSession]:
    """An initialized MCP session on the server's `/mcp`; each HTTP status into `statuses`."""

    async def record(response: httpx2.Response) -> None:
        if statuses is not None:
            statuses.append(response.status_code)

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=60, event_hooks={"response": [record]}) as http,
        streamable_http_client(f"{server.base_url}/mcp", http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


def text_of(result: CallToolResult) -> str:
    return "".join(c.text for c in result.content if isinstance(c, TextContent))


async def call(session: ClientSession, tool: str, **arguments: Any) -> dict[str, Any]:
    """The tool's structured result; fails the test with its text if it reports an error."""
    result = await session.call_tool(tool, arguments)
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    return result.structured_content


async def test_the_server_lists_its_tools_with_what_they_take_and_answer(
    server: ServerProcess,
) -> None:
    async with connected(server, server.token(user())) as session:
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
    assert set(tools) == TOOLS
    assert tools["ask"].input_schema["required"] == ["question"]
    answers = (tools["ask"].output_schema or {})["properties"]
    assert {"answer", "session_id", "passages"} <= set(answers)
    search = tools["search_manuals"]
    assert "query" in search.input_schema["properties"]
    assert search.annotations is not None and search.annotations.read_only_hint


async def test_ask_answers_as_the_chat_does_citing_pages_and_continues_its_session(
    server: ServerProcess,
) -> None:
    paged_document.ingest_paged_document(server)
    customer = user()
    token = server.token(customer)
    async with connected(server, token) as session:
        first = await session.call_tool("ask", {"question": paged_document.QUESTION})
        answer = first.structured_content
        assert not first.is_error and answer is not None, text_of(first)
        assert answer["status"] == "complete" and "6 Nm" in answer["answer"]
        (cited,) = [p for p in answer["passages"] if p["source"] == paged_document.SOURCE]
        assert (cited["page"], cited["page_end"]) == (41, 42)
        assert cited["snippet"].startswith(paged_document.SNIPPET_START)
        assert "6 Nm" in text_of(first) and f"p. 41 ({paged_document.SOURCE})" in text_of(first)

        follow_up = "Do I need to check the knobs again later?"
        second = await call(session, "ask", question=follow_up, session_id=answer["session_id"])
    assert second["session_id"] == answer["session_id"] and second["answer"]
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as rest:
        stored = (await rest.get(f"/api/v1/sessions/{answer['session_id']}/messages")).json()
    assert [m["content"] for m in stored if m["role"] == "user"] == [
        paged_document.QUESTION,
        follow_up,
    ]


async def test_a_session_of_another_customer_is_not_continued(server: ServerProcess) -> None:
    async with connected(server, server.token(user())) as session:
        started = await call(session, "ask", question="How much can the Ridge tow?")
    async with connected(server, server.token(user())) as stranger:
        taken = await stranger.call_tool(
            "ask", {"question": "And the Aster?", "session_id": started["session_id"]}
        )
    assert taken.is_error and "SESSION_NOT_FOUND" in text_of(taken)


async def test_search_finds_passages_of_the_manuals_with_their_pages(
    server: ServerProcess,
) -> None:
    paged_document.ingest_paged_document(server)
    async with connected(server, server.token(user())) as session:
        found = await call(session, "search_manuals", query=paged_document.QUESTION, k=3)
        too_many = await session.call_tool("search_manuals", {"query": "tyres", "k": 500})
    best = found["passages"][0]
    assert len(found["passages"]) <= 3 and best["n"] == 1
    assert (best["source"], best["page"], best["page_end"]) == (paged_document.SOURCE, 41, 42)
    assert best["title"] == "Kestrel dog guard guide" and best["heading"]
    assert best["snippet"].startswith(paged_document.SNIPPET_START) and best["score"] > 0
    assert too_many.is_error


async def _free_start(session: ClientSession, service_type: str) -> str:
    """The first free start time on the next days the workshop has one."""
    for ahead in range(1, 15):
        day = (date.today() + timedelta(days=ahead)).isoformat()
        free = await call(session, "available_slots", day=day, service_type=service_type)
        if free["starts"]:
            return str(free["starts"][0])
    raise AssertionError("no free start time in the next two weeks")


async def test_a_booking_is_listed_for_its_customer_and_for_no_one_else(
    server: ServerProcess,
) -> None:
    async with connected(server, server.token(user())) as session:
        start = await _free_start(session, "oil_change")
        booked = await call(session, "book_appointment", start=start, service_type="oil_change")
        again = await session.call_tool(
            "book_appointment", {"start": start, "service_type": "oil_change"}
        )
        past = (datetime.now().astimezone() - timedelta(days=1)).isoformat()
        late = await session.call_tool(
            "book_appointment", {"start": past, "service_type": "oil_change"}
        )
        listed = await call(session, "list_appointments")
    assert booked["reference"] in booked["message"]
    assert datetime.fromisoformat(booked["starts_at"]) == datetime.fromisoformat(start)
    # The assistant's own rules: the customer's second booking at that time overlaps the first.
    assert again.is_error and "customer_overlap" in text_of(again)
    assert late.is_error and "in_the_past" in text_of(late)
    [mine] = listed["appointments"]
    assert (mine["id"], mine["reference"]) == (booked["appointment_id"], booked["reference"])
    assert mine["service_type"] == "oil_change" and mine["status"] == "booked"

    async with connected(server, server.token(user())) as other:
        theirs = await call(other, "list_appointments", include_past=True)
    assert theirs["appointments"] == []


async def test_without_a_valid_token_nothing_runs(server: ServerProcess) -> None:
    for token in (None, "not-a-token", server.token(user(), ttl_s=-10)):
        statuses: list[int] = []
        with pytest.raises(ExceptionGroup) as refused:  # from the client's task groups
            async with connected(server, token, statuses):
                pass
        assert refused.group_contains(MCPError)
        assert statuses == [401]

    # A booking for a customer, signed with another secret: refused before its body is read.
    customer = user()
    booking = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {
            "name": "book_appointment",
            "arguments": {"start": "2031-03-03T09:00:00+00:00", "service_type": "oil_change"},
        },
    }
    forged = httpx.post(
        f"{server.base_url}/mcp",
        json=booking,
        headers={
            "Authorization": f"Bearer {issue(ANOTHER_SECRET, customer)}",
            "Accept": "application/json, text/event-stream",
        },
    )
    assert forged.status_code == 401 and forged.json()["detail"]["code"] == "AUTH_FAILED"
    assert forged.headers["www-authenticate"] == "Bearer"
    async with connected(server, server.token(customer)) as session:
        listed = await call(session, "list_appointments", include_past=True)
    assert listed["appointments"] == []


async def test_a_page_of_a_foreign_origin_is_refused_as_on_the_websocket(
    server: ServerProcess,
) -> None:
    headers = {
        "Authorization": f"Bearer {server.token(user())}",
        "Accept": "application/json, text/event-stream",
        "Origin": "https://attacker.example",
    }
    listing = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    refused = httpx.post(f"{server.base_url}/mcp", json=listing, headers=headers)
    assert refused.status_code == 403 and refused.json()["detail"]["code"] == "FORBIDDEN"


async def test_there_is_no_stream_to_listen_on_only_messages_to_post(
    server: ServerProcess,
) -> None:
    headers = {"Authorization": f"Bearer {server.token(user())}", "Accept": "text/event-stream"}
    refused = httpx.get(f"{server.base_url}/mcp", headers=headers, timeout=5)
    assert refused.status_code == 405 and refused.headers["allow"] == "POST"
