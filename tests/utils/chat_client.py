"""A small test client for `/ws/chat` over the `websockets` library."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

from api.protocol import TURN_ENDING_ERRORS
from tests.utils.server import ORIGIN

TIMEOUT_S = 30.0
TURN_END = {"complete", "cancelled"}


class ChatClient:
    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection

    @classmethod
    async def connect(
        cls,
        url: str,
        token: str | None = None,
        *,
        origin: str = ORIGIN,
        query_token: bool = False,
        **auth: Any,
    ) -> ChatClient:
        """Connected and authenticated; `auth`: more fields of the auth frame."""
        target = f"{url}?token={token}" if token and query_token else url
        # Frames are buffered however many arrive unread (websockets stops reading the socket
        # past 16 by default): a test's idle connection still reads the server's closing frame
        # behind them, instead of closing only on its 10-s timeout.
        connection = await websockets.connect(
            target,
            origin=origin,  # type: ignore[arg-type]
            max_size=2**22,
            max_queue=None,
        )
        client = cls(connection)
        if token and not query_token:
            await client.send({"type": "auth", "token": token, **auth})
        if token:
            reply = await client.recv()
            assert reply["type"] == "auth_success", reply
        return client

    async def send(self, frame: dict[str, Any] | str) -> None:
        await self.connection.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def recv(self, within: float = TIMEOUT_S) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.connection.recv(), within)
        event: dict[str, Any] = json.loads(raw)
        return event

    async def until(self, *types: str, within: float = TIMEOUT_S) -> list[dict[str, Any]]:
        """Every event up to and including the first of one of `types`."""
        events = []
        while True:
            event = await self.recv(within)
            events.append(event)
            if event["type"] in types or (
                event["type"] == "error" and "error" not in types and event["code"] in TURN_ENDING
            ):
                return events

    async def turn(self, message: str, **fields: Any) -> list[dict[str, Any]]:
        await self.send({"type": "message", "message": message, **fields})
        return await self.until("complete", "cancelled")

    async def close(self) -> None:
        await self.connection.close()

    async def __aenter__(self) -> ChatClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


TURN_ENDING = {code.value for code in TURN_ENDING_ERRORS}


def tokens_of(events: list[dict[str, Any]]) -> str:
    return "".join(e["token"] for e in events if e["type"] == "token")


async def started(client: ChatClient, message: str) -> str:
    """Send `message` in a new session and return the session id once its turn runs."""
    await client.send({"type": "message", "message": message})
    session = await client.recv()
    assert session["type"] == "session" and session["turn_id"], session
    return str(session["session_id"])
