"""`/ws/chat` from clients written the way a frontend developer would write them.

Nothing here uses the suite's chat helpers: plain `websockets`, `json` and the documented
protocol only, so that the protocol guide is enough to write a working client.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.typing import Origin

from tests.utils.server import ServerProcess

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
STEPS = ["starting", "agent_routing", "rag_retrieval", "generating"]
QUESTION = "What does code P0A80 mean?"


async def test_a_plain_websockets_client_gets_a_streamed_answer(
    server: ServerProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    token = server.token(f"plain-{uuid.uuid4().hex[:8]}")
    answer = ""
    steps: list[str] = []
    kinds: list[str] = []
    complete: dict[str, Any] = {}

    # The page's own origin is allowed, as it would be for a frontend served by the same host.
    async with asyncio.timeout(30), connect(server.ws_url, origin=Origin(server.base_url)) as ws:
        await ws.send(json.dumps({"type": "auth", "token": token}))
        reply = json.loads(await ws.recv())
        assert reply["type"] == "auth_success", reply
        assert reply["user"]["role"] == "customer"

        await ws.send(json.dumps({"type": "message", "message": QUESTION}))
        async for frame in ws:
            event = json.loads(frame)
            kinds.append(event["type"])
            if event["type"] == "progress":
                steps.append(event["step"])
                print(f"[{event['step']}] {event['message']}")
            elif event["type"] == "token":
                answer += event["token"]
            elif event["type"] == "complete":
                complete = event
                break
            elif event["type"] == "error":
                pytest.fail(f"{event['code']}: {event['error']}")

    assert complete, kinds
    assert answer == complete["response"]
    assert "P0A80" in answer
    assert steps == STEPS
    assert kinds[0] == "session"
    assert "sources" in kinds and "token" in kinds
    assert kinds.index("sources") < kinds.index("token")
    printed = capsys.readouterr().out.splitlines()
    assert [line.split("]")[0].lstrip("[") for line in printed] == STEPS


def _guide_python_example() -> str:
    blocks = re.findall(r"^```python\n(.*?)^```$", GUIDE.read_text("utf-8"), re.M | re.S)
    assert len(blocks) == 1, "the guide should have exactly one Python example"
    return str(blocks[0])


async def test_the_guides_python_client_works_against_the_real_server(
    server: ServerProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    """test_protocol runs the example against a replayed transcript; this, against the server."""
    namespace: dict[str, Any] = {"__name__": "protocol_guide_example"}
    exec(compile(_guide_python_example(), str(GUIDE), "exec"), namespace)

    async with asyncio.timeout(30):
        answer = await namespace["ask"](
            QUESTION,
            server.token(f"guide-{uuid.uuid4().hex[:8]}"),
            url=server.ws_url,
            origin=server.base_url,
        )

    assert "P0A80" in answer
    out = capsys.readouterr()
    assert out.out == answer + "\n"
    for step in STEPS:
        assert f"[{step}]" in out.err
    assert "source: " in out.err and "Diagnostic" in out.err
