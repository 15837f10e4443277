"""The orchestrator as an OpenAI-compatible model, asked with the official `openai` client over
a real server: streamed and not, with citations, continuing one session."""

from __future__ import annotations

import uuid

import httpx
import openai
import pytest

from api.routes.openai_compat import EXTENSION, MODEL, SESSION_HEADER
from tests.utils.server import ServerProcess


def client(server: ServerProcess, user: str, session: str | None = None) -> openai.AsyncOpenAI:
    headers = {SESSION_HEADER: session} if session else {}
    return openai.AsyncOpenAI(
        base_url=f"{server.base_url}/v1",
        api_key=server.token(user),
        default_headers=headers,
        max_retries=0,
    )


async def test_the_openai_client_streams_an_answer_with_citations_and_continues_the_session(
    server: ServerProcess,
) -> None:
    user, session = f"oa-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex
    async with client(server, user, session) as oa:
        assert [m.id async for m in oa.models.list()] == [MODEL]
        stream = await oa.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": "What does code P0A80 mean?"}],
            stream=True,
        )
        pieces, last = [], None
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                pieces.append(chunk.choices[0].delta.content)
            last = chunk
        text = "".join(pieces)
        assert "P0A80" in text and "[1]" in text
        assert "\n[1]: " in text  # the footnote the citation points to
        assert last is not None and last.choices[0].finish_reason == "stop"
        extension = (last.model_extra or {})[EXTENSION]
        assert extension["session_id"] == session and extension["passages"][0]["n"] == 1
        assert extension["agent"] == "troubleshooting"

        answer = await oa.chat.completions.with_raw_response.create(
            model=MODEL,
            messages=[
                {"role": "user", "content": "What does code P0A80 mean?"},
                {"role": "assistant", "content": text},
                {"role": "user", "content": "Is it safe to keep driving with it?"},
            ],
        )
        assert answer.headers[SESSION_HEADER] == session
        completion = answer.parse()
        assert completion.choices[0].message.content
        assert completion.choices[0].finish_reason == "stop"
        assert (completion.model_extra or {})[EXTENSION]["passages"]
    headers = {"Authorization": f"Bearer {server.token(user)}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        stored = (await http.get(f"/api/v1/sessions/{session}/messages")).json()
    said = [m["content"] for m in stored if m["role"] == "user"]
    assert said == ["What does code P0A80 mean?", "Is it safe to keep driving with it?"]


async def test_without_a_session_a_new_one_is_named_and_errors_read_as_openai_s(
    server: ServerProcess,
) -> None:
    async with client(server, f"oa-{uuid.uuid4().hex[:6]}") as oa:
        raw = await oa.chat.completions.with_raw_response.create(
            model=MODEL, messages=[{"role": "user", "content": "How much can the Ridge tow?"}]
        )
        assert raw.headers[SESSION_HEADER]
        assert "3,500 kg" in (raw.parse().choices[0].message.content or "")
        with pytest.raises(openai.UnprocessableEntityError) as refused:
            await oa.chat.completions.create(
                model=MODEL, messages=[{"role": "system", "content": "You are helpful."}]
            )
        assert refused.value.body["code"] == "EMPTY_MESSAGE"  # type: ignore[index]
    async with openai.AsyncOpenAI(
        base_url=f"{server.base_url}/v1", api_key="not-a-token", max_retries=0
    ) as stranger:
        with pytest.raises(openai.AuthenticationError):
            await stranger.models.list()


async def test_a_streamed_request_refused_at_admission_gets_its_http_status_not_a_stream(
    server: ServerProcess,
) -> None:
    """Refused before any chunk (here: someone else's session), a streamed request is answered
    as a plain one would be, as OpenAI's API does: the client raises, no 200 stream begins."""
    owner, stranger = f"oa-{uuid.uuid4().hex[:6]}", f"oa-{uuid.uuid4().hex[:6]}"
    async with client(server, owner) as oa:
        raw = await oa.chat.completions.with_raw_response.create(
            model=MODEL, messages=[{"role": "user", "content": "How much can the Ridge tow?"}]
        )
        session = raw.headers[SESSION_HEADER]
    async with client(server, stranger) as other:
        with pytest.raises(openai.NotFoundError) as refused:
            await other.chat.completions.create(
                model=MODEL,
                messages=[{"role": "user", "content": "And the Aster?"}],
                stream=True,
                extra_headers={SESSION_HEADER: session},
            )
    assert refused.value.body["code"] == "SESSION_NOT_FOUND"  # type: ignore[index]
